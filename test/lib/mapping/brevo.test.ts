import { describe, expect, it } from 'vitest';
import { mapBrevo } from '../../../lib/providers/brevo/map.js';
import { blocks, fixture, policy } from './helpers.js';

const HARD = 'brevo/anymail-brevo-hard-bounce.json';

describe('Brevo events', () => {
  it('blocks a hard_bounce, trimming the leading space of its reason', () => {
    // Prepare
    const body = fixture(HARD);

    // Act
    const decisions = mapBrevo(body, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: 'not-a-user@example.com',
        reason: 'hard_bounce',
        source: 'brevo',
        description: 'hard_bounce: RecipientError: 550 5.5.0 Requested action not taken: mailbox unavailable.',
        eventId: '<201803011158.9876543210@smtp-relay.mailin.fr>',
        occurredAt: '2018-03-06T19:10:23.000Z',
      },
    ]);
  });

  it('does not block a deferred event whose reason reads like a permanent 550', () => {
    // Prepare
    const body = {
      ...fixture(HARD),
      event: 'deferred',
      reason: '550 5.1.1 <not-a-user@example.com>: Recipient address rejected: User unknown',
    };

    // Act
    const decisions = mapBrevo(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'deferred']]);
  });

  it('does not block a soft_bounce', () => {
    // Prepare
    const body = { ...fixture(HARD), event: 'soft_bounce' };

    // Act
    const decisions = mapBrevo(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'transient_bounce']]);
  });

  it.each([
    ['spam', 'complaint'],
    ['complaint', 'complaint'],
    ['unsubscribed', 'unsubscribe'],
    ['invalid_email', 'hard_bounce'],
    ['blocked', 'suppressed'],
    ['hardBounce', 'hard_bounce'],
  ])('blocks %s as %s', (event, reason) => {
    // Prepare
    const body = { ...fixture(HARD), event };

    // Act
    const decisions = mapBrevo(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'not-a-user@example.com', reason }]);
  });

  it('maps a batched array event by event', () => {
    // Prepare
    const first = fixture(HARD);
    const body = [first, { ...first, event: 'delivered', email: 'other@example.com' }];

    // Act
    const decisions = mapBrevo(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([
      ['block', 'hard_bounce'],
      ['ignore', 'delivered'],
    ]);
  });
});
