import type { ConsumerConfig } from '../config.js';
import type { Lane } from './budget.js';
import { Pacer } from './pacer.js';

/** What a Hood answer said about the account's remaining budget (non-429 answers only). */
export interface ServerRateLimit {
  limit?: number;
  remaining?: number;
  /** Seconds until the window refreshes (Hood: `X-RateLimit-Reset`). */
  resetSeconds?: number;
}

/** What `processBatch` needs from a gate: the static `Pacer` or the shared `LedgerRateLimiter`. */
export interface RateGate {
  /**
   * Calls this consumer may keep in flight at once, at most (the batch runs that many records side by side).
   * The learned parallel cap may hold fewer in flight; this never changes while the gate lives.
   */
  readonly maxInFlight: number;
  /**
   * Wait for a slot and claim it. Resolves `undefined` when no slot comes before `latestStart` (the caller
   * re-queues the work for a later invocation). Callers are served in arrival order.
   */
  acquire(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<CallTicket | undefined>;
  /** Hood answered 429: pause (known wait) or back off (`Retry-After: -1` / absent). Returns the pause in ms. */
  rateLimited(retryAfterMs: number | undefined, now?: number): number;
  /** Hood accepted or judged a call (2xx, 4xx other than 401/403/429): clears backoffs, allows full parallelism. */
  succeeded(): void;
  /** Hood refused the token, failed or was unreachable: one call at a time until it answers properly again. */
  failed(): void;
  /** The learned parallel cap and the `Retry-After: -1` answers since the last look (for metrics). */
  parallelReport?(): ParallelReport;
}

export interface ParallelReport {
  /** Calls in flight this gate may use now (learned, after headroom; per consumer with static shares). */
  learnedCap: number;
  /** `Retry-After: -1` answers to this gate's calls since the previous report. */
  parallelLimited: number;
}

export interface CallTicket {
  readonly startedAt: number;
  /**
   * The answer (any answer, or a network error: it may still have reached Hood) is in. `parallelLimited`:
   * Hood answered `429 Retry-After: -1` (too many requests in flight), which steps the learned cap back.
   */
  finish(now: number, rateLimit?: ServerRateLimit, parallelLimited?: boolean): void | Promise<void>;
}

/** `createRateGate` options. */
export interface RateGateOptions {
  clock?: () => number;
  /** `bulk`: imports and backfills, which only use budget live traffic leaves. Default `live`. */
  lane?: Lane;
  /** Static shares only: consumers of this lane (default `CONSUMER_MAX_CONCURRENCY`). */
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
