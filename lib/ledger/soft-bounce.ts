import { applyBlockReasons, type BlockPolicy } from '../sources/index.js';
import type { Decision } from '../types.js';

/**
 * The last gate before Hood (`applyBlockReasons`: NEVER_BLOCK, soft_bounce count-only, BLOCK_REASONS), with
 * SOFT_BOUNCE_POLICY's exception: when the policy is on, a `soft_bounce` block passes through (NEVER_BLOCK
 * still applies) so that the consumer can count it, and the ingress can queue it. Without the policy this
 * is exactly `applyBlockReasons`: soft bounces are ignored with reason `soft_bounce`.
 */
export function gateDecisions(
  decisions: readonly Decision[],
  policy: BlockPolicy,
  softBouncePolicy: boolean,
): Decision[] {
  if (!softBouncePolicy) return applyBlockReasons(decisions, policy);
  return decisions.map((d) => {
    if (d.action !== 'block' || d.reason !== 'soft_bounce') return applyBlockReasons([d], policy)[0]!;
    // Ask the gate as if it were the block it may become: NEVER_BLOCK answers the same for any reason.
    const asBlock = applyBlockReasons([{ ...d, reason: 'soft_bounce_threshold' }], {
      blockReasons: new Set(['soft_bounce_threshold']),
      neverBlock: policy.neverBlock,
    })[0]!;
    return asBlock.action === 'block' ? d : asBlock;
  });
}
