import { describe, expect, it } from 'vitest';
import { mapCarried } from '../../../lib/providers/queue-native.js';
import { mapSnsWith } from '../../../lib/providers/sns/map.js';

const mapSns = mapSnsWith(mapCarried);
import { blocks, fixture, policy, snsEnvelope } from './helpers.js';

const LAMBDA_SNS = 'sns/powertools-lambda-sns-event-direct.json';
const SES_BOUNCE = 'ses/aws-docs-notification-bounce-without-dsn-2-recipients.json';
const SMS_INBOUND = 'aws-sms/aws-docs-two-way-sms-inbound-join.json';

describe('SNS envelopes', () => {
  it('unwraps a Notification whose Message is an SES bounce and blocks with source ses', () => {
    // Prepare
    const envelope = snsEnvelope(fixture(SES_BOUNCE));

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(blocks(decisions)).toEqual([
      { contact: 'jane@example.com', reason: 'hard_bounce' },
      { contact: 'richard@example.com', reason: 'hard_bounce' },
    ]);
    expect(decisions.every((d) => d.source === 'ses')).toBe(true);
  });

  it('keeps the SES feedback id rather than the SNS MessageId as event id', () => {
    // Prepare
    const bounce = fixture(SES_BOUNCE);
    const envelope = snsEnvelope(bounce);

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions.map((d) => d.eventId)).toEqual([bounce.bounce.feedbackId, bounce.bounce.feedbackId]);
  });

  it('falls back to the SNS MessageId when the inner event has no id of its own', () => {
    // Prepare
    const sms = fixture(SMS_INBOUND);
    delete sms.inboundMessageId;
    sms.messageBody = 'STOP';
    const envelope = snsEnvelope(sms, { MessageId: 'sns-message-1' });

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: '+14255550182',
        reason: 'sms_opt_out',
        source: 'aws-sms',
        eventId: 'sns-message-1',
      }),
    ]);
  });

  it('ignores a SubscriptionConfirmation', () => {
    // Prepare
    const envelope = snsEnvelope('You have chosen to subscribe to the topic …', {
      Type: 'SubscriptionConfirmation',
      Token:
        '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
      SubscribeURL: 'https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription',
    });

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'ignore', reason: 'subscription_confirmation', source: 'sns' }),
    ]);
  });

  it('ignores an UnsubscribeConfirmation', () => {
    // Prepare
    const envelope = snsEnvelope('You have unsubscribed', { Type: 'UnsubscribeConfirmation' });

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'ignore', reason: 'unsubscribe_confirmation' })]);
  });

  it('ignores a Notification whose Message is JSON but not an AWS opt-out event', () => {
    // Prepare
    const envelope = snsEnvelope('{"message": "hello world"}');

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'ignore',
        reason: 'unrecognised_sns_message',
        source: 'sns',
        eventId: envelope.MessageId,
      }),
    ]);
  });

  it('ignores a Notification whose Message is plain text', () => {
    // Prepare
    const envelope = snsEnvelope('Hello from SNS!');

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'ignore', reason: 'unrecognised_sns_message', detail: 'Message is not JSON' }),
    ]);
  });

  it('dead-letters a Notification without a Message string', () => {
    // Prepare
    const envelope = snsEnvelope('x');
    envelope.Message = { already: 'parsed' };

    // Act
    const decisions = mapSns(envelope, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});

describe('SNS → Lambda direct events', () => {
  it('ignores the powertools sample, whose Message is plain text', () => {
    // Prepare
    const event = fixture(LAMBDA_SNS);

    // Act
    const decisions = mapSns(event, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        reason: 'unrecognised_sns_message',
        source: 'sns',
        detail: 'Message is not JSON',
        eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
      },
    ]);
  });

  it('unwraps an SES complaint from a record with SigningCertUrl/UnsubscribeUrl casing', () => {
    // Prepare
    const event = fixture(LAMBDA_SNS);
    event.Records[0].Sns.Message = JSON.stringify(fixture('ses/aws-docs-notification-complaint-with-feedback.json'));

    // Act
    const decisions = mapSns(event, policy);

    // Assess
    expect(event.Records[0].Sns.SigningCertUrl).toBeDefined();
    expect(blocks(decisions)).toEqual([{ contact: 'richard@example.com', reason: 'complaint' }]);
  });

  it('maps every record of a multi-record event', () => {
    // Prepare
    const event = fixture(LAMBDA_SNS);
    const second = structuredClone(event.Records[0]);
    second.Sns.Message = JSON.stringify(fixture(SES_BOUNCE));
    event.Records.push(second);

    // Act
    const decisions = mapSns(event, policy);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['ignore', 'block', 'block']);
  });
});
