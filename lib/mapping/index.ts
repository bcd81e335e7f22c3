import { type UnwrappedQueueBody, unwrapQueueBody } from '../envelopes/sqs.js';
import { mapNormalisedMessage, QUEUE_NATIVE, UNRECOGNISED_QUEUE_PAYLOAD } from '../providers/queue-native.js';
import { dedupe, detail, reject } from '../providers/shared/map.js';
import type { MappingPolicy } from '../providers/types.js';
import type { Decision } from '../types.js';

export type { Mapper, MappingPolicy } from '../providers/types.js';

/**
 * Last line of defence for the handlers: mappers are total by construction (and property-tested), but a
 * bug must dead-letter one message, not crash a batch.
 */
export function safely(source: string, run: () => Decision[]): Decision[] {
  try {
    return dedupe(run());
  } catch (error) {
    return [
      reject(
        'unrecognised_event',
        source,
        detail('mapping failed', error instanceof Error ? error.message : undefined),
      ),
    ];
  }
}

/**
 * What can arrive on the queue from AWS without our ingress (docs/configuration.md "Queue message"): SNS envelopes
 * (non-raw delivery) and SNS→Lambda events, bare SES notifications/events (raw delivery), EventBridge-wrapped
 * SES events, End User Messaging SMS inbound messages: the readers the providers declare
 * (lib/providers/queue-native.ts), the first that recognises the payload. Anything else is `unrecognised_event`.
 */
export function mapAwsNative(payload: unknown, policy: MappingPolicy): Decision[] {
  return safely('unknown', () => {
    const reader = QUEUE_NATIVE.find((r) => r.detect(payload));
    if (reader !== undefined) return reader.map(payload, policy);
    return [reject('unrecognised_event', 'unknown', UNRECOGNISED_QUEUE_PAYLOAD)];
  });
}

/** One SQS record body, as the consumer sees it: a normalised message, or an AWS-native payload. */
export function mapQueueBody(body: string, policy: MappingPolicy): Decision[] {
  return mapUnwrappedBody(unwrapQueueBody(body), policy);
}

/** `mapQueueBody` for a body already unwrapped (the consumer also needs to know what kind it was). */
export function mapUnwrappedBody(unwrapped: UnwrappedQueueBody, policy: MappingPolicy): Decision[] {
  switch (unwrapped.kind) {
    case 'invalid':
      return [reject('unrecognised_event', 'queue', unwrapped.why)];
    case 'message':
      return safely('queue', () => [mapNormalisedMessage(unwrapped.message, 'queue')]);
    case 'aws':
      return mapAwsNative(unwrapped.payload, policy);
  }
}
