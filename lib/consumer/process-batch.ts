import type { SqsClientLike } from '../queue/sqs.js';
import type { ConsumerConfig } from '../config.js';
import type { RateGate } from '../pacing/pacer.js';
import { queueUrlFromArn } from '../queue/sqs.js';
import { waitMs } from '../pacing/timer-ms.js';
import { gateDecisions } from '../policy/index.js';
import { mapUnwrappedBody } from '../mapping/index.js';
import { type UnwrappedQueueBody, unwrapQueueBody } from '../envelopes/sqs.js';
import type { Decision } from '../types.js';
import { decodeOptIn, encodeOptIn, isOptIn } from '../queue/opt-in.js';
import { applySteps } from './apply.js';
import { settleOptIn } from './opt-in.js';
import { BatchState, createContactCaller } from './hood-call.js';
import type { LedgerHooks } from './ledger-hooks.js';
import type { RecentContacts } from './recent.js';
import { attemptsAttribute, needsHood, planRecord, type SettleRecord, settle } from './settle.js';
import type { BatchResponse, ContactOutcome, HoodCreator, Log, Outcome, QueueRecord } from './types.js';

export type { BatchResponse, HoodCreator, Log, LogFields, Outcome, QueueRecord } from './types.js';
export { CIRCUIT_BREAK_AFTER, DEADLINE_RESERVE_MS, HELD_DELAY_SECONDS, MIN_CALL_BUDGET_MS } from './hood-call.js';
export { attemptsAttribute, backoffSeconds } from './settle.js';

export interface ConsumerDeps {
  config: ConsumerConfig;
  hood: HoodCreator;
  sqs: SqsClientLike;
  pacer: RateGate;
  recent: RecentContacts;
  logger: Log;
  count: (outcome: Outcome, n?: number) => void;
  /** The consumer's clock (deadline, slots, dead-letter timestamps); default `Date.now`. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): backoff jitter; default `Math.random`. */
  random?: () => number;
  /** Called after a 401/403 so the next invocation can pick up a rotated token (SSM). */
  onUnauthorized?: () => void;
  /** The durable opt-out ledger (claim before Hood, mark after, history); absent: none. */
  ledger?: LedgerHooks;
  /** Called once per source (ses, aws-sms, …) of each record AWS delivered to the queue itself (`source_events`). */
  countSource?: (source: string) => void;
}

/**
 * The sources of a record AWS put on the queue itself (SES by SNS raw delivery, an SNS envelope, EventBridge, SMS),
 * as the mapper attributed them, so that a quiet SES source can alarm like a quiet webhook. A normalised message
 * (our ingress, the CLI, a consumer's own copy) gives none: the webhook already counted its request.
 */
export function awsDeliveredSources(body: UnwrappedQueueBody, decisions: readonly Decision[]): string[] {
  if (body.kind !== 'aws') return [];
  // `unknown`: a payload no mapper recognised names no source. (The registry's name list is not imported: it would
  // pull every webhook verifier into the consumer bundle.)
  return [...new Set(decisions.map((d) => d.source))].filter((s) => s !== 'unknown');
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, waitMs(ms)));

function attr(record: QueueRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
}

/**
 * Processes one SQS batch and returns the partial batch response (`ReportBatchItemFailures`). The driver:
 * records run side by side (as many as the limiter lets this consumer keep calls in flight), each one
 * 1. decided (the policy gate: NEVER_BLOCK, soft bounces, BLOCK_REASONS),
 * 2. its contacts sent to Hood by the paced call (hood-call.ts: deadline, circuit breaker, held state),
 * 3. settled by the pure step (settle.ts: the outcome table of docs/outcomes.md → SQS actions),
 * 4. and those actions applied (apply.ts). If a re-queue or dead-letter send fails, the record is
 *    reported as failed instead: SQS keeps it.
 */
