import { describe, expect, it } from 'vitest';
import {
  compileNeverBlock,
  type GatePolicy,
  gateDecision,
  isShadowAnswer,
  wouldBlock,
} from '../../../lib/policy/index.js';
import { type BlockDecision, type Decision, REASONS, type Reason } from '../../../lib/types.js';

// The gate as tables: every reason of BLOCK_REASONS' universe × {enabled, not} × {on NEVER_BLOCK, not} ×
// {SOFT_BOUNCE_POLICY on, off} × {shadow mode on, off}, one table per rule (docs/outcomes.md "Ignore reasons").

const NEVER_BLOCKED = 'seed@company.example';
const ANYONE = 'jane@example.com';
const neverBlock = compileNeverBlock(['*@company.example']);

interface Case {
  reason: Reason;
  enabled: boolean;
  neverBlocked: boolean;
  softBouncePolicy: boolean;
  shadow: boolean;
}

const on = (flag: boolean, what: string) => `${what} ${flag ? 'on' : 'off'}`;
const named = (c: Case) =>
  [
    c.reason,
    c.enabled ? 'enabled' : 'not enabled',
    c.neverBlocked ? 'on NEVER_BLOCK' : 'not on NEVER_BLOCK',
    on(c.softBouncePolicy, 'SOFT_BOUNCE_POLICY'),
    on(c.shadow, 'shadow'),
  ].join(', ');

const CASES: (Case & { name: string })[] = REASONS.flatMap((reason) =>
  [true, false].flatMap((enabled) =>
    [true, false].flatMap((neverBlocked) =>
      [true, false].flatMap((softBouncePolicy) =>
        [true, false].map((shadow) => ({ reason, enabled, neverBlocked, softBouncePolicy, shadow })),
      ),
    ),
  ),
).map((c) => ({ ...c, name: named(c) }));

/** `it.each` with the whole name: vitest cuts a `$name` value after 40 characters. */
function table<T extends { name: string }>(rows: readonly T[], outcome: string, test: (row: T) => void): void {
  for (const row of rows) it(`${row.name}${outcome}`, () => test(row));
}

function blockFor(c: Case): BlockDecision {
  return {
    action: 'block',
    contact: c.neverBlocked ? NEVER_BLOCKED : ANYONE,
    reason: c.reason,
    source: 'sendgrid',
    eventId: 'e-1',
  };
}

/** The policy of a case; shadow mode is no part of it: the gate answers the same either way. */
function policyFor(c: Case): GatePolicy {
  return {
    blockReasons: new Set(c.enabled ? [c.reason] : REASONS.filter((r) => r !== c.reason)),
    neverBlock,
    softBounceCounting: c.softBouncePolicy,
  };
}

/** What the contact's Hood answer is after the gate let the block through: the stand-in's in shadow mode. */
function answerFor(c: Case): { shadowAnswer: boolean } {
  const hoodId = c.shadow ? wouldBlock(ANYONE, 1).id : '987654';
  return { shadowAnswer: isShadowAnswer(c.shadow, hoodId) };
}

describe('policy table, rule 1: NEVER_BLOCK wins over every other rule', () => {
  table(
    CASES.filter((c) => c.neverBlocked),
    ' → ignore never_block',
    (c) => {
      // Act
      const decided = gateDecision(blockFor(c), policyFor(c));

      // Assess
      expect(decided).toEqual({
        action: 'ignore',
        reason: 'never_block',
        source: 'sendgrid',
        detail: 'NEVER_BLOCK matches s***@c***.example',
        eventId: 'e-1',
      });
    },
  );
});

describe('policy table, rule 2: a soft bounce is count-only, passed on to be counted under SOFT_BOUNCE_POLICY', () => {
  table(
    CASES.filter((c) => !c.neverBlocked && c.reason === 'soft_bounce'),
    ' → passed on only with SOFT_BOUNCE_POLICY, whatever BLOCK_REASONS says',
    (c) => {
      // Act
      const decided = gateDecision(blockFor(c), policyFor(c));

      // Assess
      expect(decided).toEqual(
        c.softBouncePolicy
          ? blockFor(c)
          : {
              action: 'ignore',
              reason: 'soft_bounce',
              source: 'sendgrid',
              detail: 'soft bounce: counted only under SOFT_BOUNCE_POLICY, never a block by itself',
              eventId: 'e-1',
            },
      );
    },
  );
});

describe('policy table, rule 3: BLOCK_REASONS', () => {
  table(
    CASES.filter((c) => !c.neverBlocked && c.reason !== 'soft_bounce'),
    ' → a block only when enabled, else an ignore with that reason',
    (c) => {
      // Act
      const decided = gateDecision(blockFor(c), policyFor(c));

      // Assess
      expect(decided).toEqual(
        c.enabled
          ? blockFor(c)
          : {
              action: 'ignore',
              reason: c.reason,
              source: 'sendgrid',
              detail: 'reason not in BLOCK_REASONS',
              eventId: 'e-1',
            },
      );
    },
  );
});

describe('policy table, rule 4: shadow mode turns every block the gate passes into a would-be block', () => {
  table(
    CASES.filter((c) => !c.neverBlocked && (c.reason === 'soft_bounce' ? c.softBouncePolicy : c.enabled)),
    ' → Hood holds it only outside shadow mode',
    (c) => {
      // Prepare
      const decided = gateDecision(blockFor(c), policyFor(c));

      // Act
      const answer = answerFor(c);

      // Assess
      expect([decided.action, answer]).toEqual(['block', { shadowAnswer: c.shadow }]);
    },
  );
});

describe('policy table: ignores and rejects pass every policy unchanged', () => {
  const others: Decision[] = [
    { action: 'ignore', reason: 'delivered', source: 'sendgrid', eventId: 'e-2' },
    { action: 'ignore', reason: 'resubscribed', source: 'twilio', optIn: { contact: NEVER_BLOCKED } },
    { action: 'reject', reason: 'invalid_contact', source: 'ses', contact: 'not a contact' },
    { action: 'reject', reason: 'ambiguous_recipient', source: 'ses', contact: NEVER_BLOCKED },
  ];
  const policies = CASES.filter((c) => c.reason === 'soft_bounce');

  table(
    others.flatMap((d) => policies.map((c) => ({ d, c, name: `${d.action} ${d.reason}, ${c.name}` }))),
    '',
    ({ d, c }) => {
      // Act
      const decided = gateDecision(d, policyFor(c));

      // Assess
      expect(decided).toBe(d);
    },
  );
});

describe('policy table: coverage', () => {
  it('covers every reason of BLOCK_REASONS’ universe in each combination', () => {
    expect(CASES).toHaveLength(REASONS.length * 16);
  });
});
