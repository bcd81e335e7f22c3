import type { Decision } from '../../types.js';
import { mapAwsEvent } from '../../sources/aws-native.js';
import { lambdaSnsEnvelopes, unwrapSns } from '../../envelopes/sns.js';
import { eachEvent, ignore, isRecord, reject, withEventId } from '../shared/map.js';
import type { MappingPolicy } from '../types.js';

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

export { isLambdaSnsEvent, isSnsEnvelope } from '../../envelopes/sns.js';

export function mapSns(payload: unknown, policy: MappingPolicy): Decision[] {
  if (isRecord(payload) && Array.isArray(payload.Records)) {
    return eachEvent(lambdaSnsEnvelopes({ Records: payload.Records }), SOURCE, (envelope) =>
      envelope !== undefined
        ? mapEnvelope(envelope, policy)
        : [reject('unrecognised_event', SOURCE, 'Lambda record without an Sns object')],
    );
  }
  return mapEnvelope(payload, policy);
}

function mapEnvelope(envelope: unknown, policy: MappingPolicy): Decision[] {
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
      const decisions = mapAwsEvent(unwrapped.payload, policy);
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
