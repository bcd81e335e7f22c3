import type { ConsumerConfig } from '../config.js';
import type { Lane } from './budget.js';
import { Pacer } from './pacer.js';
import type { RateGate } from './rate-gate.js';

export type { CallTicket, ParallelReport, RateGate, ServerRateLimit } from './rate-gate.js';

/** `createRateGate` options. */
export interface RateGateOptions {
  clock?: () => number;
  /** `bulk`: imports and backfills, which only use budget live traffic leaves. Default `live`. */
  lane?: Lane;
  /** Static shares: consumers of this lane (default `CONSUMER_MAX_CONCURRENCY`); the shared budget reads the config. */
  consumers?: number;
  /**
   * Static shares only: percent of the budget (after headroom) this lane's consumers split. Without the
   * table, lanes cannot lend each other unused budget, so a deployment with a bulk queue gives live e.g. 90
   * and bulk 10. With LEDGER_TABLE this is ignored: bulk takes only what live leaves, live all it needs.
   */
  budgetPercent?: number;
}

/**
 * The gate the configuration asks for: with `LEDGER_TABLE`, one budget for the whole account shared
 * through DynamoDB (any consumer count reaches the limit, hand-overs are exact, short backlogs burst);
 * without it, a static 1/N share of every window per consumer. The DynamoDB client is loaded only then.
 */
export async function createRateGate(config: ConsumerConfig, options: RateGateOptions = {}): Promise<RateGate> {
  const hood = config.hood;
  if (hood.rateLedger) {
    const [{ createDynamoClient }, { LedgerRateLimiter }] = await Promise.all([
      import('../ledger/client.js'),
      import('./ledger-limiter.js'),
    ]);
    const dynamo = createDynamoClient({
      region: config.queues.region,
      endpoint: hood.rateLedger.endpoint,
      localCredentials: hood.rateLedger.localCredentials,
    });
    return new LedgerRateLimiter({
      dynamo,
      table: hood.rateLedger.table,
      windows: hood.rateLimits,
      lane: options.lane,
      maxInFlight: hood.maxInFlight,
      startInFlight: hood.startInFlight,
      probeIntervalMs: hood.parallelProbeMs,
      headroomPercent: hood.rateHeadroomPercent,
      requestTimeoutMs: hood.requestTimeoutMs,
      tuningOff: hood.pacingTuningOff,
      consumers: options.lane === 'bulk' ? hood.bulkMaxConcurrency : hood.consumerMaxConcurrency,
      clock: options.clock,
    });
  }
  return new Pacer({
    windows: hood.rateLimits,
    consumers: options.consumers ?? hood.consumerMaxConcurrency,
    budgetPercent: options.budgetPercent,
    maxInFlight: hood.maxInFlight,
    startInFlight: hood.startInFlight,
    probeIntervalMs: hood.parallelProbeMs,
    headroomPercent: hood.rateHeadroomPercent,
    requestTimeoutMs: hood.requestTimeoutMs,
    lane: options.lane,
    clock: options.clock,
  });
}
