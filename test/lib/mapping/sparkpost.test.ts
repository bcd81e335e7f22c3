import { describe, expect, it } from 'vitest';
import { mapSparkpost } from '../../../lib/providers/sparkpost/map.js';
import { blocks, fixture, policy } from './helpers.js';

const BOUNCE = 'sparkpost/anymail-sparkpost-bounce-class-10.json';

function withEvent(change: Record<string, unknown>, group = 'message_event'): unknown[] {
  const body = fixture(BOUNCE);
  const event = { ...body[0].msys.message_event, ...change };
  return [{ msys: { [group]: event } }];
}

describe('SparkPost events', () => {
  it('blocks a bounce of class 10 with event_id and timestamp', () => {
    // Prepare
    const body = fixture(BOUNCE);

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'bounce@example.com',
        reason: 'hard_bounce',
        eventId: '84345317653491230',
        occurredAt: '2016-06-01T23:42:28.000Z',
      }),
    ]);
  });

  it.each(['30'])('blocks bounce class %s as hard_bounce', (bounceClass) => {
    // Prepare
    const body = withEvent({ bounce_class: bounceClass });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'hard_bounce' }]);
  });

  it('labels bounce class 90 (the recipient asked to be unsubscribed) unsubscribe', () => {
    // Prepare
    const body = withEvent({ bounce_class: '90' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'unsubscribe' }]);
  });

  it('ignores an admin bounce (class 25) that is a sending policy, not a suppression', () => {
    // Prepare
    const body = withEvent({
      bounce_class: '25',
      reason: '554 5.7.1 [internal] Message generation rejected: sending limit exceeded',
      raw_reason: '554 5.7.1 [internal] Message generation rejected: sending limit exceeded',
    });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'admin_failure']]);
  });

  it('labels admin bounce class 25 suppressed when the recipient is on a suppression list', () => {
    // Prepare
    const body = withEvent({
      bounce_class: '25',
      reason: '554 5.7.1 recipient address was suppressed due to customer policy (Unsubscribe Rule)',
      raw_reason: '554 5.7.1 recipient address was suppressed due to customer policy (Unsubscribe Rule)',
    });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'suppressed' }]);
  });

  it.each(['1', '20', '21', '23', '24', '40', '50', '51', '52', '53', '54', '60', '70', '80', '100'])(
    'does not block bounce class %s',
    (bounceClass) => {
      // Prepare
      const body = withEvent({ bounce_class: bounceClass });

      // Act
      const decisions = mapSparkpost(body, policy);

      // Assess
      expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'not_a_hard_bounce']]);
    },
  );

  it('reports bounce class 22 (mailbox full) as a count-only soft_bounce with the sent message as event id', () => {
    // Prepare
    const body = withEvent({ bounce_class: '22', reason: '452 4.2.2 Mailbox full' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'bounce@example.com',
        reason: 'soft_bounce',
        eventId: '0004e3724f57753a3561',
      }),
    ]);
  });

  describe('rejections caused by a suppression list (issue 9 item 12)', () => {
    const ANYMAIL_GENERATION_REJECTION = {
      type: 'generation_rejection',
      error_code: '554',
      event_id: '102360394390563734',
      message_id: '0005c29950577c61695d',
      raw_rcpt_to: 'suppressed@example.com',
      raw_reason: '554 5.7.1 recipient address suppressed due to customer policy',
      rcpt_to: 'suppressed@example.com',
      reason: '554 5.7.1 recipient address suppressed due to customer policy',
      timestamp: '1464900034',
      transmission_id: '102360394387646691',
    };

    it('blocks a generation rejection of a suppressed recipient as suppressed', () => {
      // Act
      const decisions = mapSparkpost([{ msys: { gen_event: ANYMAIL_GENERATION_REJECTION } }], policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'suppressed@example.com', reason: 'suppressed' }]);
    });

    it('blocks a policy rejection of a recipient on the system suppression list as suppressed', () => {
      // Prepare
      const event = {
        ...ANYMAIL_GENERATION_REJECTION,
        type: 'policy_rejection',
        bounce_class: '25',
        reason: '554 5.7.1 recipient address was suppressed due to system policy',
        raw_reason: '554 5.7.1 recipient address was suppressed due to system policy',
      };

      // Act
      const decisions = mapSparkpost([{ msys: { message_event: event } }], policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'suppressed@example.com', reason: 'suppressed' }]);
    });

    it.each([
      ['generation_rejection', 'gen_event', '554 5.7.1 [internal] Message generation rejected'],
      [
        'generation_failure',
        'gen_event',
        '554 5.3.3 [internal] Error while rendering part html: substitution value missing',
      ],
      ['policy_rejection', 'message_event', '550 5.7.1 [internal] Exceed Sending Limit (daily)'],
      ['policy_rejection', 'message_event', '554 5.7.1 [internal] Campaign id too long'],
    ])('ignores a %s that is not about a suppression list (%s: %s)', (type, group, reason) => {
      // Prepare
      const event = { ...ANYMAIL_GENERATION_REJECTION, type, reason, raw_reason: reason };

      // Act
      const decisions = mapSparkpost([{ msys: { [group]: event } }], policy);

      // Assess
      expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', type]]);
    });
  });

  it('blocks an out_of_band bounce of class 10', () => {
    // Prepare
    const body = withEvent({ type: 'out_of_band' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'hard_bounce' }]);
  });

  it('blocks a spam_complaint as complaint', () => {
    // Prepare
    const body = withEvent({ type: 'spam_complaint', fbtype: 'abuse' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'complaint' }]);
  });

  it.each(['list_unsubscribe', 'link_unsubscribe'])('blocks %s as unsubscribe', (type) => {
    // Prepare
    const body = withEvent({ type }, 'unsubscribe_event');

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'unsubscribe' }]);
  });

  it('ignores a delay', () => {
    // Prepare
    const body = withEvent({ type: 'delay', bounce_class: undefined });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'delay']]);
  });

  it('ignores the webhook test ping [{"msys":{}}]', () => {
    // Prepare
    const body = [{ msys: {} }];

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions).toEqual([{ action: 'ignore', reason: 'ping', source: 'sparkpost', detail: 'webhook test ping' }]);
  });
});
