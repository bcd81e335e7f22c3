import type { Consumer } from '../lib/consumer/consumer.js';
import type { Outcome } from '../lib/consumer/process-batch.js';
import type { QueueDepth } from '../lib/queue/sqs.js';
import type { ComponentLog } from './file-log.js';

/** Every outcome the consumer logs per record, in the order the stop summary lists them. */
export const OUTCOMES: readonly Outcome[] = [
  'blocked',
  'already_blocked',
  'deduplicated',
  'ignored',
  'dead_lettered',
  'retried',
  'rate_limited',
  'unauthorized',
  'deferred',
];

/**
 * Counts kept per record, as the consumers decide them, so that the status line moves with every
 * contact rather than once per batch of ten. Read from the consumers' structured log lines (each
 * per-record line carries its `outcome`, the same field CloudWatch Logs Insights queries use).
 */
export interface LiveCounts {
  outcomes: Record<Outcome, number>;
  /**
   * Shadow mode's would-be blocks (log lines with outcome `dry_run_blocked`). The consumer also logs such a
   * record as `blocked` (its synthetic answer is a 201), so these are taken off `blocked` for display.
   */
  wouldBlock: number;
  /** Hood create calls started (what the account's rate limit counts). */
  hoodCalls: number;
  /** Start times of the Hood calls of the last minute. */
  recentCalls: number[];
  /** Called after every change; the status line redraws (throttled). */
  onChange?: () => void;
}

export function newLiveCounts(): LiveCounts {
  return {
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    wouldBlock: 0,
    hoodCalls: 0,
    recentCalls: [],
  };
}

const OUTCOME_SET = new Set<string>(OUTCOMES);

export function observeOutcomes<L extends ComponentLog>(logger: L, live: LiveCounts): L {
  const wrap =
    (write: ComponentLog['info']): ComponentLog['info'] =>
    (message, fields) => {
      write(message, fields);
      const outcome = fields?.outcome;
      if (typeof outcome === 'string' && OUTCOME_SET.has(outcome)) {
        live.outcomes[outcome as Outcome] += 1;
        live.onChange?.();
      } else if (outcome === 'dry_run_blocked') {
        live.wouldBlock += 1;
        live.onChange?.();
      }
    };
  return {
    ...logger,
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
  };
}

/**
 * The rate shown is measured where Hood's limit applies: every call the consumer's pacer starts. (A
 * count of finished batches overstates it: ten contacts land at the end of a batch at once.)
 */
export function countHoodCalls(
  consumer: Pick<Consumer, 'pacer'>,
  live: LiveCounts,
  now: () => number = Date.now,
): void {
  const pacer = consumer.pacer;
  const acquire = pacer.acquire.bind(pacer);
  // A slot handed out is a call about to start (whichever limiter: static shares or the shared table).
  pacer.acquire = async (latestStart, sleep) => {
    const ticket = await acquire(latestStart, sleep);
    if (ticket) {
      live.hoodCalls += 1;
      live.recentCalls.push(now());
      live.onChange?.();
    }
    return ticket;
  };
}

export function callsInLastMinute(live: LiveCounts, now: number): number {
  const cutoff = now - 60_000;
  while (live.recentCalls.length > 0 && live.recentCalls[0]! <= cutoff) live.recentCalls.shift();
  return live.recentCalls.length;
}

export interface StatusSnapshot {
  event: 'status';
  /** Shadow mode (HOOD_DRY_RUN=true): `blocked` stays 0, `wouldBlock` counts, no call reaches Hood. */
  dryRun: boolean;
  /** Depths right now (SQS attributes, approximate); `bulk…` for the bulk queue (imports, backfills). */
  now: {
    queued: number;
    inFlight: number;
    deadLetterQueue: number;
    bulkQueued: number;
    bulkInFlight: number;
    bulkDeadLetterQueue: number;
  };
  /** Since this pipeline started, per record. */
  totals: {
    blocked: number;
    wouldBlock: number;
    alreadyBlocked: number;
    ignored: number;
    deadLettered: number;
    hoodCalls: number;
  };
  /** Hood calls started in the last 60 s. */
  hoodCallsPerMinute: number;
  limitPerMinute: number;
}

const NO_DEPTH: QueueDepth = { visible: 0, inFlight: 0, delayed: 0 };

export function statusSnapshot(
  live: LiveCounts,
  depth: { block: QueueDepth; dlq: QueueDepth; bulk?: QueueDepth; bulkDlq?: QueueDepth },
  limitPerMinute: number,
  now: number,
  options: { dryRun?: boolean } = {},
): StatusSnapshot {
  const o = live.outcomes;
  const bulk = depth.bulk ?? NO_DEPTH;
  const bulkDlq = depth.bulkDlq ?? NO_DEPTH;
  const dryRun = options.dryRun === true;
  return {
    event: 'status',
    dryRun,
    now: {
      queued: depth.block.visible + depth.block.delayed,
      inFlight: depth.block.inFlight,
      deadLetterQueue: depth.dlq.visible + depth.dlq.inFlight + depth.dlq.delayed,
      bulkQueued: bulk.visible + bulk.delayed,
      bulkInFlight: bulk.inFlight,
      bulkDeadLetterQueue: bulkDlq.visible + bulkDlq.inFlight + bulkDlq.delayed,
    },
    totals: {
      blocked: dryRun ? 0 : Math.max(0, o.blocked - live.wouldBlock),
      wouldBlock: live.wouldBlock,
      alreadyBlocked: o.already_blocked + o.deduplicated,
      ignored: o.ignored,
      deadLettered: o.dead_lettered,
      hoodCalls: dryRun ? 0 : live.hoodCalls,
    },
    hoodCallsPerMinute: callsInLastMinute(live, now),
    limitPerMinute,
  };
}
