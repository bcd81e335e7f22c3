import { maskContact } from '../contact.js';
import { ignore } from '../providers/shared/map.js';
import type { Decision, Reason } from '../types.js';
import { isNeverBlocked, type NeverBlockList } from './never-block.js';
import { countOnly } from './soft-bounce.js';

/** What the gate needs of the policy (PolicyConfig has the first two). */
export interface GatePolicy {
  blockReasons: ReadonlySet<Reason>;
  neverBlock?: NeverBlockList | undefined;
  /**
   * SOFT_BOUNCE_POLICY is set: a `soft_bounce` block passes the gate (NEVER_BLOCK still applies) so that the
   * consumer can count it and the ingress can queue it. Off (the default, and always for `extract`): ignored.
   */
  softBounceCounting?: boolean | undefined;
}

/**
 * The policy gate every path applies between mapping and Hood (consumer decision step, webhook ingress,
 * `extract`), in this order:
 * 1. NEVER_BLOCK: a listed contact is ignored with reason `never_block` whatever the event says; the
 *    detail names it masked only.
 * 2. `soft_bounce` is a count-only signal (soft-bounce.ts): an ignore with reason `soft_bounce`, even if
 *    BLOCK_REASONS contains it; under SOFT_BOUNCE_POLICY it passes through, whatever BLOCK_REASONS holds, to be
 *    counted, and only the consumer's count turns it into a block (`soft_bounce_threshold`).
 * 3. BLOCK_REASONS: a block whose reason the operator did not enable becomes an ignore carrying that
 *    reason, so it is still counted and logged ("a reason outside BLOCK_REASONS prints as an ignore").
 * Ignores and rejects pass unchanged: the gate never turns anything into a block.
 */
export function gateDecision(decision: Decision, policy: GatePolicy): Decision {
  const d = decision;
  if (d.action !== 'block') return d;
  if (isNeverBlocked(d.contact, policy.neverBlock))
    return ignore('never_block', d.source, `NEVER_BLOCK matches ${maskContact(d.contact)}`, d.eventId);
  if (d.reason === 'soft_bounce') return policy.softBounceCounting === true ? d : countOnly(d);
  if (!policy.blockReasons.has(d.reason)) return ignore(d.reason, d.source, 'reason not in BLOCK_REASONS', d.eventId);
  return d;
}

/** `gateDecision` over a record's decisions, in order (one result per decision). */
export function gateDecisions(decisions: readonly Decision[], policy: GatePolicy): Decision[] {
  return decisions.map((d) => gateDecision(d, policy));
}
