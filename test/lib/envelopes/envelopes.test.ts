import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unwrapEventBridge } from '../../../lib/providers/eventbridge/envelope.js';
import { lambdaSnsEnvelopes, unwrapSns } from '../../../lib/providers/sns/envelope.js';
import { unwrapQueueBody } from '../../../lib/envelopes/sqs.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-events';

describe('unwrapSns', () => {
  it('returns the parsed Message of a Notification with its MessageId and topic', () => {
    // Prepare
    const inner = { notificationType: 'Bounce', mail: { messageId: 'm-1' } };
    const envelope = {
      Type: 'Notification',
      MessageId: 'sns-1',
      TopicArn: TOPIC,
      Message: `${JSON.stringify(inner)}\n`,
    };

    // Act
    const unwrapped = unwrapSns(envelope);

    // Assess
    expect(unwrapped).toEqual({ kind: 'notification', payload: inner, ids: { messageId: 'sns-1', topic: TOPIC } });
  });

  it('says a Notification whose Message is not JSON is text', () => {
    // Act
    const unwrapped = unwrapSns({ Type: 'Notification', MessageId: 'sns-2', Message: 'Hello from SNS!' });

    // Assess
    expect(unwrapped.kind).toBe('text');
  });

  it('tells a subscription confirmation apart from a notification', () => {
    // Act
    const unwrapped = unwrapSns({ Type: 'SubscriptionConfirmation', MessageId: 'sns-3', TopicArn: TOPIC });

    // Assess
    expect(unwrapped).toEqual({ kind: 'subscription_confirmation', ids: { messageId: 'sns-3', topic: TOPIC } });
  });

  it('returns each Sns object of a Lambda SNS event, and undefined for a record without one', () => {
    // Prepare
    const sns = { Type: 'Notification', MessageId: 'sns-4', Message: '{}' };

    // Act
    const envelopes = lambdaSnsEnvelopes({
      Records: [{ EventSource: 'aws:sns', Sns: sns }, { EventSource: 'aws:sns' }],
    });

    // Assess
    expect(envelopes).toEqual([sns, undefined]);
  });
});

describe('unwrapEventBridge', () => {
  it('returns the detail, the source and the event id', () => {
    // Prepare
    const detail = { eventType: 'Bounce', mail: {} };

    // Act
    const unwrapped = unwrapEventBridge({
      version: '0',
      id: 'eb-1',
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      detail,
    });

    // Assess
    expect(unwrapped).toEqual({ kind: 'event', source: 'aws.ses', payload: detail, eventId: 'eb-1' });
  });

  it('says an event whose detail is not an object has no detail', () => {
    // Act
    const unwrapped = unwrapEventBridge({ id: 'eb-2', 'detail-type': 'Email Bounced', source: 'aws.ses', detail: 'x' });

    // Assess
    expect(unwrapped).toEqual({ kind: 'no_detail', source: 'aws.ses', eventId: 'eb-2' });
  });
});

describe('unwrapQueueBody', () => {
  it('recognises the normalised message by its contact', () => {
    // Act
    const unwrapped = unwrapQueueBody('{"contact":"jane@example.com","reason":"manual"}');

    // Assess
    expect(unwrapped).toEqual({ kind: 'message', message: { contact: 'jane@example.com', reason: 'manual' } });
  });

  it('hands any other JSON on as an AWS payload', () => {
    // Act
    const unwrapped = unwrapQueueBody('{"Type":"Notification"}');

    // Assess
    expect(unwrapped).toEqual({ kind: 'aws', payload: { Type: 'Notification' } });
  });

  it('says why a body that is not JSON cannot be read', () => {
    // Act
    const unwrapped = unwrapQueueBody('not json');

    // Assess
    expect(unwrapped).toEqual({ kind: 'invalid', why: 'the message body is not JSON' });
  });
});

describe('envelopes never throw', () => {
  it('for any JSON value or text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.string(),
          fc.record({
            Type: fc.constantFrom('Notification', 'SubscriptionConfirmation', 'x'),
            MessageId: fc.string(),
            Message: fc.oneof(fc.string(), fc.jsonValue()),
          }),
        ),
        (value) => {
          unwrapSns(value);
          unwrapEventBridge(value);
          unwrapQueueBody(value);
          unwrapQueueBody(JSON.stringify(value) ?? '');
          return true;
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
