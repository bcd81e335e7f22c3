import { describe, expect, it } from 'vitest';
import { mapPostmark } from '../../../lib/providers/postmark/map.js';
import { blocks, fixture, policy } from './helpers.js';

const HARD = 'postmark/spatie-postmark-bounce-hardbounce.json';
const SPAM = 'postmark/spatie-postmark-spamcomplaint.json';

function subscriptionChange(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    RecordType: 'SubscriptionChange',
    ServerID: 123456,
    MessageStream: 'outbound',
    ChangedAt: '2019-11-05T16:33:54.9070259Z',
    Recipient: 'bounced-address@wildbit.com',
    Origin: 'Recipient',
    SuppressSending: true,
    SuppressionReason: 'HardBounce',
    Tag: 'my-tag',
    MessageID: '20130503192659.13651.20287@mg.craftremote.com',
    ...overrides,
  };
}

describe('Postmark bounces', () => {
  it('blocks a HardBounce with ID, BouncedAt (7 fractional digits) and details', () => {
    // Prepare
    const body = fixture(HARD);

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: 'john@example.com',
        reason: 'hard_bounce',
        source: 'postmark',
        description: 'HardBounce: Test bounce details',
        eventId: '42',
        occurredAt: '2019-11-05T16:33:54.907Z',
      },
    ]);
  });

  it('does not block a SoftBounce that carries TypeCode 1 and Inactive true', () => {
    // Prepare
    const body = { ...fixture(HARD), Type: 'SoftBounce', TypeCode: 1, Inactive: true };

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'transient_bounce']]);
  });

  it.each(['Transient', 'AutoResponder', 'DnsError', 'Blocked', 'DMARCPolicy', 'Unknown'])(
    'does not block Type %s',
    (type) => {
      // Prepare
      const body = { ...fixture(HARD), Type: type };

      // Act
      const decisions = mapPostmark(body, policy);

      // Assess
      expect(blocks(decisions)).toEqual([]);
    },
  );

  it.each([
    ['BadEmailAddress', 'hard_bounce'],
    ['ManuallyDeactivated', 'manual'],
    ['Unsubscribe', 'unsubscribe'],
  ])('blocks Type %s as %s', (type, reason) => {
    // Prepare
    const body = { ...fixture(HARD), Type: type };

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'john@example.com', reason }]);
  });

  it('does not crash on an Unsubscribe bounce record without Email, and ignores it', () => {
    // Prepare
    const body = fixture(HARD);
    body.Type = 'Unsubscribe';
    body.TypeCode = 16;
    delete body.Email;

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        reason: 'no_recipient',
        source: 'postmark',
        detail: 'Unsubscribe bounce record without Email',
        eventId: '42',
      },
    ]);
  });

  it('falls back to TypeCode only when Type is missing', () => {
    // Prepare
    const body = fixture(HARD);
    delete body.Type;
    body.TypeCode = 4096;

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions.map((d) => d.reason)).toEqual(['transient_bounce']);
  });
});

describe('Postmark spam complaints', () => {
  it('blocks the complainer as complaint', () => {
    // Prepare
    const body = fixture(SPAM);

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'block', contact: 'john@example.com', reason: 'complaint', eventId: '42' }),
    ]);
  });
});

describe('Postmark subscription changes', () => {
  it('blocks the Recipient with the suppression reason HardBounce as hard_bounce', () => {
    // Prepare
    const body = subscriptionChange({});

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounced-address@wildbit.com', reason: 'hard_bounce' }]);
  });

  it('labels a recipient ManualSuppression unsubscribe', () => {
    // Prepare
    const body = subscriptionChange({ SuppressionReason: 'ManualSuppression', Origin: 'Recipient' });

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounced-address@wildbit.com', reason: 'unsubscribe' }]);
  });

  it('labels an account ManualSuppression manual (the company suppressed it)', () => {
    // Prepare
    const body = subscriptionChange({ SuppressionReason: 'ManualSuppression', Origin: 'Customer', MessageID: null });

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'block', reason: 'manual' })]);
    expect(decisions[0]!.eventId).toBeUndefined();
  });

  it('ignores a reactivation (SuppressSending false)', () => {
    // Prepare
    const body = subscriptionChange({ SuppressSending: false, SuppressionReason: null });

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'reactivated']]);
  });
});

describe('Postmark records that are not opt-outs', () => {
  it.each([
    ['Delivery', 'delivery'],
    ['Open', 'open'],
    ['Click', 'click'],
  ])('ignores %s', (record, reason) => {
    // Prepare
    const body = { RecordType: record, Recipient: 'john@example.com', MessageID: 'm-1' };

    // Act
    const decisions = mapPostmark(body, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'ignore', reason, source: 'postmark', detail: `RecordType=${record}`, eventId: 'm-1' },
    ]);
  });
});
