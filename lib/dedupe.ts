import type { BlockDecision, Decision } from './types.js';

/**
 * The one de-duplication of block decisions, used at three points with two keys:
 * - mappers (per payload, before BLOCK_REASONS): the first block per (contact, reason). Providers batch and
 *   repeat an address in one batch (SendGrid batches repeat an address); different reasons are
 *   kept apart here because BLOCK_REASONS may disable the first one.
 * - ingress fan-out and the consumer (after BLOCK_REASONS): the first block per contact, so one request or
 *   one record never queues or calls Hood twice for one contact.
 * Other decisions (ignores, rejects) are never dropped: every event is accounted for.
 */
export type BlockKey = (block: BlockDecision) => string;

export const byContactAndReason: BlockKey = (d) => `${d.contact}\u0000${d.reason}`;
export const byContact: BlockKey = (d) => d.contact;

/** The decisions in order, without any block whose key an earlier block already had. */
export function withoutRepeatedBlocks(decisions: readonly Decision[], key: BlockKey): Decision[] {
  const seen = new Set<string>();
  const out: Decision[] = [];
  for (const d of decisions) {
    if (d.action === 'block') {
      const k = key(d);
      if (seen.has(k)) continue;
      seen.add(k);
    }
    out.push(d);
  }
  return out;
}

/** One block per distinct contact, the first one (payload order) winning. */
export function distinctBlocks(decisions: readonly Decision[]): BlockDecision[] {
  return withoutRepeatedBlocks(decisions, byContact).filter((d): d is BlockDecision => d.action === 'block');
}
