import type { Decision } from '../types.js';
import { queueNative as awsSms } from './aws-sms/map.js';
import { queueNative as eventbridge } from './eventbridge/map.js';
import { queueNative as ses } from './ses/map.js';
import { snsQueueNative } from './sns/map.js';
import type { MappingPolicy, QueueNative } from './types.js';

/**
 * The registry's queue-native half: what can reach the queue from AWS without our ingress, each declared
 * next to its mapper (`queueNative` in lib/providers/<name>/map.ts). Kept apart from lib/providers/index.ts
 * so that the consumer, which maps only queue messages, imports no webhook verifier. Adding a provider whose
 * events AWS delivers to the queue is one line here.
 */

/** The normalised block request (docs/configuration.md "Queue message"): the generic route's own shape. */
export { mapNormalisedMessage } from './generic/map.js';

/** What a queue body that is none of these is told, naming what the readers below recognise. */
export const UNRECOGNISED_QUEUE_PAYLOAD = 'not a normalised message, nor an SES, SNS, EventBridge or SMS event';

/** What an SNS Message (or a raw-delivery SQS body) can hold, in the order tried. */
const CARRIED: readonly QueueNative[] = [eventbridge, ses, awsSms];

/** The first carried payload that matches, mapped; undefined when the payload is none of them. */
export function mapCarried(payload: unknown, policy: MappingPolicy): Decision[] | undefined {
  return CARRIED.find((reader) => reader.detect(payload))?.map(payload, policy);
}

/** Every queue-native payload in the order tried: envelopes first, then what they carry. */
export const QUEUE_NATIVE: readonly QueueNative[] = [snsQueueNative(mapCarried), ...CARRIED];
