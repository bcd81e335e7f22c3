import type { Decision } from '../../types.js';
import { isLambdaSnsEvent, isSnsEnvelope, lambdaSnsEnvelopes, unwrapSns } from './envelope.js';
import { eachEvent, ignore, isRecord, reject, withEventId } from '../shared/map.js';
import type { CarriedMapper, Mapper, MappingPolicy, QueueNative } from '../types.js';

/**
 * Amazon SNS envelopes, in the three ways they arrive:
 * - HTTP(S) subscription body and non-raw SNS→SQS body: `{"Type","MessageId","TopicArn","Message":"<string>",
 *   "Timestamp","SignatureVersion","Signature","SigningCertURL",…}` (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html);
 * - SNS→Lambda direct: `{"Records":[{"EventSource":"aws:sns","Sns":{…same, but SigningCertUrl/UnsubscribeUrl}}]}`.
 * A `Notification`'s `Message` is a string holding JSON for SES/SMS (double-encoded, often ending in "\n"):
 * it is parsed and handed to the AWS-native mappers, whose decisions keep their own source (`ses`,
 * `aws-sms`) and fall back to the SNS MessageId as event id. Subscription/unsubscribe confirmations and
 * messages that are not AWS opt-out payloads are ignored with a reason, never failed (§1.1).
 * Unwrapping is lib/envelopes/sns.ts; signatures are verified by the webhook ingress (./verify.ts).
 */
const SOURCE = 'sns';

export { isLambdaSnsEvent, isSnsEnvelope };

/**
 * The SNS mapper, given the mapper of what a Notification may carry (the registry's list in
 * lib/providers/queue-native.ts, handed in so that this folder names no other provider).
 */
export function mapSnsWith(mapCarried: CarriedMapper): Mapper {
  return (payload, policy) => {
    if (isRecord(payload) && Array.isArray(payload.Records)) {
      return eachEvent(lambdaSnsEnvelopes({ Records: payload.Records }), SOURCE, (envelope) =>
        envelope !== undefined
          ? mapEnvelope(envelope, policy, mapCarried)
          : [reject('unrecognised_event', SOURCE, 'Lambda record without an Sns object')],
      );
    }
    return mapEnvelope(payload, policy, mapCarried);
  };
}

/** SNS envelopes (non-raw delivery) and SNS→Lambda events on the queue, around what they carry. */
export function snsQueueNative(mapCarried: CarriedMapper): QueueNative {
  return { detect: (p) => isSnsEnvelope(p) || isLambdaSnsEvent(p), map: mapSnsWith(mapCarried) };
}

function mapEnvelope(envelope: unknown, policy: MappingPolicy, mapCarried: CarriedMapper): Decision[] {
  const unwrapped = unwrapSns(envelope);
  const { messageId, topic } = unwrapped.ids;
  switch (unwrapped.kind) {
    // The ingress confirms HTTPS subscriptions itself; on a queue a confirmation is just noise.
    case 'subscription_confirmation':
      return [ignore('subscription_confirmation', SOURCE, topic, messageId)];
    case 'unsubscribe_confirmation':
      return [ignore('unsubscribe_confirmation', SOURCE, topic, messageId)];
    case 'text':
      return [ignore('unrecognised_sns_message', SOURCE, 'Message is not JSON', messageId)];
    case 'invalid':
      return [reject('unrecognised_event', SOURCE, unwrapped.why, { eventId: messageId })];
    case 'notification': {
      const decisions = mapCarried(unwrapped.payload, policy);
      if (decisions === undefined)
        return [
          ignore(
            'unrecognised_sns_message',
            SOURCE,
            'Message is JSON but not an SES, EventBridge or SMS event',
            messageId,
          ),
        ];
      return withEventId(decisions, messageId);
    }
  }
}
