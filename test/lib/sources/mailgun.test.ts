import { describe, expect, it } from 'vitest';
import { mapMailgun } from '../../../lib/sources/mailgun.js';
import { blocks, fixture, policy } from './helpers.js';

const SUPPRESS_BOUNCE = 'mailgun/mailgun-docs-event-data-failed-permanent-suppress-bounce.json';
const DELAYED_BOUNCE = 'mailgun/mailgun-docs-event-data-failed-permanent-delayed-bounce.json';
const TEMPORARY = 'mailgun/mailgun-docs-event-data-failed-temporary.json';
const UNSUBSCRIBED = 'mailgun/mailgun-docs-event-data-unsubscribed.json';
const COMPLAINED = 'mailgun/mailgun-docs-event-data-complained.json';

function webhook(eventData: unknown): Record<string, unknown> {
  return { signature: { timestamp: '1529006854', token: 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0', signature: 'd2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55' }, 'event-data': eventData };
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
    const form = { event: 'bounced', recipient: 'alice@example.com', code: '550', error: '5.1.1 The email account does not exist', timestamp: '1403645220', token: '5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6', signature: '9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33', 'Message-Id': '<20140624213500.1.A@example.com>' };

    // Act
    const decisions = mapMailgun(form, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'block', contact: 'alice@example.com', reason: 'hard_bounce', eventId: '<20140624213500.1.A@example.com>', occurredAt: '2014-06-24T21:27:00.000Z' }),
    ]);
  });
});
