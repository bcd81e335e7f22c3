import { describe, expect, it } from 'vitest';
import { gateDecisions } from '../../../lib/policy/index.js';
import { REASONS } from '../../../lib/types.js';
import { mapSendgrid } from '../../../lib/providers/sendgrid/map.js';
import { blocks, fixture, only, policy } from './helpers.js';

const ALL_TYPES = 'sendgrid/sendgrid-nodejs-example-event-notification-all-types.json';
const DROPPED = 'sendgrid/signed-single-dropped-body.raw';
const BLOCKED = 'sendgrid/signed-multi-event-body.raw';

function eventOf(name: string): Record<string, any> {
  return fixture<Array<Record<string, any>>>(ALL_TYPES).find((e) => e.event === name)!;
}

describe('SendGrid events', () => {
  it('blocks a bounce as hard_bounce with sg_event_id and the unix timestamp as ISO time', () => {
    // Prepare
    const events = [eventOf('bounce')];

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: 'example@test.com',
        reason: 'hard_bounce',
        source: 'sendgrid',
        description: 'bounce: 500 unknown recipient: 5.0.0',
        eventId: 'wMeZZPhZvsPgUP23YyDFKA==',
        occurredAt: '2018-10-13T20:25:05.000Z',
      },
    ]);
  });

  it('does not block a bounce with type blocked, even with a permanent-looking 5.x.x status', () => {
    // Prepare
    const events = fixture(BLOCKED);

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess: the 5.2.2 "over quota" block is a count-only soft bounce, never a block by itself.
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([
      ['ignore', 'processed'],
      ['block', 'soft_bounce'],
    ]);
    expect(blocks(gateDecisions(decisions, { blockReasons: new Set(REASONS) }))).toEqual([]);
  });

  it('blocks a bounce that explicitly says type bounce', () => {
    // Prepare
    const event = { ...eventOf('bounce'), type: 'bounce' };

    // Act
    const decisions = mapSendgrid([event], policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'example@test.com', reason: 'hard_bounce' }]);
  });

  it.each(['Bounced Address', 'Unsubscribed Address', 'Spam Reporting Address', 'Invalid'])(
    'labels a drop for "%s" suppressed',
    (reason) => {
      // Prepare
      const event = { ...eventOf('dropped'), reason };

      // Act
      const decisions = mapSendgrid([event], policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'example@test.com', reason: 'suppressed' }]);
    },
  );

  it.each(['Spam Content', 'Invalid SMTPAPI header', 'Recipient List over Package Quota'])(
    'ignores a drop for "%s" (about the message, not the recipient)',
    (reason) => {
      // Prepare
      const event = { ...eventOf('dropped'), reason };

      // Act
      const decisions = mapSendgrid([event], policy);

      // Assess
      expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'dropped_not_suppressed']]);
    },
  );

  it('blocks the signed single dropped body', () => {
    // Prepare
    const events = fixture(DROPPED);

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'hello@world.com', reason: 'suppressed' }]);
  });

  it.each([
    ['spamreport', 'complaint'],
    ['unsubscribe', 'unsubscribe'],
    ['group_unsubscribe', 'group_unsubscribe'],
  ])('blocks %s as %s', (name, reason) => {
    // Prepare
    const events = [eventOf(name)];

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'example@test.com', reason }]);
  });

  it.each(['processed', 'deferred', 'delivered', 'open', 'click', 'group_resubscribe'])('ignores %s', (name) => {
    // Prepare
    const events = [eventOf(name)];

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', name]]);
  });

  it('keeps one block per (contact, reason) when a batch repeats the same event', () => {
    // Prepare
    const bounce = eventOf('bounce');
    const events = [bounce, { ...bounce, email: 'EXAMPLE@test.com', sg_event_id: 'other' }];

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(only(decisions, 'block')).toHaveLength(1);
  });

  it('accepts a single event object as well as a batch', () => {
    // Prepare
    const event = eventOf('spamreport');

    // Act
    const decisions = mapSendgrid(event, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'example@test.com', reason: 'complaint' }]);
  });

  it('accounts for an empty batch with an ignore', () => {
    // Prepare
    const events: unknown[] = [];

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'ignore', reason: 'empty_batch', source: 'sendgrid', detail: 'the payload is an empty array' },
    ]);
  });

  it('rejects an element that is not an event without losing the rest of the batch', () => {
    // Prepare
    const events = [42, eventOf('unsubscribe')];

    // Act
    const decisions = mapSendgrid(events, policy);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['reject', 'block']);
  });
});
