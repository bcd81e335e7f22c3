import type { Decision } from '../../types.js';
import { isEventBridgeEvent, unwrapEventBridge } from './envelope.js';
import { reject, withEventId } from '../shared/map.js';
import { mapSes } from '../ses/map.js';
import type { MappingPolicy, QueueNative } from '../types.js';

/**
 * SES events routed through Amazon EventBridge (a configuration-set event destination of type EventBridge):
 * `{"version","id","detail-type":"Email Bounced"|"Email Complaint Received"|…,"source":"aws.ses","time",
 * "detail":{<the same object event publishing sends to SNS, with eventType>}}`. The SES rules live in
 * ../ses/map.ts and the unwrapping in lib/envelopes/eventbridge.ts. Decisions keep `source: 'ses'`: the provider is SES, EventBridge is transport.
 */
const SOURCE = 'ses';

export function mapEventBridge(payload: unknown, policy: MappingPolicy): Decision[] {
  const event = unwrapEventBridge(payload);
  if (event.kind === 'invalid')
    return [reject('unrecognised_event', SOURCE, 'not an EventBridge event (detail-type, source, detail)')];
  const { eventId } = event;
  // Only SES publishes opt-out signals this way; any other EventBridge source was routed here by mistake.
  if (event.source !== 'aws.ses') {
    return [
      reject('unrecognised_event', SOURCE, `EventBridge source is not aws.ses: ${event.source.slice(0, 60)}`, {
        eventId,
      }),
    ];
  }
  if (event.kind === 'no_detail')
    return [reject('unrecognised_event', SOURCE, 'EventBridge SES event without a detail object', { eventId })];
  return withEventId(mapSes(event.payload, policy), eventId);
}

export { isEventBridgeEvent };

/** EventBridge-wrapped SES events, on the queue or carried by SNS. */
export const queueNative: QueueNative = { detect: isEventBridgeEvent, map: mapEventBridge };
