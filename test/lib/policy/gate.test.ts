import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCK_REASONS } from '../../../lib/config.js';
import { compileNeverBlock, gateDecisions } from '../../../lib/policy/index.js';
import { mapProvider } from '../../../lib/mapping/provider.js';
import { type Decision, REASONS } from '../../../lib/types.js';
import { policy } from '../mapping/helpers.js';

// The gate's examples, moved with it from test/lib/mapping/index.test.ts; the tables are in gate-table.test.ts.

describe('gateDecisions', () => {
  const decisions: Decision[] = [
    { action: 'block', contact: 'a@example.com', reason: 'group_unsubscribe', source: 'sendgrid', eventId: 'e-1' },
    { action: 'block', contact: 'b@example.com', reason: 'hard_bounce', source: 'sendgrid' },
    { action: 'ignore', reason: 'delivered', source: 'sendgrid' },
  ];

  it('turns a block whose reason is not enabled into an ignore carrying that reason', () => {
    // Act
    const applied = gateDecisions(decisions, { blockReasons: new Set(['hard_bounce']) });

    // Assess
    expect(applied).toEqual([
      {
        action: 'ignore',
        reason: 'group_unsubscribe',
        source: 'sendgrid',
        detail: 'reason not in BLOCK_REASONS',
        eventId: 'e-1',
      },
      decisions[1],
      decisions[2],
    ]);
  });

  it('leaves every decision alone when all reasons are enabled', () => {
    // Act
    const applied = gateDecisions(decisions, { blockReasons: new Set(['hard_bounce', 'group_unsubscribe']) });

    // Assess
    expect(applied).toEqual(decisions);
  });
});

describe('gateDecisions: soft_bounce is count-only', () => {
  const softBounce: Decision = {
    action: 'block',
    contact: 'jane@example.com',
    reason: 'soft_bounce',
    source: 'ses',
    eventId: 'm-1',
  };

  it('turns a soft_bounce into an ignore with reason soft_bounce', () => {
    // Act
    const applied = gateDecisions([softBounce], { blockReasons: new Set(['hard_bounce']) });

    // Assess
    expect(applied).toEqual([
      {
        action: 'ignore',
        reason: 'soft_bounce',
        source: 'ses',
        detail: expect.stringContaining('SOFT_BOUNCE_POLICY'),
        eventId: 'm-1',
      },
    ]);
  });

  it('never lets a soft_bounce block, even when the reason set contains it', () => {
    // Act
    const applied = gateDecisions([softBounce], { blockReasons: new Set(REASONS) });

    // Assess
    expect(applied.map((d) => [d.action, d.reason])).toEqual([['ignore', 'soft_bounce']]);
  });

  it('does not put soft_bounce in the default BLOCK_REASONS', () => {
    expect(DEFAULT_BLOCK_REASONS).not.toContain('soft_bounce');
  });
});

describe('gateDecisions: NEVER_BLOCK (issue 9 item 15)', () => {
  const neverBlock = compileNeverBlock(['Seed@Example.COM', '*@Company.example', '+1 415 555 0100']);
  const policyWith = { blockReasons: new Set(REASONS), neverBlock };
  const blockOf = (contact: string, reason: Decision['reason'] = 'unsubscribe'): Decision => ({
    action: 'block',
    contact,
    reason: reason as never,
    source: 'sendgrid',
    eventId: 'e-9',
  });

  it('ignores an exact contact with reason never_block, whatever the event says', () => {
    // Act
    const applied = gateDecisions([blockOf('seed@example.com', 'complaint')], policyWith);

    // Assess
    expect(applied).toEqual([
      {
        action: 'ignore',
        reason: 'never_block',
        source: 'sendgrid',
        detail: 'NEVER_BLOCK matches s***@e***.com',
        eventId: 'e-9',
      },
    ]);
  });

  it('ignores every address of a *@domain pattern', () => {
    expect(gateDecisions([blockOf('anyone@company.example')], policyWith).map((d) => d.reason)).toEqual([
      'never_block',
    ]);
  });

  it('does not treat a subdomain or a look-alike domain as the pattern domain', () => {
    // Act
    const applied = gateDecisions(
      [blockOf('a@mail.company.example'), blockOf('a@company.example.evil.test'), blockOf('a@xcompany.example')],
      policyWith,
    );

    // Assess
    expect(applied.map((d) => d.action)).toEqual(['block', 'block', 'block']);
  });

  it('matches a phone number written differently in NEVER_BLOCK (E.164 on both sides)', () => {
    expect(gateDecisions([blockOf('+14155550100', 'sms_opt_out')], policyWith).map((d) => d.reason)).toEqual([
      'never_block',
    ]);
  });

  it('matches an internationalised domain given in either Unicode or punycode', () => {
    // Prepare
    const list = compileNeverBlock(['*@bücher.example']);

    // Act
    const applied = gateDecisions([blockOf('jane@xn--bcher-kva.example'), blockOf('jane@BÜCHER.example')], {
      blockReasons: new Set(REASONS),
      neverBlock: list,
    });

    // Assess
    expect(applied.map((d) => d.reason)).toEqual(['never_block', 'never_block']);
  });

  it('wins over soft_bounce and over reasons outside BLOCK_REASONS', () => {
    // Act
    const applied = gateDecisions(
      [blockOf('seed@example.com', 'soft_bounce'), blockOf('seed@example.com', 'group_unsubscribe')],
      { blockReasons: new Set(['hard_bounce']), neverBlock },
    );

    // Assess
    expect(applied.map((d) => d.reason)).toEqual(['never_block', 'never_block']);
  });

  it('leaves other contacts, ignores and rejects alone', () => {
    // Prepare
    const decisions: Decision[] = [
      blockOf('jane@example.com'),
      { action: 'ignore', reason: 'delivered', source: 'sendgrid' },
      { action: 'reject', reason: 'invalid_contact', source: 'sendgrid', contact: 'seed@example.com x' },
    ];

    // Act
    const applied = gateDecisions(decisions, policyWith);

    // Assess
    expect(applied).toEqual(decisions);
  });

  it('reports entries that are neither a contact nor *@domain without echoing them', () => {
    // Act
    const compiled = compileNeverBlock(['ok@example.com', 'John Smith', '*@', '*@*.example.com']);

    // Assess
    expect(compiled.invalid).toEqual([2, 3, 4]);
  });

  it('never blocks a contact in the list, however the provider wrote it (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'Seed@example.com',
          'SEED@EXAMPLE.COM',
          ' seed@example.com',
          '"Seed" <seed@Example.com>',
          'x@COMPANY.example',
          'y@company.example.',
        ),
        (raw) => {
          const decisions = mapProvider('sendgrid', [{ event: 'unsubscribe', email: raw, sg_event_id: 'e' }], policy);
          return gateDecisions(decisions, policyWith).every((d) => d.action !== 'block');
        },
      ),
    );
  });
});
