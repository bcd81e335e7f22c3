import { describe, expect, it } from 'vitest';
import { mapMailgun } from '../../../lib/providers/mailgun/map.js';
import { blocks, fixture, policy } from './helpers.js';

const SUPPRESS_BOUNCE = 'mailgun/mailgun-docs-event-data-failed-permanent-suppress-bounce.json';
const DELAYED_BOUNCE = 'mailgun/mailgun-docs-event-data-failed-permanent-delayed-bounce.json';
const TEMPORARY = 'mailgun/mailgun-docs-event-data-failed-temporary.json';
const UNSUBSCRIBED = 'mailgun/mailgun-docs-event-data-unsubscribed.json';
const COMPLAINED = 'mailgun/mailgun-docs-event-data-complained.json';

function webhook(eventData: unknown): Record<string, unknown> {
  return {
    signature: {
      timestamp: '1529006854',
      token: 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0',
      signature: 'd2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55',
    },
    'event-data': eventData,
  };
}

describe('Mailgun webhooks', () => {
  it('blocks event-data.recipient of a permanent failure, not message.headers.to', () => {
    // Prepare
    const body = webhook(fixture(SUPPRESS_BOUNCE));

    // Act
    const decisions = mapMailgun(body, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: 'slava@mailgun.com',
        reason: 'hard_bounce',
        source: 'mailgun',
        description: 'failed/permanent (suppress-bounce): 605 Not delivering to previously bounced address',
        eventId: 'pl271FzxTTmGRW8Uj3dUWw',
        occurredAt: '2018-06-22T21:12:49.818Z',
      },
    ]);
  });

  it('maps the bare event-data object like the wrapped webhook', () => {
    // Prepare
    const eventData = fixture(SUPPRESS_BOUNCE);

    // Act
    const decisions = mapMailgun(eventData, policy);

    // Assess
    expect(decisions).toEqual(mapMailgun(webhook(eventData), policy));
  });

  it('blocks a delayed permanent bounce whose reason is generic', () => {
    // Prepare
    const body = webhook(fixture(DELAYED_BOUNCE));

    // Act
    const decisions = mapMailgun(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'christest123@test.com', reason: 'hard_bounce' }]);
  });

  it('ignores a temporary failure', () => {
    // Prepare
    const body = webhook(fixture(TEMPORARY));

    // Act
    const decisions = mapMailgun(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'temporary_failure']]);
  });

  it('ignores a temporary failure even when its SMTP code is 550', () => {
    // Prepare
    const eventData = fixture(TEMPORARY);
    eventData['delivery-status'].code = 550;
    eventData['delivery-status'].message = '550 5.1.1 user unknown';

    // Act
    const decisions = mapMailgun(webhook(eventData), policy);

    // Assess
    expect(blocks(decisions)).toEqual([]);
  });

  it('dead-letters a failed event without a severity', () => {
    // Prepare
    const eventData = fixture(SUPPRESS_BOUNCE);
    delete eventData.severity;

    // Act
    const decisions = mapMailgun(webhook(eventData), policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });

  it('blocks unsubscribed as unsubscribe', () => {
    // Prepare
    const body = webhook(fixture(UNSUBSCRIBED));

    // Act
    const decisions = mapMailgun(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'recipient@example.com', reason: 'unsubscribe' }]);
  });

  it('blocks complained as complaint', () => {
    // Prepare
    const body = webhook(fixture(COMPLAINED));

    // Act
    const decisions = mapMailgun(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'foo@example.com', reason: 'complaint' }]);
  });

  it('ignores delivered', () => {
    // Prepare
    const eventData = { ...fixture(COMPLAINED), event: 'delivered' };

    // Act
    const decisions = mapMailgun(webhook(eventData), policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'delivered']]);
  });

  it('blocks a legacy form-encoded bounced post', () => {
    // Prepare
    const form = {
      event: 'bounced',
      recipient: 'alice@example.com',
      code: '550',
      error: '5.1.1 The email account does not exist',
      timestamp: '1403645220',
      token: '5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6',
      signature: '9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33',
      'Message-Id': '<20140624213500.1.A@example.com>',
    };

    // Act
    const decisions = mapMailgun(form, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'alice@example.com',
        reason: 'hard_bounce',
        eventId: '<20140624213500.1.A@example.com>',
        occurredAt: '2014-06-24T21:27:00.000Z',
      }),
    ]);
  });

  describe('permanent failures block only when the recipient address is at fault (issue 9 item 11)', () => {
    function permanent(reason: string, status: Record<string, unknown>): Record<string, unknown> {
      const eventData = fixture(DELAYED_BOUNCE);
      delete eventData.flags;
      eventData.reason = reason;
      eventData['delivery-status'] = status;
      return webhook(eventData);
    }

    it('labels an address already on the complaint list a complaint', () => {
      // Prepare
      const body = permanent('suppress-complaint', {
        code: 607,
        message: 'Not delivering to a user who marked your messages as spam',
        description: '',
      });

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'christest123@test.com', reason: 'complaint' }]);
    });

    it('labels an address already on the unsubscribe list an unsubscribe', () => {
      // Prepare
      const body = permanent('suppress-unsubscribe', {
        code: 606,
        message: 'Not delivering to unsubscribed address',
        description: '',
      });

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'christest123@test.com', reason: 'unsubscribe' }]);
    });

    it('ignores a message that reached its retry limit (reason old)', () => {
      // Prepare
      const body = permanent('old', { code: 498, message: 'Too old', description: '', 'attempt-no': 9 });

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'retry_limit_reached']]);
    });

    it('ignores an ESP block, even with a 5xx code', () => {
      // Prepare
      const body = permanent('espblock', {
        code: 550,
        'enhanced-code': '5.7.1',
        message: '5.7.1 Sending domain blocked by the ESP',
        description: '',
      });

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'esp_block']]);
    });

    it.each([
      [
        'a spam/policy rejection (5.7.1)',
        { code: 550, 'enhanced-code': '5.7.1', message: '5.7.1 Message rejected as spam by Content Filtering' },
      ],
      [
        'a sender reputation block (5.7.606)',
        { code: 550, 'enhanced-code': '5.7.606', message: '5.7.606 Access denied, banned sending IP' },
      ],
      ['a routing failure (5.4.4)', { code: 550, 'enhanced-code': '5.4.4', message: '5.4.4 Unable to route' }],
      [
        'a message too large for the server (5.3.4)',
        { code: 552, 'enhanced-code': '5.3.4', message: '5.3.4 Message size exceeds fixed limit' },
      ],
      [
        'a DMARC rejection found only in the text',
        {
          code: 550,
          message: "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy",
        },
      ],
    ])('ignores a permanent bounce that is about the sender: %s', (_name, status) => {
      // Prepare
      const body = permanent('bounce', status);

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'not_recipient_address']]);
    });

    it.each([
      [
        'an unknown mailbox (5.1.1)',
        {
          code: 550,
          'enhanced-code': '5.1.1',
          message: '5.1.1 The email account that you tried to reach does not exist.',
        },
      ],
      ['a bad destination domain (5.1.2)', { code: 550, 'enhanced-code': '5.1.2', message: 'Domain does not exist' }],
      [
        'a disabled mailbox (5.2.1)',
        { code: 550, 'enhanced-code': '5.2.1', message: 'The email account that you tried to reach is disabled.' },
      ],
      [
        'an unknown mailbox named only in the text',
        { code: 550, message: '550-5.1.1 The email account that you tried to reach does not exist.' },
      ],
    ])('blocks a permanent bounce of the recipient address: %s', (_name, status) => {
      // Prepare
      const body = permanent('bounce', status);

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'christest123@test.com', reason: 'hard_bounce' }]);
    });

    it('counts a permanent "mailbox full" (5.2.2) as a soft bounce: RFC 3463 calls it a persistent transient failure', () => {
      // Prepare
      const body = permanent('bounce', {
        code: 552,
        'enhanced-code': '5.2.2',
        message: '5.2.2 The email account that you tried to reach is over quota.',
      });

      // Act
      const decisions = mapMailgun(body, policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'christest123@test.com', reason: 'soft_bounce' }]);
    });
  });

  describe('legacy dropped events are labelled by what their code means (issue 9 item 11)', () => {
    const legacy = (fields: Record<string, string>) => ({
      event: 'dropped',
      recipient: 'alice@example.com',
      timestamp: '1403645220',
      token: 't',
      signature: 's',
      'Message-Id': '<m@example.com>',
      ...fields,
    });

    it('labels code 607 (marked as spam) a complaint', () => {
      expect(
        blocks(
          mapMailgun(
            legacy({
              reason: 'hardfail',
              code: '607',
              description: 'Not delivering to a user who marked your messages as spam',
            }),
            policy,
          ),
        ),
      ).toEqual([{ contact: 'alice@example.com', reason: 'complaint' }]);
    });

    it('labels code 606 (unsubscribed) an unsubscribe', () => {
      expect(
        blocks(
          mapMailgun(
            legacy({ reason: 'hardfail', code: '606', description: 'Not delivering to unsubscribed address' }),
            policy,
          ),
        ),
      ).toEqual([{ contact: 'alice@example.com', reason: 'unsubscribe' }]);
    });

    it('labels code 605 (previously bounced) a hard bounce', () => {
      expect(
        blocks(
          mapMailgun(
            legacy({ reason: 'hardfail', code: '605', description: 'Not delivering to previously bounced address' }),
            policy,
          ),
        ),
      ).toEqual([{ contact: 'alice@example.com', reason: 'hard_bounce' }]);
    });

    it.each(['maxfails', 'old'])('ignores a message dropped for %s (retries exhausted)', (reason) => {
      expect(
        mapMailgun(legacy({ reason, code: '', description: 'Too many failures' }), policy).map((d) => [
          d.action,
          d.reason,
        ]),
      ).toEqual([['ignore', 'retry_limit_reached']]);
    });
  });

  describe('soft bounces that count towards SOFT_BOUNCE_POLICY', () => {
    it('reports a temporary "mailbox full" failure as soft_bounce, with the sent message as event id', () => {
      // Prepare
      const eventData = fixture(TEMPORARY);
      eventData['delivery-status'] = {
        code: 452,
        'enhanced-code': '4.2.2',
        message: '4.2.2 The email account that you tried to reach is over quota.',
      };

      // Act
      const decisions = mapMailgun(webhook(eventData), policy);

      // Assess
      expect(decisions).toEqual([
        expect.objectContaining({
          action: 'block',
          contact: 'test@test.com',
          reason: 'soft_bounce',
          eventId: '20221006142837.1618e01bf42da9fa@test.com',
        }),
      ]);
    });

    it('does not count a temporary failure about the sender (too many connections)', () => {
      expect(blocks(mapMailgun(webhook(fixture(TEMPORARY)), policy))).toEqual([]);
    });
  });
});
