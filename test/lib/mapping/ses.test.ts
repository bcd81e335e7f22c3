import { describe, expect, it } from 'vitest';
import { mapSes } from '../../../lib/providers/ses/map.js';
import { blocks, fixture, only, policy } from './helpers.js';

const BOUNCE = 'ses/aws-docs-notification-bounce-with-dsn.json';
const BOUNCE_2 = 'ses/aws-docs-notification-bounce-without-dsn-2-recipients.json';
const COMPLAINT = 'ses/aws-docs-notification-complaint-with-feedback.json';
const SUBSCRIPTION = 'ses/aws-docs-event-publishing-subscription-unsubscribe-all.json';
const DELAY = 'ses/aws-docs-event-publishing-deliverydelay.json';

describe('SES bounces', () => {
  it('blocks a Permanent bounce recipient as hard_bounce with the SES feedback id, time and diagnostic', () => {
    // Prepare
    const payload = fixture(BOUNCE);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: 'jane@example.com',
        reason: 'hard_bounce',
        source: 'ses',
        description: 'Permanent/General: smtp; 550 5.1.1 <jane@example.com>... User',
        eventId: '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000',
        occurredAt: '2016-01-27T14:59:38.237Z',
      },
    ]);
  });

  it('blocks only bouncedRecipients, never the other addresses of mail.destination', () => {
    // Prepare
    const payload = fixture(BOUNCE);

    // Act
    const contacts = blocks(mapSes(payload, policy)).map((b) => b.contact);

    // Assess
    expect(payload.mail.destination).toContain('mary@example.com');
    expect(contacts).toEqual(['jane@example.com']);
  });

  it('fans out a bounce with several bouncedRecipients into one block each', () => {
    // Prepare
    const payload = fixture(BOUNCE_2);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([
      { contact: 'jane@example.com', reason: 'hard_bounce' },
      { contact: 'richard@example.com', reason: 'hard_bounce' },
    ]);
  });

  it('dedupes a recipient listed twice in one bounce', () => {
    // Prepare
    const payload = fixture(BOUNCE_2);
    payload.bounce.bouncedRecipients = [{ emailAddress: 'Jane@Example.com' }, { emailAddress: 'jane@example.com' }];

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it.each(['General', 'MessageTooLarge', 'ContentRejected', 'AttachmentRejected'])(
    'ignores a Transient/%s bounce',
    (subType) => {
      // Prepare
      const payload = fixture(BOUNCE);
      payload.bounce.bounceType = 'Transient';
      payload.bounce.bounceSubType = subType;

      // Act
      const decisions = mapSes(payload, policy);

      // Assess
      expect(decisions).toEqual([
        {
          action: 'ignore',
          reason: 'transient_bounce',
          source: 'ses',
          detail: `Transient/${subType}`,
          eventId: payload.bounce.feedbackId,
        },
      ]);
    },
  );

  it('ignores an Undetermined bounce', () => {
    // Prepare
    const payload = fixture(BOUNCE);
    payload.bounce.bounceType = 'Undetermined';
    payload.bounce.bounceSubType = 'Undetermined';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(only(decisions, 'ignore').map((d) => d.reason)).toEqual(['undetermined_bounce']);
  });

  it('ignores a Transient bounce even when its diagnostic code reads like a permanent 550', () => {
    // Prepare
    const payload = fixture(BOUNCE);
    payload.bounce.bounceType = 'Transient';
    payload.bounce.bouncedRecipients[0].diagnosticCode = 'smtp; 550 5.1.1 user unknown';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([]);
  });

  it.each(['Suppressed', 'OnAccountSuppressionList', 'NoEmail'])(
    'labels a Permanent/%s bounce hard_bounce like every Permanent subtype',
    (subType) => {
      // Prepare
      const payload = fixture(BOUNCE);
      payload.bounce.bounceSubType = subType;

      // Act
      const decisions = mapSes(payload, policy);

      // Assess
      expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
    },
  );

  it('dead-letters a bounce whose bounceType SES does not document', () => {
    // Prepare
    const payload = fixture(BOUNCE);
    payload.bounce.bounceType = 'Sideways';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });

  it('dead-letters a Permanent bounce that lists no recipient', () => {
    // Prepare
    const payload = fixture(BOUNCE);
    payload.bounce.bouncedRecipients = [];

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'invalid_contact' })]);
  });

  it('rejects a bounced recipient that is not an email address, keeping the raw value', () => {
    // Prepare
    const payload = fixture(BOUNCE);
    payload.bounce.bouncedRecipients = [{ emailAddress: 'not an address' }];

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: 'not an address' }),
    ]);
  });

  it('reads the event publishing key eventType like notificationType', () => {
    // Prepare
    const payload = fixture(BOUNCE);
    delete payload.notificationType;
    payload.eventType = 'Bounce';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });
});

