import { eventIdOf, isRecord, type JsonRecord, text } from '../shared/map.js';

/**
 * Amazon EventBridge events (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html):
 * `{"version","id","detail-type","source","time","detail":{…}}`. SES publishes through a configuration-set
 * event destination of type EventBridge; `detail` is the object SES event publishing sends to SNS.
 */
export function isEventBridgeEvent(value: unknown): value is JsonRecord {
  return (
    isRecord(value) &&
    typeof value['detail-type'] === 'string' &&
    typeof value.source === 'string' &&
    Object.hasOwn(value, 'detail')
  );
}

export type UnwrappedEventBridge =
  | { kind: 'event'; source: string; payload: JsonRecord; eventId: string | undefined }
  | { kind: 'no_detail'; source: string; eventId: string | undefined }
  | { kind: 'invalid' };

/** One EventBridge event → its `detail`, its `source` and its id. Total: never throws. */
export function unwrapEventBridge(event: unknown): UnwrappedEventBridge {
  if (!isEventBridgeEvent(event)) return { kind: 'invalid' };
  const eventId = eventIdOf(event.id);
  const source = text(event.source) ?? '';
  if (!isRecord(event.detail)) return { kind: 'no_detail', source, eventId };
  return { kind: 'event', source, payload: event.detail, eventId };
}
