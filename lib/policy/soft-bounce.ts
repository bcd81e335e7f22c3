import type { SoftBouncePolicy } from '../config.js';
import { ignore } from '../providers/shared/map.js';
import type { BlockDecision, IgnoreDecision } from '../types.js';

/**
 * Soft bounces (docs/configuration.md "Soft bounces"): a `soft_bounce` never blocks by itself. Without
 * SOFT_BOUNCE_POLICY it is an ignore with reason `soft_bounce`; with it, each one is counted (the counting is
 * ledger I/O, lib/ledger) and the one that reaches the policy's count within its period blocks the contact as
 * `soft_bounce_threshold`. These are the decisions; the count is the caller's.
 */

/** The gate's answer to a soft bounce when nothing counts it (no SOFT_BOUNCE_POLICY, or `extract`). */
export function countOnly(block: BlockDecision): IgnoreDecision {
  return ignore(
    'soft_bounce',
    block.source,
    'soft bounce: counted only under SOFT_BOUNCE_POLICY, never a block by itself',
    block.eventId,
  );
}

/** The consumer's detail for a soft bounce that reached it while SOFT_BOUNCE_POLICY is off. */
export const SOFT_BOUNCE_POLICY_NOT_SET = 'SOFT_BOUNCE_POLICY is not set';

export type SoftBounceVerdict =
  /** Below the threshold: an ignore with reason `soft_bounce`, the count so far as its detail. */
  | { kind: 'counted'; detail: string }
  /** The threshold reached: the block Hood receives, with the count in its description. */
  | { kind: 'threshold'; block: BlockDecision };

/** Given `count` soft bounces (this one included) within the policy's period: keep counting, or block. */
export function softBounceVerdict(block: BlockDecision, count: number, policy: SoftBouncePolicy): SoftBounceVerdict {
  if (count < policy.count) return { kind: 'counted', detail: `${count} of ${policy.count} within ${policy.text}` };
  return {
    kind: 'threshold',
    block: {
      ...block,
      reason: 'soft_bounce_threshold',
      description: `${count} soft bounces within ${policy.text}${block.description ? `; ${block.description}` : ''}`,
    },
  };
}

/** When a soft bounce counts as having happened: the event's own time, unless missing, unreadable or future. */
export function softBounceAt(block: BlockDecision, now: number): number {
  const at = block.occurredAt === undefined ? Number.NaN : Date.parse(block.occurredAt);
  return Number.isFinite(at) && at <= now ? at : now;
}
