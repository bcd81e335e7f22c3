import { describe, expect, it } from 'vitest';
import { mapAwsNative, mapQueueBody } from '../../../lib/mapping/index.js';
import { detectSource, mapProvider, PROVIDERS } from '../../../lib/mapping/provider.js';
import { blocks, fixture, policy, snsEnvelope } from './helpers.js';

const SES_BOUNCE = 'ses/aws-docs-notification-bounce-with-dsn.json';

describe('mapQueueBody', () => {
  it('blocks a normalised message with source queue and reason manual by default', () => {
    // Prepare
    const body = JSON.stringify({ contact: 'jane@example.com' });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([{ action: 'block', contact: 'jane@example.com', reason: 'manual', source: 'queue' }]);
  });

  it('keeps the source a re-queued message already names', () => {
    // Prepare
    const body = JSON.stringify({ contact: 'jane@example.com', reason: 'hard_bounce', source: 'ses', eventId: 'f-1' });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'block', contact: 'jane@example.com', reason: 'hard_bounce', source: 'ses', eventId: 'f-1' },
    ]);
  });

  it('rejects a normalised message with a bad field as malformed_message', () => {
    // Prepare
    const body = JSON.stringify({ contact: 'jane@example.com', occurredAt: 'yesterday' });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'malformed_message', source: 'queue' }),
    ]);
  });

  it('rejects a body that is not JSON as unrecognised_event', () => {
    // Prepare
    const body = 'contact=jane@example.com';

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'reject', reason: 'unrecognised_event', source: 'queue', detail: 'the message body is not JSON' },
    ]);
  });

  it('maps a raw-delivery SES body', () => {
    // Prepare
    const body = JSON.stringify(fixture(SES_BOUNCE));

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it('maps an SNS-wrapped SES body', () => {
    // Prepare
    const body = JSON.stringify(snsEnvelope(fixture(SES_BOUNCE)));

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it('ignores an SNS SubscriptionConfirmation body', () => {
    // Prepare
    const body = JSON.stringify(
      snsEnvelope('confirm', {
        Type: 'SubscriptionConfirmation',
        Token: 't',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
      }),
    );

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'subscription_confirmation']]);
  });

  it('maps an AWS SMS inbound STOP body', () => {
    // Prepare
    const body = JSON.stringify({
      ...fixture('aws-sms/aws-docs-two-way-sms-inbound-join.json'),
      messageKeyword: 'STOP',
      messageBody: 'stop',
    });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: '+14255550182', reason: 'sms_opt_out' }]);
  });

  it('rejects a provider webhook body that was put on the queue unmapped', () => {
    // Prepare
    const body = JSON.stringify(fixture('sendgrid/sendgrid-nodejs-example-event-notification-all-types.json'));

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});

describe('mapAwsNative', () => {
  it('maps an EventBridge-wrapped SES bounce', () => {
    // Prepare
    const payload = {
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      id: 'eb-1',
      detail: { ...fixture(SES_BOUNCE), eventType: 'Bounce' },
    };

    // Act
    const decisions = mapAwsNative(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it('rejects anything that is not an AWS payload as unrecognised_event', () => {
    // Prepare
    const payload = { hello: 'world' };

    // Act
    const decisions = mapAwsNative(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});

describe('mapProvider', () => {
  it('maps with the named provider', () => {
    // Prepare
    const payload = fixture('postmark/spatie-postmark-spamcomplaint.json');

    // Act
    const decisions = mapProvider('postmark', payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'john@example.com', reason: 'complaint' }]);
  });

  it('rejects a payload given to the wrong provider instead of guessing', () => {
    // Prepare
    const payload = fixture('postmark/spatie-postmark-spamcomplaint.json');

    // Act
    const decisions = mapProvider('sendgrid', payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'unrecognised_event', source: 'sendgrid' }),
    ]);
  });

  it('lists the thirteen webhook providers plus the AWS sources', () => {
    // Assess
    expect([...PROVIDERS].sort()).toEqual([
      'aws-sms',
      'brevo',
      'generic',
      'mailgun',
      'mandrill',
      'postmark',
      'resend',
      'sendgrid',
      'ses',
      'sns',
      'sparkpost',
      'twilio',
      'vonage',
    ]);
  });
});

describe('detectSource', () => {
  it.each([
    [{ Type: 'Notification', MessageId: 'm', Message: '{}' }, 'sns'],
    [{ 'detail-type': 'Email Bounced', source: 'aws.ses', detail: {} }, 'eventbridge'],
    [{ notificationType: 'Bounce', mail: {} }, 'ses'],
    [{ originationNumber: '+14255550182', messageBody: 'STOP' }, 'aws-sms'],
    [[{ email: 'a@example.com', event: 'bounce', sg_event_id: 'x' }], 'sendgrid'],
    [{ From: '+14158675309', Body: 'STOP', AccountSid: 'AC1' }, 'twilio'],
    [{ signature: {}, 'event-data': {} }, 'mailgun'],
    [{ event: 'failed', recipient: 'a@example.com', id: 'x' }, 'mailgun'],
    [{ RecordType: 'Bounce' }, 'postmark'],
    [{ event: 'hard_bounce', email: 'a@example.com', 'message-id': '<x>' }, 'brevo'],
    [{ mandrill_events: '[]' }, 'mandrill'],
    [[{ event: 'hard_bounce', msg: { email: 'a@example.com' } }], 'mandrill'],
    [[{ msys: {} }], 'sparkpost'],
    [{ type: 'email.bounced', data: {} }, 'resend'],
    [{ msisdn: '447700900001', text: 'STOP' }, 'vonage'],
    [{ contact: 'a@example.com' }, 'generic'],
  ])('recognises %j as %s', (payload, source) => {
    // Act
    const detected = detectSource(payload);

    // Assess
    expect(detected).toBe(source);
  });

  it.each([[{ hello: 'world' }], [[]], ['text'], [42], [null]])('recognises nothing in %j', (payload) => {
    // Act
    const detected = detectSource(payload);

    // Assess
    expect(detected).toBeUndefined();
  });
});
