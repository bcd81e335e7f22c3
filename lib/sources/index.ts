import { detectRecord, providerNamed, type SourceName } from '../providers/index.js';
import { mapNormalisedMessage } from '../providers/generic/map.js';
import { isLambdaSnsEvent, isSnsEnvelope } from '../envelopes/sns.js';
import { unwrapQueueBody } from '../envelopes/sqs.js';
import { mapSns } from '../providers/sns/map.js';
import { dedupe, detail, isRecord, reject } from '../providers/shared/map.js';
import type { MappingPolicy } from '../providers/types.js';
import type { Decision } from '../types.js';
import { mapAwsEvent } from './aws-native.js';

export { isSourceName, PROVIDERS, type ProviderName, SOURCE_NAMES, type SourceName } from '../providers/index.js';
export type { Mapper, MappingPolicy } from '../providers/types.js';

/**
 * Last line of defence for the handlers: mappers are total by construction (and property-tested), but a
 * bug must dead-letter one message, not crash a batch.
 */
function safely(source: string, run: () => Decision[]): Decision[] {
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

/** Map one provider payload (webhook body, already parsed from JSON or form encoding). */
export function mapProvider(source: SourceName, payload: unknown, policy: MappingPolicy): Decision[] {
  const { map } = providerNamed(source);
  return safely(source, () => map(payload, policy));
}

/**
 * What can arrive on the queue from AWS without our ingress (docs/configuration.md "Queue message"): SNS envelopes
 * (non-raw delivery) and SNS→Lambda events, bare SES notifications/events (raw delivery), EventBridge-wrapped
 * SES events, End User Messaging SMS inbound messages. Anything else is `unrecognised_event`.
 */
export function mapAwsNative(payload: unknown, policy: MappingPolicy): Decision[] {
  return safely('unknown', () => {
    if (isSnsEnvelope(payload) || isLambdaSnsEvent(payload)) return mapSns(payload, policy);
    return (
      mapAwsEvent(payload, policy) ?? [
        reject('unrecognised_event', 'unknown', 'not a normalised message, nor an SES, SNS, EventBridge or SMS event'),
      ]
    );
  });
}

/** One SQS record body, as the consumer sees it: a normalised message, or an AWS-native payload. */
export function mapQueueBody(body: string, policy: MappingPolicy): Decision[] {
  const unwrapped = unwrapQueueBody(body);
  switch (unwrapped.kind) {
    case 'invalid':
      return [reject('unrecognised_event', 'queue', unwrapped.why)];
    case 'message':
      return safely('queue', () => [mapNormalisedMessage(unwrapped.message, 'queue')]);
    case 'aws':
      return mapAwsNative(unwrapped.payload, policy);
  }
}

/**
 * Which provider produced a payload, from its shape alone (extract `--source auto`), by the registry's
 * detectors in their priority order (lib/providers/index.ts). A Lambda SQS event is not a source: callers
 * unwrap it first. Undefined when no provider matches.
 */
export function detectSource(payload: unknown): SourceName | undefined {
  if (Array.isArray(payload)) {
    const first = payload.find(isRecord);
    return first === undefined ? undefined : detectRecord(first, true);
  }
  return isRecord(payload) ? detectRecord(payload, false) : undefined;
}
