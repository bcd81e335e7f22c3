import { maskContact } from '../contact.js';
import { unwrapQueueBody } from '../envelopes/sqs.js';
import { mapNormalisedMessage, QUEUE_NATIVE, UNRECOGNISED_QUEUE_PAYLOAD } from '../providers/queue-native.js';
import { dedupe, detail, ignore, reject } from '../providers/shared/map.js';
import type { MappingPolicy } from '../providers/types.js';
import type { Decision, Reason } from '../types.js';
import { isNeverBlocked, type NeverBlockList } from './never-block.js';

export { compileNeverBlock, EMPTY_NEVER_BLOCK, isNeverBlocked, type NeverBlockList } from './never-block.js';
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
 * SES events, End User Messaging SMS inbound messages. Anything else is `unrecognised_event`.
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

/** What applyBlockReasons needs of the policy (PolicyConfig has both). */
export interface BlockPolicy {
  blockReasons: ReadonlySet<Reason>;
  neverBlock?: NeverBlockList | undefined;
}

/**
 * The policy gate every path applies between mapping and Hood (consumer decision step, webhook ingress,
 * `extract`), in this order:
 * 1. NEVER_BLOCK: a listed contact is ignored with reason `never_block` whatever the event says; the
 *    detail names it masked only.
 * 2. `soft_bounce` is a count-only signal (docs/configuration.md "Soft bounces"): here it is always an ignore with
 *    reason `soft_bounce`, even if a reason set contains it. The SOFT_BOUNCE_POLICY machinery must take
 *    soft bounces out of the decisions *before* this gate; nothing after it can block one.
 * 3. BLOCK_REASONS: a block whose reason the operator did not enable becomes an ignore carrying that
 *    reason, so it is still counted and logged ("a reason outside BLOCK_REASONS prints as an ignore").
 * Accepts the reason set alone (older callers) or the policy (`config.policy`), which also applies NEVER_BLOCK.
 */
export function applyBlockReasons(
  decisions: readonly Decision[],
  policy: ReadonlySet<Reason> | BlockPolicy,
): Decision[] {
  const { blockReasons, neverBlock } =
    policy instanceof Set
      ? { blockReasons: policy as ReadonlySet<Reason>, neverBlock: undefined }
      : (policy as BlockPolicy);
  return decisions.map((d) => {
    if (d.action !== 'block') return d;
    if (isNeverBlocked(d.contact, neverBlock))
      return ignore('never_block', d.source, `NEVER_BLOCK matches ${maskContact(d.contact)}`, d.eventId);
    if (d.reason === 'soft_bounce')
      return ignore(
        'soft_bounce',
        d.source,
        'soft bounce: counted only under SOFT_BOUNCE_POLICY, never a block by itself',
        d.eventId,
      );
    if (!blockReasons.has(d.reason)) return ignore(d.reason, d.source, 'reason not in BLOCK_REASONS', d.eventId);
    return d;
  });
}
