import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNeverBlock, gateDecisions, isNeverBlocked } from '../../../lib/policy/index.js';
import { type Decision, REASONS } from '../../../lib/types.js';

// What the gate can never do, whatever the decisions and the policy: create a block, block a NEVER_BLOCK
// contact, or block a soft bounce without SOFT_BOUNCE_POLICY.

const neverBlock = compileNeverBlock(['seed@example.com', '*@company.example', '+1 415 555 0100']);
const contact = fc.constantFrom(
  'seed@example.com',
  'anyone@company.example',
  '+14155550100',
  'jane@example.com',
  'a@mail.company.example',
  '+14155550199',
);
const decision: fc.Arbitrary<Decision> = fc.oneof(
  fc.record({
    action: fc.constant('block' as const),
    contact,
    reason: fc.constantFrom(...REASONS),
    source: fc.constantFrom('ses', 'sendgrid', 'queue'),
    eventId: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  }),
  fc.record({
    action: fc.constant('ignore' as const),
    reason: fc.constantFrom('delivered', 'soft_bounce', 'never_block', 'unsubscribe'),
    source: fc.constant('ses'),
  }),
  fc.record({
    action: fc.constant('reject' as const),
    reason: fc.constantFrom('invalid_contact' as const, 'ambiguous_recipient' as const),
    source: fc.constant('ses'),
    contact: fc.option(contact, { nil: undefined }),
  }),
);
const policy = fc.record({
  blockReasons: fc.subarray([...REASONS]).map((reasons) => new Set(reasons)),
  neverBlock: fc.constantFrom(neverBlock, undefined),
  softBounceCounting: fc.boolean(),
});

describe('gateDecisions (property)', () => {
  it('answers one decision per decision, and a block only for an unchanged block', () => {
    fc.assert(
      fc.property(fc.array(decision, { maxLength: 12 }), policy, (decisions, p) => {
        // Act
        const decided = gateDecisions(decisions, p);

        // Assess
        expect(decided).toHaveLength(decisions.length);
        decided.forEach((d, i) => {
          if (decisions[i]!.action !== 'block') expect(d).toBe(decisions[i]);
          if (d.action === 'block') expect(d).toBe(decisions[i]);
        });
      }),
    );
  });

  it('never blocks a NEVER_BLOCK contact, nor a soft bounce without SOFT_BOUNCE_POLICY', () => {
    fc.assert(
      fc.property(fc.array(decision, { maxLength: 12 }), policy, (decisions, p) => {
        // Act
        const blocked = gateDecisions(decisions, p).filter((d) => d.action === 'block');

        // Assess
        for (const b of blocked) {
          expect(isNeverBlocked(b.contact, p.neverBlock)).toBe(false);
          if (b.reason === 'soft_bounce') expect(p.softBounceCounting).toBe(true);
          else expect(p.blockReasons.has(b.reason)).toBe(true);
        }
      }),
    );
  });
});
