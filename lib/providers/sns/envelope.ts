import { detail, eventIdOf, isRecord, type JsonRecord, text } from '../shared/map.js';

/**
 * Amazon SNS envelopes, in the ways they arrive:
 * - HTTP(S) subscription body and non-raw SNS→SQS body: `{"Type","MessageId","TopicArn","Message":"<string>",
 *   "Timestamp","SignatureVersion","Signature","SigningCertURL",…}`
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html);
 * - SNS→Lambda direct: `{"Records":[{"EventSource":"aws:sns","Sns":{…same, but SigningCertUrl/UnsubscribeUrl}}]}`.
 * Unwrapping only: what the payload means is the mappers' business (lib/providers/sns/map.ts).
 * Signatures are verified by the webhook ingress (lib/providers/sns/verify.ts), not here.
 */
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

/** The ids an SNS envelope carries: its MessageId (the event id of a payload without one) and its topic. */
export interface SnsIds {
  messageId?: string | undefined;
  /** The TopicArn, cleaned and bounded for a log or a decision detail. */
  topic?: string | undefined;
}

export type UnwrappedSns =
  /** A Notification whose `Message` is JSON (SES and SMS double-encode it, often with a trailing "\n"). */
  | { kind: 'notification'; payload: unknown; ids: SnsIds }
  /** A Notification whose `Message` is not JSON (e.g. the SNS console's "Hello from SNS!" test publish). */
  | { kind: 'text'; ids: SnsIds }
  | { kind: 'subscription_confirmation' | 'unsubscribe_confirmation'; ids: SnsIds }
  /** Not a usable envelope; `why` says what is wrong. */
  | { kind: 'invalid'; why: string; ids: SnsIds };

/** One SNS envelope → its payload and ids. Total: never throws. */
export function unwrapSns(envelope: unknown): UnwrappedSns {
  if (!isRecord(envelope)) return { kind: 'invalid', why: 'an SNS message is a JSON object', ids: {} };
  const ids: SnsIds = { messageId: eventIdOf(envelope.MessageId), topic: detail(text(envelope.TopicArn)) };
  switch (envelope.Type) {
    case 'SubscriptionConfirmation':
      return { kind: 'subscription_confirmation', ids };
    case 'UnsubscribeConfirmation':
      return { kind: 'unsubscribe_confirmation', ids };
    case 'Notification': {
      if (typeof envelope.Message !== 'string')
        return { kind: 'invalid', why: 'SNS Notification without a Message string', ids };
      try {
        return { kind: 'notification', payload: JSON.parse(envelope.Message), ids };
      } catch {
        return { kind: 'text', ids };
      }
    }
    default:
      return { kind: 'invalid', why: detail('unknown SNS Type', text(envelope.Type)) ?? 'unknown SNS Type', ids };
  }
}

/** The envelopes of a Lambda SNS event (`Records[].Sns`); undefined for a record without an `Sns` object. */
export function lambdaSnsEnvelopes(event: { Records: unknown[] }): Array<JsonRecord | undefined> {
  return event.Records.map((record) => (isRecord(record) && isRecord(record.Sns) ? record.Sns : undefined));
}
