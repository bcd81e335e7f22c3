import { describe, expect, it } from 'vitest';
import type { SoftBouncePolicy } from '../../../lib/config.js';
import { countOnly, softBounceAt, softBounceVerdict } from '../../../lib/policy/index.js';
import type { BlockDecision } from '../../../lib/types.js';

const POLICY: SoftBouncePolicy = { count: 3, periodMs: 30 * 86_400_000, text: '3/30d' };
const bounce: BlockDecision = {
  action: 'block',
  contact: 'jane@example.com',
  reason: 'soft_bounce',
  source: 'ses',
  eventId: 'm-1',
};

describe('softBounceVerdict: the count in the window against SOFT_BOUNCE_POLICY', () => {
  it.each([
    [1, { kind: 'counted', detail: '1 of 3 within 3/30d' }],
    [2, { kind: 'counted', detail: '2 of 3 within 3/30d' }],
    [
      3,
      {
        kind: 'threshold',
        block: { ...bounce, reason: 'soft_bounce_threshold', description: '3 soft bounces within 3/30d' },
      },
    ],
    [
      4,
      {
        kind: 'threshold',
        block: { ...bounce, reason: 'soft_bounce_threshold', description: '4 soft bounces within 3/30d' },
      },
    ],
  ])('%i soft bounces → %o', (count, expected) => {
    // Act
    const verdict = softBounceVerdict(bounce, count, POLICY);

    // Assess
    expect(verdict).toEqual(expected);
  });

  it('keeps the event’s own description after the count when the threshold blocks', () => {
    // Act
    const verdict = softBounceVerdict({ ...bounce, description: 'mailbox full' }, 3, POLICY);

    // Assess
    expect(verdict).toMatchObject({ block: { description: '3 soft bounces within 3/30d; mailbox full' } });
  });

  it('blocks at the first soft bounce under a policy of 1', () => {
    expect(softBounceVerdict(bounce, 1, { ...POLICY, count: 1, text: '1/1d' }).kind).toBe('threshold');
  });
});

describe('countOnly: a soft bounce nothing counts', () => {
  it('is an ignore with reason soft_bounce that keeps the source and the event id', () => {
    expect(countOnly(bounce)).toEqual({
      action: 'ignore',
      reason: 'soft_bounce',
      source: 'ses',
      detail: 'soft bounce: counted only under SOFT_BOUNCE_POLICY, never a block by itself',
      eventId: 'm-1',
    });
  });
});

describe('softBounceAt: when a soft bounce counts as having happened', () => {
  const NOW = Date.parse('2026-03-01T12:00:00Z');

  it.each([
    ['the event’s own time', '2026-02-20T08:00:00.000Z', Date.parse('2026-02-20T08:00:00Z')],
    ['now when the event has no time', undefined, NOW],
    ['now when the time cannot be read', 'yesterday', NOW],
    ['now when the event claims to be in the future', '2026-03-02T00:00:00Z', NOW],
  ])('%s', (_name, occurredAt, expected) => {
    // Act
    const at = softBounceAt(occurredAt === undefined ? bounce : { ...bounce, occurredAt }, NOW);

    // Assess
    expect(at).toBe(expected);
  });
});
