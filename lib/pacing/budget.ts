import type { ConsumerConfig, RateWindow } from '../config.js';
import type { CountWindow } from './sliding.js';

/**
 * The budget's arithmetic, in one place: what share of the account's windows and of Hood's parallel cap our
 * traffic may use (headroom), what the bulk lane leaves to live traffic (reserve), and how static shares split
 * it between consumers. Every gate (`Pacer`, `LedgerRateLimiter`) takes its numbers from here.
 */

/**
 * Which traffic a gate serves. `live` is webhook traffic; `bulk` (imports, backfills) only ever uses budget
 * live traffic leaves: with static shares a separate slice (`staticLaneShares`), with the shared budget
 * whatever live traffic leaves unused (`laneWindows` and the live-waiting mark of the rate item).
 */
export type Lane = 'live' | 'bulk';

/** `HOOD_RATE_HEADROOM` is 0–90 (lib/config.ts): the one clamp every use of it goes through. */
export const MAX_HEADROOM_PERCENT = 90;

/** Percent of every window (at least one call) bulk traffic always leaves to live traffic (shared budget). */
export const LIVE_RESERVE_PERCENT = 10;

/** Percent of the budget (after headroom) the bulk lane gets with static shares. */
export const BULK_STATIC_PERCENT = 10;

/** A percent within 0..max; NaN → 0. */
export function clampPercent(p: number, max = 100): number {
  return Number.isFinite(p) ? Math.min(max, Math.max(0, p)) : 0;
}

/** What headroom leaves us of `n` (calls of a window, or calls in flight): never below one. */
export function afterHeadroom(n: number, headroomPercent: number): number {
  return Math.max(1, Math.floor((n * (100 - clampPercent(headroomPercent, MAX_HEADROOM_PERCENT))) / 100));
}

/**
 * The account's windows minus headroom for other clients and scaled to a lane's budget: what our own
 * traffic as a whole may use. Never below one call per window (a window of 0 would stop the lane).
 */
export function usableWindows(windows: readonly RateWindow[], headroomPercent = 0, budgetPercent = 100): RateWindow[] {
  return windows.map(({ count, windowMs }) => ({
    count: Math.max(
      1,
      Math.floor(
        (count * (100 - clampPercent(headroomPercent, MAX_HEADROOM_PERCENT)) * clampPercent(budgetPercent)) / 10_000,
      ),
    ),
    windowMs,
  }));
}

/**
 * The shared budget's windows for a lane: live may use all that headroom leaves; bulk leaves
 * `LIVE_RESERVE_PERCENT` of every window (at least one call) to live traffic. `skewMs` is added to every window:
 * it bounds the clock difference between containers.
 */
export function laneWindows(
  windows: readonly RateWindow[],
  lane: Lane,
  headroomPercent: number,
  skewMs: number,
): CountWindow[] {
  return usableWindows(windows, headroomPercent).map(({ count, windowMs }) => ({
    count: lane === 'bulk' ? count - Math.max(1, Math.ceil((count * LIVE_RESERVE_PERCENT) / 100)) : count,
    windowMs: windowMs + Math.max(0, Math.ceil(skewMs)),
  }));
}

/**
 * Splits every window evenly between consumers. When a window has fewer calls than consumers
 * (e.g. 1/1s shared by 2), each consumer gets one call per proportionally longer window instead of none
 * (that bounds the average only: exact for such windows needs the shared limiter).
 */
export function shareWindows(windows: readonly RateWindow[], consumers: number): CountWindow[] {
  return windows.map(({ count, windowMs }) => {
    const per = Math.floor(count / consumers);
    return per >= 1 ? { count: per, windowMs } : { count: 1, windowMs: Math.ceil((windowMs * consumers) / count) };
  });
}

/**
 * The parallel cap's bounds for one gate: `HOOD_MAX_IN_FLIGHT` (a hard cap, never exceeded) and the learned cap's
 * starting point (`HOOD_START_IN_FLIGHT`), both after headroom (other clients keep their share of Hood's parallel
 * cap too) and split between `consumers` (static shares; 1 with the shared budget). At least one call each.
 */
export function inFlightBounds(
  hard: number,
  start: number,
  headroomPercent: number,
  consumers = 1,
): { ceiling: number; start: number } {
  const per = (n: number) =>
    Math.max(1, Math.floor(afterHeadroom(Math.max(1, Math.floor(n)), headroomPercent) / Math.max(1, consumers)));
  const ceiling = per(hard);
  return { ceiling, start: Math.min(ceiling, per(start)) };
}

/** What one lane's static gate is built with (`createRateGate` options). */
export interface StaticLaneShare {
  /** The divisor: how many consumers this lane's slice is split between. */
  consumers: number;
  budgetPercent: number;
}

/**
 * Without LEDGER_TABLE the lanes cannot lend each other unused budget, so each gets a fixed slice:
 * live `100 - BULK_STATIC_PERCENT` % split between `CONSUMER_MAX_CONCURRENCY` consumers, bulk
 * `BULK_STATIC_PERCENT` % split between `BULK_MAX_CONCURRENCY`. A gate gives every window at least one
 * call, so for windows too small to split that way (fewer than ~10 usable calls) every consumer of both
 * lanes takes an equal 1/(live + bulk) share of the whole budget instead. Either way the two lanes together
 * stay within every window of the account. Without a bulk queue live keeps the whole budget.
 */
export function staticLaneShares(config: ConsumerConfig): Record<Lane, StaticLaneShare> {
  const live = config.hood.consumerMaxConcurrency;
  if (!config.queues.bulkQueueUrl)
    return { live: { consumers: live, budgetPercent: 100 }, bulk: { consumers: live, budgetPercent: 100 } };
  const bulk = config.hood.bulkMaxConcurrency;
  const split = {
    live: { consumers: live, budgetPercent: 100 - BULK_STATIC_PERCENT },
    bulk: { consumers: bulk, budgetPercent: BULK_STATIC_PERCENT },
  };
  const usable = usableWindows(config.hood.rateLimits, config.hood.rateHeadroomPercent);
  const calls = laneCallsPerWindow(config, split);
  if (calls.every((n, i) => n <= usable[i]!.count + 1e-9)) return split;
  const all = { consumers: live + bulk, budgetPercent: 100 };
  return { live: all, bulk: all };
}

/**
 * Per window of the account: the calls every running consumer of both lanes may make on average
 * (`CONSUMER_MAX_CONCURRENCY` live and `BULK_MAX_CONCURRENCY` bulk consumers, each with the share `Pacer` gives
 * it: `usableWindows`, then `shareWindows`).
 */
export function laneCallsPerWindow(config: ConsumerConfig, shares: Record<Lane, StaticLaneShare>): number[] {
  const running: Record<Lane, number> = {
    live: config.hood.consumerMaxConcurrency,
    bulk: config.queues.bulkQueueUrl ? config.hood.bulkMaxConcurrency : 0,
  };
  return config.hood.rateLimits.map((w) => {
    let total = 0;
    for (const lane of ['live', 'bulk'] as const) {
      const share = shares[lane];
      const per = shareWindows(
        usableWindows([w], config.hood.rateHeadroomPercent, share.budgetPercent),
        share.consumers,
      )[0]!;
      total += (running[lane] * per.count * w.windowMs) / per.windowMs;
    }
    return total;
  });
}
