/**
 * The policy: every decision between "the provider said X" and "we call Hood", as pure functions (no I/O).
 * gate.ts orders the rules (NEVER_BLOCK, soft bounces, BLOCK_REASONS); never-block.ts, soft-bounce.ts and
 * shadow.ts hold one rule each. Callers: the consumer, the webhook ingress and `extract`.
 */
export { type GatePolicy, gateDecision, gateDecisions } from './gate.js';
export {
  compileNeverBlock,
  EMPTY_NEVER_BLOCK,
  isNeverBlocked,
  type NeverBlockList,
  neverBlockKey,
} from './never-block.js';
export {
  countOnly,
  SOFT_BOUNCE_POLICY_NOT_SET,
  softBounceAt,
  type SoftBounceVerdict,
  softBounceVerdict,
} from './soft-bounce.js';
export {
  DRY_RUN_ID_PREFIX,
  type DryRunCreated,
  isDryRunResult,
  isShadowAnswer,
  shadowCounts,
  wouldBlock,
} from './shadow.js';
