import type { Decision } from '../../types.js';
import { eventIdOf, isRecord, type JsonRecord, reject, text, withEventId } from '../shared/map.js';
import { mapSes } from '../ses/map.js';
import type { MappingPolicy } from '../types.js';

/**
 * SES events routed through Amazon EventBridge (a configuration-set event destination of type EventBridge):
 * `{"version","id","detail-type":"Email Bounced"|"Email Complaint Received"|…,"source":"aws.ses","time",
 * "detail":{<the same object event publishing sends to SNS, with eventType>}}`. The SES rules live in ses.ts;
 * this file only unwraps. Decisions keep `source: 'ses'`: the provider is SES, EventBridge is transport.
 */
const SOURCE = 'ses';

export function isEventBridgeEvent(value: unknown): value is JsonRecord {
  return isRecord(value) && typeof value['detail-type'] === 'string' && typeof value.source === 'string' && Object.hasOwn(value, 'detail');
}

export function mapEventBridge(payload: unknown, policy: MappingPolicy): Decision[] {
  if (!isEventBridgeEvent(payload)) return [reject('unrecognised_event', SOURCE, 'not an EventBridge event (detail-type, source, detail)')];
  const eventId = eventIdOf(payload.id);
  // Only SES publishes opt-out signals this way; any other EventBridge source was routed here by mistake.
  if (payload.source !== 'aws.ses') {
    return [reject('unrecognised_event', SOURCE, `EventBridge source is not aws.ses: ${text(payload.source)?.slice(0, 60) ?? ''}`, { eventId })];
  }
  if (!isRecord(payload.detail)) return [reject('unrecognised_event', SOURCE, 'EventBridge SES event without a detail object', { eventId })];
  return withEventId(mapSes(payload.detail, policy), eventId);
}
