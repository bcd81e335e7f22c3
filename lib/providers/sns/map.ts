import type { Decision } from '../../types.js';
import { mapAwsEvent } from '../../sources/aws-native.js';
import { detail, eachEvent, eventIdOf, ignore, isRecord, type JsonRecord, reject, text, withEventId } from '../shared/map.js';
import type { MappingPolicy } from '../types.js';

/**
 * Amazon SNS envelopes (research/event-sources.md §1.1), in the three ways they arrive:
 * - HTTP(S) subscription body and non-raw SNS→SQS body: `{"Type","MessageId","TopicArn","Message":"<string>",
 *   "Timestamp","SignatureVersion","Signature","SigningCertURL",…}` (SNSDG sns-message-and-json-formats.md);
 * - SNS→Lambda direct: `{"Records":[{"EventSource":"aws:sns","Sns":{…same, but SigningCertUrl/UnsubscribeUrl}}]}`.
 * A `Notification`'s `Message` is a string holding JSON for SES/SMS (double-encoded, often ending in "\n"):
 * it is parsed and handed to the AWS-native mappers, whose decisions keep their own source (`ses`,
 * `aws-sms`) and fall back to the SNS MessageId as event id. Subscription/unsubscribe confirmations and
 * messages that are not AWS opt-out payloads are ignored with a reason, never failed (§1.1).
 * Signatures are verified by the webhook ingress, not here (mapping is pure).
 */
const SOURCE = 'sns';
const ENVELOPE_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

export function isSnsEnvelope(value: unknown): value is JsonRecord {
  return (
    isRecord(value) &&
    typeof value.Type === 'string' &&
    ENVELOPE_TYPES.has(value.Type) &&
    (typeof value.MessageId === 'string' || typeof value.TopicArn === 'string')
  );
}

export function isLambdaSnsEvent(value: unknown): value is JsonRecord & { Records: unknown[] } {
  if (!isRecord(value) || !Array.isArray(value.Records) || value.Records.length === 0) return false;
  return value.Records.every((r) => isRecord(r) && r.EventSource === 'aws:sns');
}

export function mapSns(payload: unknown, policy: MappingPolicy): Decision[] {
  if (isRecord(payload) && Array.isArray(payload.Records)) {
    return eachEvent(payload.Records, SOURCE, (record) =>
      isRecord(record) && isRecord(record.Sns) ? mapEnvelope(record.Sns, policy) : [reject('unrecognised_event', SOURCE, 'Lambda record without an Sns object')],
    );
  }
  return mapEnvelope(payload, policy);
}

function mapEnvelope(envelope: unknown, policy: MappingPolicy): Decision[] {
  if (!isRecord(envelope)) return [reject('unrecognised_event', SOURCE, 'an SNS message is a JSON object')];
  const messageId = eventIdOf(envelope.MessageId);
  const topic = detail(text(envelope.TopicArn));
  switch (envelope.Type) {
    // The ingress confirms HTTPS subscriptions itself; on a queue a confirmation is just noise.
    case 'SubscriptionConfirmation':
      return [ignore('subscription_confirmation', SOURCE, topic, messageId)];
    case 'UnsubscribeConfirmation':
      return [ignore('unsubscribe_confirmation', SOURCE, topic, messageId)];
    case 'Notification':
      return mapNotification(envelope, messageId, policy);
    default:
      return [reject('unrecognised_event', SOURCE, detail('unknown SNS Type', text(envelope.Type)), { eventId: messageId })];
  }
}

function mapNotification(envelope: JsonRecord, messageId: string | undefined, policy: MappingPolicy): Decision[] {
  if (typeof envelope.Message !== 'string') return [reject('unrecognised_event', SOURCE, 'SNS Notification without a Message string', { eventId: messageId })];
  let inner: unknown;
  try {
    inner = JSON.parse(envelope.Message);
  } catch {
    // e.g. the SNS console's "Hello from SNS!" test publish.
    return [ignore('unrecognised_sns_message', SOURCE, 'Message is not JSON', messageId)];
  }
  const decisions = mapAwsEvent(inner, policy);
  if (decisions === undefined) return [ignore('unrecognised_sns_message', SOURCE, 'Message is JSON but not an SES, EventBridge or SMS event', messageId)];
  return withEventId(decisions, messageId);
}
