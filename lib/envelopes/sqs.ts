import { isRecord, type JsonRecord } from '../providers/shared/map.js';

/**
 * Amazon SQS: the body of one message on the block queue, and Lambda's SQS event
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). A body is either the normalised block
 * request (docs/configuration.md "Queue message", decoded by lib/queue/message.ts) or an AWS payload delivered to the
 * queue directly (SNS envelope, raw SES event, EventBridge event, SMS message).
 */
export type UnwrappedQueueBody =
  | { kind: 'message'; message: JsonRecord }
  | { kind: 'aws'; payload: unknown }
  | { kind: 'invalid'; why: string };

/** One SQS message body → the normalised message or the AWS payload it holds. Total: never throws. */
export function unwrapQueueBody(body: unknown): UnwrappedQueueBody {
  if (typeof body !== 'string') return { kind: 'invalid', why: 'the message body is not text' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'invalid', why: 'the message body is not JSON' };
  }
  // The normalised message is the only shape with a top-level `contact`.
  if (isRecord(parsed) && Object.hasOwn(parsed, 'contact')) return { kind: 'message', message: parsed };
  return { kind: 'aws', payload: parsed };
}

/** A Lambda SQS event: `{"Records":[{"eventSource":"aws:sqs","messageId","body",…}]}`. */
export function isLambdaSqsEvent(payload: unknown): payload is { Records: JsonRecord[] } {
  return (
    isRecord(payload) &&
    Array.isArray(payload.Records) &&
    payload.Records.length > 0 &&
    payload.Records.every((r) => isRecord(r) && r.eventSource === 'aws:sqs')
  );
}
