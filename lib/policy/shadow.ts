import type { CreateResult, HoodCreated } from '../hood/types.js';

/**
 * Shadow mode (`HOOD_DRY_RUN=true`): what a block becomes when nothing may reach Hood. The consumer's stand-in
 * for Hood (lib/consumer/dry-run.ts) answers each block with `wouldBlock`: a `created` result, so the rest of the
 * pipeline treats it as a block, but recognisable: `dryRun: true` and an id starting with `dry-run-` (Hood's
 * ids are numeric strings). Then:
 * - the ledger must not hold such a contact as blocked (`isShadowAnswer`): leaving shadow mode must send
 *   every one of them to Hood; its history says `dry_run_blocked`;
 * - the metrics count it as `dry_run_blocked`, never as `blocked` (that metric means Hood's 201): `shadowCounts`.
 */
export const DRY_RUN_ID_PREFIX = 'dry-run-';

export interface DryRunCreated extends HoodCreated {
  dryRun: true;
}

export function isDryRunResult(result: CreateResult): result is DryRunCreated {
  return result.kind === 'created' && (result as Partial<DryRunCreated>).dryRun === true;
}

/** The synthetic answer to the `sequence`-th would-be block of a container. */
export function wouldBlock(contact: string, sequence: number): DryRunCreated {
  return {
    kind: 'created',
    id: `${DRY_RUN_ID_PREFIX}${sequence}`,
    type: contact.startsWith('+') ? 'mobile_phone_number' : 'email',
    status: 201,
    dryRun: true,
  };
}

/**
 * Whether an answer (`hoodId`: its id, if any) came from the stand-in, so that Hood holds nothing for it: always
 * in shadow mode, and for a stand-in's id whatever the mode says (a container started before the mode changed).
 */
export function isShadowAnswer(dryRun: boolean, hoodId: string | undefined): boolean {
  return dryRun || hoodId?.startsWith(DRY_RUN_ID_PREFIX) === true;
}

/**
 * An invocation's outcome counts with its `wouldBlocks` would-be blocks taken out of `blocked` (settle counts
 * every `created` answer as `blocked`) and counted as `dry_run_blocked`.
 */
export function shadowCounts<T extends { blocked?: number; dry_run_blocked?: number }>(
  counts: T,
  wouldBlocks: number,
): T {
  if (wouldBlocks <= 0) return counts;
  const shadowed: T = { ...counts, dry_run_blocked: wouldBlocks };
  const real = Math.max(0, (counts.blocked ?? 0) - wouldBlocks);
  if (real > 0) shadowed.blocked = real;
  else delete shadowed.blocked;
  return shadowed;
}
