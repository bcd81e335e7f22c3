import type { Decision } from '../types.js';
import { isSmsDeliveryEvent, isSmsInbound, mapAwsSms } from '../providers/aws-sms/map.js';
import { isEventBridgeEvent, mapEventBridge } from '../providers/eventbridge/map.js';
import { isSesEvent, mapSes } from '../providers/ses/map.js';
import type { MappingPolicy } from '../providers/types.js';

/**
 * The AWS-native payloads an SNS `Message` (or a raw-delivery SQS body) can hold: SES notifications and
 * published events, EventBridge-wrapped SES events, End User Messaging SMS inbound and delivery events.
 * Returns undefined when the payload is none of these, so each caller says "unrecognised" in its own terms.
 * SNS envelopes are deliberately not handled here (sns.ts unwraps them and calls this).
 */
export function mapAwsEvent(payload: unknown, policy: MappingPolicy): Decision[] | undefined {
  if (isEventBridgeEvent(payload)) return mapEventBridge(payload, policy);
  if (isSesEvent(payload)) return mapSes(payload, policy);
  if (isSmsInbound(payload) || isSmsDeliveryEvent(payload)) return mapAwsSms(payload, policy);
  return undefined;
}
