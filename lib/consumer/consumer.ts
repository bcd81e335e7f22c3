import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ConsumerConfig } from '../config.js';
import { createHoodClient } from '../hood/client.js';
import { createLedger, type Ledger } from '../ledger/index.js';
import { shadowCounts } from '../policy/index.js';
import { countsEmfPublisher, powertoolsLog, serviceMetrics } from '../observability.js';
import { resolveToken } from '../hood/token.js';
import type { Lane as RateLane } from '../pacing/budget.js';
import { createRateGate, type ParallelReport, type RateGate } from '../pacing/gate.js';
import { createLazySqsClient, loadSqsSdk, type SqsClientLike } from '../queue/sqs.js';
import { createDryRunHood } from './dry-run.js';
import { processBatch } from './process-batch.js';
import type { BatchResponse, HoodCreator, Log, Outcome, QueueRecord } from './types.js';
import { createLedgerHooks, type Lane } from './ledger-hooks.js';
import { staticLaneShares } from '../pacing/budget.js';
import { batchLane } from './lanes.js';
import { RecentContacts } from './recent.js';

export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

export interface Consumer {
  handle(event: { Records: readonly QueueRecord[] }, context: LambdaContextLike): Promise<BatchResponse>;
  /** The live lane's limiter. */
  readonly pacer: RateGate;
  /** The limiter a lane's batches are paced by (the bulk one is built at this container's first bulk batch). */
  gate(lane: RateLane): Promise<RateGate>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  logger?: Log & { appendKeys?: (keys: Record<string, unknown>) => void; resetKeys?: () => void };
  /**
   * Receives per-invocation outcome counts (plus `dry_run_blocked` in shadow mode); default: Powertools
   * Metrics (EMF, namespace HoodBlocker).
   */
  publishCounts?: (counts: Partial<Record<Outcome | 'dry_run_blocked', number>>) => void;
  sqs?: SqsClientLike;
  hood?: HoodCreator & { close?: () => Promise<void> };
  clock?: () => number;
  /** In [0, 1): retry jitter (backoffs, ledger retries); default `Math.random`. */
  random?: () => number;
  /** Use this limiter for live batches instead of the one the configuration chooses (tests). */
  pacer?: RateGate;
  /** Use this limiter for batches from the bulk queue instead of the configured one (tests). */
  bulkPacer?: RateGate;
  /** Default: built from `config.ledger` (DynamoDB when LEDGER_TABLE is set, else in memory). */
  ledger?: Ledger;
  /** Receives each invocation's opt-out latency samples per lane; default: EMF `optout_latency_ms`. */
  publishLatency?: (samples: ReadonlyMap<Lane, readonly number[]>) => void;
  /** Receives the gate's learned parallel cap and `-1` answers after each invocation; default: EMF. */
  publishParallel?: (report: ParallelReport, lane: RateLane) => void;
  /**
   * Receives each invocation's records AWS delivered to the queue itself, per source (ses, aws-sms, …);
   * default: EMF `source_events` with a `provider` dimension, the one the quiet-source alarms read.
   */
  publishSources?: (counts: Readonly<Record<string, number>>) => void;
}

// The gate factory lives with the budget it builds (lib/pacing/gate.ts); re-exported for existing importers.
export { createRateGate, type RateGateOptions } from '../pacing/gate.js';

export { METRICS_NAMESPACE, powertoolsLog, SERVICE_NAME } from '../observability.js';
const DEFAULT_BUDGET_MS = 60_000;

/**
 * Everything a consumer container keeps between invocations: Hood client (keep-alive pool), pacer
 * (its call history is what keeps us under the rate limit across batches), recent-contacts ledger,
 * SQS client. The Lambda handler creates one at cold start; tests and `npm start` create their own.
 */
