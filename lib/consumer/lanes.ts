import type { ConsumerConfig, RateWindow } from '../config.js';
import type { Lane } from '../pacing/pacer.js';
import { shareWindows, usableWindows } from '../pacing/pacer.js';
import { queueUrlFromArn } from '../queue/sqs.js';

/**
 * Which lane a batch belongs to. One function serves two event source mappings (the live queue and the
 * bulk queue); Lambda never mixes them in one batch, and every record names its queue (`eventSourceARN`:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event).
 * A batch is `bulk` only when its records come from `BULK_QUEUE_URL`; anything else is live.
 */
export function batchLane(records: readonly { eventSourceARN?: string | undefined }[], queues: ConsumerConfig['queues']): Lane {
  if (!queues.bulkQueueUrl || records.length === 0) return 'live';
  const fromBulk = (arn: string | undefined) => queueUrlFromArn(arn ?? '', queues) === queues.bulkQueueUrl;
  // Defensive: a batch mixing queues (never sent by Lambda) is paced as live, the lane that can only be slower.
  return records.every((r) => fromBulk(r.eventSourceARN)) ? 'bulk' : 'live';
}

/** What one lane's static limiter is built with (`createRateGate` options). */
export interface StaticLaneShare {
  /** The divisor: how many consumers this lane's slice is split between. */
  consumers: number;
  budgetPercent: number;
}

/** Percent of the budget (after headroom) the bulk lane gets with static shares. */
export const BULK_STATIC_PERCENT = 10;

/**
 * Without LEDGER_TABLE the lanes cannot lend each other unused budget, so each gets a fixed slice:
 * live `100 - BULK_STATIC_PERCENT` % split between `CONSUMER_MAX_CONCURRENCY` consumers, bulk
 * `BULK_STATIC_PERCENT` % split between `BULK_MAX_CONCURRENCY`. A limiter gives every window at least one
 * call, so for windows too small to split that way (fewer than ~10 usable calls) every consumer of both
 * lanes takes an equal 1/(live + bulk) share of the whole budget instead. Either way the two lanes together
 * stay within every window of the account. Without a bulk queue live keeps the whole budget.
 */
export function staticLaneShares(config: ConsumerConfig): Record<Lane, StaticLaneShare> {
  const live = config.hood.consumerMaxConcurrency;
  if (!config.queues.bulkQueueUrl) return { live: { consumers: live, budgetPercent: 100 }, bulk: { consumers: live, budgetPercent: 100 } };
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
  const running: Record<Lane, number> = { live: config.hood.consumerMaxConcurrency, bulk: config.queues.bulkQueueUrl ? config.hood.bulkMaxConcurrency : 0 };
  return config.hood.rateLimits.map((w) => {
    let total = 0;
    for (const lane of ['live', 'bulk'] as const) {
      const share = shares[lane];
      const per = shareWindows(usableWindows([w], config.hood.rateHeadroomPercent, share.budgetPercent), share.consumers)[0]!;
      total += (running[lane] * per.count * w.windowMs) / per.windowMs;
    }
    return total;
  });
}