export async function processBatch(
  records: readonly QueueRecord[],
  remainingTimeMs: () => number,
  deps: ConsumerDeps,
): Promise<BatchResponse> {
  const clock = deps.clock ?? (() => Date.now());
  const random = deps.random ?? Math.random;
  const { config, logger } = deps;
  const failures: { itemIdentifier: string }[] = [];
  const pendingDeletes: Promise<void>[] = [];
  const state = new BatchState();
  const blockOne = createContactCaller(deps, state, {
    clock,
    deadlineAt: () => clock() + remainingTimeMs(),
    sleep: deps.sleep ?? sleepReal,
  });

  const runRecord = async (record: QueueRecord): Promise<void> => {
    const receiveCount = Math.max(1, Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1);
    const correlationId = attr(record, 'correlation_id') ?? record.messageId;
    const queueUrl = queueUrlFromArn(record.eventSourceARN ?? '', config.queues) ?? config.queues.blockQueueUrl;
    try {
      // An opt-in (lib/queue/opt-in.ts) is settled on its own path, which has no Hood call: never a block.
      const optIn = decodeOptIn(record.body);
      if (optIn !== undefined) {
        const standing = !optIn.ok
          ? 'never_blocked'
          : deps.ledger
            ? await deps.ledger.optIn(optIn.message)
            : 'no_ledger';
        const steps = settleOptIn(
          optIn,
          standing,
          { messageId: record.messageId, body: record.body, correlationId, receiveCount },
          clock(),
        );
        const applied = await applySteps(steps, record, queueUrl, deps);
        pendingDeletes.push(...applied.deletes);
        if (applied.failed) failures.push({ itemIdentifier: record.messageId });
        return;
      }
      // The last gate before Hood: NEVER_BLOCK, soft_bounce (count-only, or counted under SOFT_BOUNCE_POLICY
      // by the ledger hooks) and BLOCK_REASONS (lib/policy/gate.ts).
      const body = unwrapQueueBody(record.body);
      const mapped = mapUnwrappedBody(body, config.policy);
      // First delivery only: a redelivered record is the same event, not a sign of life.
      if (deps.countSource && receiveCount === 1)
        for (const s of awsDeliveredSources(body, mapped)) deps.countSource(s);
      // A provider event read here (SES through SNS raw delivery) may be an opt-in: it stays an ignore below
      // and, for someone blocked, also goes to a human as an opt-in message (never_blocked: the ignore counts it).
      for (const d of mapped.filter(isOptIn)) {
        const body = encodeOptIn(d);
        const decoded = decodeOptIn(body)!;
        const standing = !decoded.ok
          ? 'never_blocked'
          : deps.ledger
            ? await deps.ledger.optIn(decoded.message)
            : 'no_ledger';
        if (standing === 'never_blocked') continue;
        const steps = settleOptIn(
          decoded,
          standing,
          { messageId: record.messageId, body, correlationId, receiveCount },
          clock(),
        );
        await applySteps(steps, record, queueUrl, deps);
      }
      const decisions = deps.ledger ? deps.ledger.gate(mapped) : gateDecisions(mapped, config.policy);
      await deps.ledger?.recordIgnored(mapped, decisions);
      const plan = planRecord(decisions);
      const settled: SettleRecord = {
        messageId: record.messageId,
        body: record.body,
        correlationId,
        receiveCount,
        priorAttempts: attemptsAttribute(attr(record, 'attempts'), config.hood.maxAttempts) + receiveCount - 1,
        // Opt-out latency is measured from the first receipt and per lane, copies included.
        latency: deps.ledger
          ? { receivedAt: deps.ledger.firstReceivedAt(record), lane: attr(record, 'lane') }
          : undefined,
      };
      const results: ContactOutcome[] = [];
      if (needsHood(plan, settled, config.hood)) {
        // A record's contacts go one after another: a multi-contact record is one unit of pacing order.
        for (const block of plan.blocks) results.push({ block, result: await blockOne(block, correlationId, record) });
      }
      const steps = settle(plan, results, settled, {
        maxAttempts: config.hood.maxAttempts,
        retryBaseSeconds: config.hood.retryBaseSeconds,
        now: clock(),
        random,
      });
      const applied = await applySteps(steps, record, queueUrl, deps);
      pendingDeletes.push(...applied.deletes);
      if (applied.failed) failures.push({ itemIdentifier: record.messageId });
    } catch (error) {
      // Queue I/O failed (or something unexpected): keep the message; SQS redelivers it.
      failures.push({ itemIdentifier: record.messageId });
      logger.error('Record kept for retry after an internal failure', {
        messageId: record.messageId,
        correlationId,
        receiveCount,
        outcome: 'retried',
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      deps.count('retried');
    }
  };

  await runPool(records, Math.max(1, deps.pacer.maxInFlight), runRecord);
  await Promise.all(pendingDeletes);
  return { batchItemFailures: failures };
}

/** Run `task` over `items` with at most `limit` running at once, starting them in order. */
async function runPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}