export async function createConsumer(config: ConsumerConfig, options: ConsumerOptions = {}): Promise<Consumer> {
  const logger = options.logger ?? powertoolsLog();
  const publishCounts = options.publishCounts ?? emfPublisher();
  const sqs = options.sqs ?? createLazySqsClient(config.queues);
  // Static shares: live and bulk each get a fixed slice (lanes.ts); shared budget: bulk takes what live leaves.
  const shares = staticLaneShares(config);
  const pacer = options.pacer ?? (await createRateGate(config, { clock: options.clock, lane: 'live', ...shares.live }));
  if (!config.hood.rateLedger && config.hood.consumerMaxConcurrency > config.hood.maxInFlight) {
    // Without the shared budget each consumer keeps at least one call in flight, so the account-wide cap
    // cannot be held; Hood's answer to too many (`Retry-After: -1`) is backed off, but each costs a call.
    logger.warn(
      'More consumers than HOOD_MAX_IN_FLIGHT without LEDGER_TABLE: each consumer keeps one call in flight, so up to CONSUMER_MAX_CONCURRENCY calls may be in flight at once',
      {
        consumers: config.hood.consumerMaxConcurrency,
        maxInFlight: config.hood.maxInFlight,
      },
    );
  }
  let bulkPacer: Promise<RateGate> | undefined = options.bulkPacer ? Promise.resolve(options.bulkPacer) : undefined;
  const gate = (lane: RateLane): Promise<RateGate> => {
    if (lane === 'live') return Promise.resolve(pacer);
    bulkPacer ??= createRateGate(config, { clock: options.clock, lane: 'bulk', ...shares.bulk }).catch(
      (error: unknown) => {
        bulkPacer = undefined;
        throw error;
      },
    );
    return bulkPacer;
  };
  const recent = new RecentContacts(20_000, 6 * 60 * 60 * 1000, options.clock);
  const ledger =
    options.ledger ?? (config.ledger ? await createLedger(config.ledger, { logger, clock: options.clock }) : undefined);
  const publishLatency = options.publishLatency ?? latencyEmfPublisher();
  const publishParallel = options.publishParallel ?? parallelEmfPublisher();
  const publishSources = options.publishSources ?? sourcesEmfPublisher();
  const latency = new Map<Lane, number[]>();
  let ledgerCount: ((n: number) => void) | undefined;
  const ledgerHooks = ledger
    ? createLedgerHooks({
        ledger,
        config,
        logger,
        clock: options.clock,
        random: options.random,
        count: (_outcome, n = 1) => ledgerCount?.(n),
        observeLatency: (lane, ms) => {
          const list = latency.get(lane) ?? [];
          list.push(ms);
          latency.set(lane, list);
        },
      })
    : undefined;

  // Shadow mode replaces every Hood creator, an injected one included: nothing may reach Hood. The token is
  // still resolved, so a missing SSM parameter shows during the shadow week, not on the day it ends.
  const dryRun = config.hood.dryRun ? createDryRunHood(logger) : undefined;
  if (dryRun) {
    logger.warn(
      'Shadow mode (HOOD_DRY_RUN=true): decisions, pacing, ledger, logs and metrics run; nothing is sent to Hood',
      { dryRun: true },
    );
  }
  const connect = async () => {
    if (dryRun) {
      await resolveToken(config.hood.token);
      return dryRun;
    }
    return (
      options.hood ??
      createHoodClient({
        apiUrl: config.hood.apiUrl,
        token: await resolveToken(config.hood.token),
        requestTimeoutMs: config.hood.requestTimeoutMs,
      })
    );
  };
  let hood = await connect();
  // A token kept in SSM can be rotated without a deploy: after a 401/403, read it again before the
  // next batch (a rolled key is deactivated at once:
  // https://docs.ocamba.com/api/core/v2.0/create-personal-api-keys-by_id-roll).
  let reconnect = false;

  return {
    pacer,
    gate,
    async handle(event, context) {
      // The batch's deletes and re-queues need the SQS SDK: start loading it now (once per container), while
      // the ledger and Hood answer the first calls. A failed load surfaces at the first SQS call.
      if (!options.sqs) loadSqsSdk().catch(() => undefined);
      if (reconnect && config.hood.token.kind === 'ssm' && !options.hood) {
        reconnect = false;
        try {
          const fresh = await connect();
          await (hood as { close?: () => Promise<void> }).close?.();
          hood = fresh;
        } catch (error) {
          logger.error('Could not re-read the Hood token from SSM', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      const counts: Partial<Record<Outcome | 'dry_run_blocked', number>> = {};
      const sources: Record<string, number> = {};
      ledgerCount = (n) => {
        counts.ledger_unavailable = (counts.ledger_unavailable ?? 0) + n;
      };
      latency.clear();
      logger.appendKeys?.({ awsRequestId: context?.awsRequestId });
      // Lambda always passes a context; a bare invocation (a test, a script) gets a 60 s budget.
      const now = options.clock ?? (() => Date.now());
      const startedAt = now();
      const remaining =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? () => context.getRemainingTimeInMillis()
          : () => DEFAULT_BUDGET_MS - (now() - startedAt);
      const records = Array.isArray(event?.Records) ? event.Records : [];
      const lane = batchLane(records, config.queues);
      let paced: RateGate | undefined;
      try {
        paced = await gate(lane);
        return await processBatch(records, remaining, {
          config,
          hood,
          sqs,
          pacer: paced,
          recent,
          ledger: ledgerHooks,
          logger,
          clock: options.clock,
          random: options.random,
          count: (outcome, n = 1) => {
            counts[outcome] = (counts[outcome] ?? 0) + n;
          },
          onUnauthorized: () => {
            reconnect = true;
          },
          countSource: (source) => {
            sources[source] = (sources[source] ?? 0) + 1;
          },
        });
      } finally {
        // A would-be block is counted as such, never as `blocked` (that metric means Hood's 201).
        publishCounts(shadowCounts(counts, dryRun?.takeCount() ?? 0));
        if (Object.keys(sources).length > 0) publishSources(sources);
        if (latency.size > 0) publishLatency(latency);
        const parallel = paced?.parallelReport?.();
        if (parallel) publishParallel(parallel, lane);
      }
    },
    async close() {
      await (hood as { close?: () => Promise<void> }).close?.();
      sqs.destroy();
      if (!options.ledger) ledger?.close();
    },
  };
}

/** One EMF document per invocation with a count per outcome (zeros omitted; nothing when all are zero). */
export function emfPublisher(): (counts: Partial<Record<Outcome | 'dry_run_blocked', number>>) => void {
  const publish = countsEmfPublisher({ whenEmpty: 'skip' });
  return (counts) => publish(counts);
}

/**
 * `source_events`: one EMF document per source, with the `provider` dimension the webhook's `webhook_requests`
 * carries (the quiet-source alarms of infra/source-alarms.cjs sum the two; an event is in only one of them).
 */
export function sourcesEmfPublisher(): (counts: Readonly<Record<string, number>>) => void {
  const publish = countsEmfPublisher({ whenEmpty: 'skip' });
  return (counts) => {
    for (const [provider, n] of Object.entries(counts)) publish({ source_events: n }, { provider });
  };
}

/**
 * Opt-out latency (issue 11 §4): one EMF document per lane and invocation, every block a value of
 * `optout_latency_ms` (EMF takes up to 100 values per metric:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Imports and backfills (`bulk`) get a `lane=bulk` dimension, which keeps them out of the live alarm.
 */
export function latencyEmfPublisher(): (samples: ReadonlyMap<Lane, readonly number[]>) => void {
  const metrics = serviceMetrics();
  return (samples) => {
    for (const [lane, values] of samples) {
      for (let i = 0; i < values.length; i += 100) {
        // Live samples carry only the `service` dimension, the one the live alarm (serverless.yml
        // OptOutLatencyAlarm) and the dashboard watch; bulk samples add `lane=bulk`, a separate metric.
        if (lane === 'bulk') metrics.addDimension('lane', lane);
        for (const v of values.slice(i, i + 100))
          metrics.addMetric('optout_latency_ms', MetricUnit.Milliseconds, Math.round(v));
        metrics.publishStoredMetrics();
      }
    }
  };
}

/**
 * Hood's parallel cap as learned (lib/pacing/parallel-cap.ts): after each invocation, `hood_parallel_cap` (calls
 * in flight the gate may use: account-wide with the shared budget, this consumer's with static shares) and
 * `hood_parallel_limited` (`429 Retry-After: -1` answers; omitted when none). Bulk gets a `lane=bulk` dimension.
 */
export function parallelEmfPublisher(): (report: ParallelReport, lane: RateLane) => void {
  const metrics = serviceMetrics();
  return (report, lane) => {
    if (lane === 'bulk') metrics.addDimension('lane', lane);
    metrics.addMetric('hood_parallel_cap', MetricUnit.Count, report.learnedCap);
    if (report.parallelLimited > 0)
      metrics.addMetric('hood_parallel_limited', MetricUnit.Count, report.parallelLimited);
    metrics.publishStoredMetrics();
  };
}