describe('SES complaints', () => {
  it('blocks the complained recipient as complaint', () => {
    // Prepare
    const payload = fixture(COMPLAINT);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'richard@example.com',
        reason: 'complaint',
        eventId: '000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000',
      }),
    ]);
  });

  it('ignores a complaint whose feedback type is not-spam', () => {
    // Prepare
    const payload = fixture(COMPLAINT);
    payload.complaint.complaintFeedbackType = 'not-spam';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'ignore', reason: 'not_spam_feedback' })]);
  });

  it('blocks a complaint without a feedback type (most ISPs send none)', () => {
    // Prepare
    const payload = fixture(COMPLAINT);
    delete payload.complaint.complaintFeedbackType;

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'richard@example.com', reason: 'complaint' }]);
  });
});

describe('SES subscription events', () => {
  it('blocks mail.destination as unsubscribe when unsubscribeAll is true', () => {
    // Prepare
    const payload = fixture(SUBSCRIPTION);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'recipient@example.com',
        reason: 'unsubscribe',
        eventId: 'EXAMPLEe4bccb684-777bc8de-afa7-4970-92b0-f515137b1497-000000',
        occurredAt: '2022-01-12T01:00:17.910Z',
      }),
    ]);
  });

  it('reports a topic that changes to OptOut without unsubscribeAll as group_unsubscribe', () => {
    // Prepare
    const payload = fixture(SUBSCRIPTION);
    payload.subscription.newTopicPreferences.unsubscribeAll = false;
    payload.subscription.oldTopicPreferences.topicSubscriptionStatus[0].subscriptionStatus = 'OptIn';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'recipient@example.com', reason: 'group_unsubscribe' }]);
  });

  it('dead-letters an unsubscribeAll on a message to several destinations as ambiguous_recipient', () => {
    // Prepare
    const payload = fixture(SUBSCRIPTION);
    payload.mail.destination = ['"Jane Doe" <Jane.Doe@Example.com>', 'recipient@example.com'];

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient', eventId: payload.mail.messageId }),
    ]);
  });

  it('ignores a re-subscription (unsubscribeAll true to false) as subscription_opt_in', () => {
    // Prepare
    const payload = fixture(SUBSCRIPTION);
    payload.subscription.oldTopicPreferences.unsubscribeAll = true;
    payload.subscription.newTopicPreferences.unsubscribeAll = false;

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'ignore', reason: 'subscription_opt_in' })]);
  });

  it('ignores a topic that changes to OptIn as subscription_opt_in', () => {
    // Prepare
    const payload = fixture(SUBSCRIPTION);
    payload.subscription.newTopicPreferences.unsubscribeAll = false;
    payload.subscription.newTopicPreferences.topicSubscriptionStatus[0].subscriptionStatus = 'OptIn';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'ignore', reason: 'subscription_opt_in' })]);
  });

  it('ignores a subscription change that opts out of nothing new', () => {
    // Prepare
    const payload = fixture(SUBSCRIPTION);
    payload.subscription.newTopicPreferences.unsubscribeAll = false;

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'ignore', reason: 'subscription_without_opt_out' })]);
  });
});

describe('SES events that are not opt-outs', () => {
  it('ignores DeliveryDelay even though it lists the delayed recipient', () => {
    // Prepare
    const payload = fixture(DELAY);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        reason: 'delivery_delay',
        source: 'ses',
        detail: 'SES DeliveryDelay',
        eventId: payload.mail.messageId,
      },
    ]);
  });

  it.each([
    ['Delivery', 'delivery'],
    ['Send', 'send'],
    ['Open', 'open'],
    ['Click', 'click'],
    ['Reject', 'rejected_by_ses'],
    ['Rendering Failure', 'rendering_failure'],
    ['AmazonSnsSubscriptionSucceeded', 'ses_subscription_test'],
  ])('ignores %s with reason %s', (kind, reason) => {
    // Prepare
    const payload = fixture(DELAY);
    payload.eventType = kind;

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', reason]]);
  });

  it('treats a type name inherited from Object.prototype as an unknown event, not a lookup hit', () => {
    // Prepare
    const payload = fixture(DELAY);
    payload.eventType = 'toString';

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'not_an_opt_out_event']]);
  });

  it('rejects an object with neither notificationType nor eventType', () => {
    // Prepare
    const payload = { mail: {} };

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});
