import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ConsumerConfig } from '../config.js';
import { maskContact } from '../contact.js';
import { buildDescription } from '../description.js';
import type { CallOptions, CreateResult } from '../hood/client.js';
import type { RateGate } from '../pacing/pacer.js';
import {
  type DeadLetterInfo,
  type OutgoingMessage,
  changeVisibility,
  deadLetter,
  deadLetterAttributes,
  deleteMessage,
  queueUrlFromArn,
  sendMessages,
  SQS_MAX_DELAY_SECONDS,
} from '../queue/sqs.js';
import { budgetMs, waitMs } from '../pacing/timer-ms.js';
import { applyBlockReasons, mapQueueBody } from '../sources/index.js';
import type { BlockDecision, Decision, NormalisedMessage } from '../types.js';
import type { LedgerHooks } from './ledger-hooks.js';
import type { RecentContacts } from './recent.js';

/** The subset of a Lambda SQS record the consumer reads. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string; SentTimestamp?: string; ApproximateFirstReceiveTimestamp?: string };
  messageAttributes?: Record<string, { stringValue?: string | undefined; dataType?: string } | undefined>;
  eventSourceARN?: string;
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export type LogFields = Record<string, unknown>;
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Outcome counters, published as CloudWatch metrics (EMF) by the handler. */
export type Outcome =
  | 'blocked'
  | 'already_blocked'
  | 'deduplicated'
  | 'ignored'
  | 'dead_lettered'
  | 'retried'
  | 'rate_limited'
  | 'unauthorized'
  | 'deferred'
  | 'ledger_unavailable';

export interface HoodCreator {
  createBlockedContact(
    request: { contact: string; description: string },
    options?: CallOptions,
  ): Promise<CreateResult>;
}

export interface ConsumerDeps {
  config: ConsumerConfig;
  hood: HoodCreator;
  sqs: SQSClient;
  pacer: RateGate;
  recent: RecentContacts;
  logger: Log;
  count: (outcome: Outcome, n?: number) => void;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after a 401/403 so the next invocation can pick up a rotated token (SSM). */
  onUnauthorized?: () => void;
  /** The durable opt-out ledger (claim before Hood, mark after, history); absent: none. */
  ledger?: LedgerHooks;
}

/** Time kept free at the end of an invocation for re-queueing, dead-lettering and returning. */
export const DEADLINE_RESERVE_MS = 1500;
/** A call is started only if it can use at least this much of its timeout before the deadline. */
export const MIN_CALL_BUDGET_MS = 2000;
/** After this many consecutive outages in one invocation, stop calling Hood until the next one. */
export const CIRCUIT_BREAK_AFTER = 3;
/** Delay before a held message (token rejected) is tried again. */
export const HELD_DELAY_SECONDS = 15;

type RetryKind = 'rate_limited' | 'unavailable' | 'unauthorized' | 'deferred' | 'ledger_unavailable';

type ContactResult =
  | { kind: 'done'; outcome: 'blocked' | 'already_blocked' | 'deduplicated' | 'ignored'; hoodId?: string; reason?: string; detail?: string }
  | { kind: 'dead_letter'; reason: string; detail?: string; traceId?: string }
  | { kind: 'retry'; retry: RetryKind; delaySeconds: number; detail?: string };

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, waitMs(ms)));

function attr(record: QueueRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
}

/**
 * Processes one SQS batch sequentially, in pacing order, and returns the partial batch response
 * (`ReportBatchItemFailures`). Implements DESIGN.md's outcome table:
 *
 * - created / already blocked → deleted (we delete it at once, so a later timeout of this invocation
 *   cannot bring it back and cause a second create);
 * - not an opt-out → deleted, counted and logged with the reason;
 * - malformed, invalid contact, Hood 400 → sent to the DLQ with the reason attributes, then deleted;
 * - 401/403 → kept: re-queued as an identical copy with a delay, never dead-lettered;
 * - 429, or not attempted before the deadline → re-queued as a copy (does not count towards the
 *   redrive policy: throttling alone must never dead-letter);
 * - 5xx, timeout, reset → left on the queue with an exponential visibility backoff; the redrive policy
 *   dead-letters after `maxReceiveCount` real attempts;
 * - several contacts, some failed → the failed ones re-queued as normalised messages, original deleted.
 *
 * If a re-queue or dead-letter send fails, the record is reported as failed instead: SQS keeps it.
 */
export async function processBatch(
  records: readonly QueueRecord[],
  remainingTimeMs: () => number,
  deps: ConsumerDeps,
): Promise<BatchResponse> {
  const clock = deps.clock ?? (() => Date.now());
  const sleep = deps.sleep ?? sleepReal;
  const { config, logger } = deps;
  const failures: { itemIdentifier: string }[] = [];
  const pendingDeletes: Promise<void>[] = [];
  const doneInBatch = new Map<string, string | undefined>();
  const inFlightContacts = new Map<string, Promise<unknown>>();
  let held: 'unauthorized' | undefined;
  let consecutiveOutages = 0;

  const deadlineAt = () => clock() + remainingTimeMs();

  /** One contact: dedupe, then the ledger's claim around the Hood call. */
  const blockOne = async (block: BlockDecision, correlationId: string, record: QueueRecord): Promise<ContactResult> => {
    if (doneInBatch.has(block.contact) || deps.recent.has(block.contact)) {
      return { kind: 'done', outcome: 'deduplicated', hoodId: doneInBatch.get(block.contact) };
    }
    if (!deps.ledger) return hoodOne(block, correlationId);
    const gate = await deps.ledger.before(block, record);
    if (gate.kind !== 'proceed') return gate;
    const result = await hoodOne(gate.block, correlationId);
    await deps.ledger.after(gate.block, result, record);
    return result;
  };

  /** One Hood create for one contact, with pacing and deadline. */
  const hoodOne = async (block: BlockDecision, correlationId: string): Promise<ContactResult> => {
    if (held) return { kind: 'retry', retry: 'unauthorized', delaySeconds: HELD_DELAY_SECONDS };
    if (consecutiveOutages >= CIRCUIT_BREAK_AFTER) {
      return { kind: 'retry', retry: 'deferred', delaySeconds: config.hood.retryBaseSeconds, detail: 'Hood unavailable' };
    }
    // The same contact in another record of this batch, in flight right now: its answer decides this one.
    const sibling = inFlightContacts.get(block.contact);
    if (sibling) {
      await sibling.catch(() => undefined);
      if (doneInBatch.has(block.contact)) return { kind: 'done', outcome: 'deduplicated', hoodId: doneInBatch.get(block.contact) };
    }
    const call = (async () => {
      const latestStart = deadlineAt() - DEADLINE_RESERVE_MS - Math.min(config.hood.requestTimeoutMs, MIN_CALL_BUDGET_MS);
      const ticket = await deps.pacer.acquire(latestStart, sleep);
      if (ticket === undefined) return undefined;
      // A 401 or an outage seen by a call that finished while this one waited: do not add to it.
      if (held || consecutiveOutages >= CIRCUIT_BREAK_AFTER) {
        await ticket.finish(clock());
        return 'stopped' as const;
      }
      // Another invocation of this container may have blocked it while we waited our turn (the slot is
      // given back as used: it may have been counted already, and a slot too few is the safe side).
      if (deps.recent.has(block.contact) || doneInBatch.has(block.contact)) {
        await ticket.finish(clock());
        return 'deduplicated' as const;
      }
      const budget = deadlineAt() - ticket.startedAt - DEADLINE_RESERVE_MS;
      let answer: CreateResult | undefined;
      try {
        answer = await deps.hood.createBlockedContact(
          { contact: block.contact, description: buildDescription(block) },
          // The budget comes from the deadline and the slot: whole milliseconds for the request's signal.
          { correlationId, timeoutMs: budgetMs(Math.min(config.hood.requestTimeoutMs, budget)) },
        );
      } finally {
        await ticket.finish(clock(), answer && 'rateLimit' in answer ? answer.rateLimit : undefined);
      }
      return answer;
    })();
    inFlightContacts.set(block.contact, call);
    let attempt: Awaited<typeof call>;
    try {
      attempt = await call;
    } finally {
      if (inFlightContacts.get(block.contact) === call) inFlightContacts.delete(block.contact);
    }
    if (attempt === undefined) {
      return { kind: 'retry', retry: 'deferred', delaySeconds: 0, detail: 'not attempted before the deadline' };
    }
    if (attempt === 'deduplicated') return { kind: 'done', outcome: 'deduplicated' };
    if (attempt === 'stopped') {
      return held
        ? { kind: 'retry', retry: 'unauthorized', delaySeconds: HELD_DELAY_SECONDS }
        : { kind: 'retry', retry: 'deferred', delaySeconds: config.hood.retryBaseSeconds, detail: 'Hood unavailable' };
    }
    const result = attempt;
    switch (result.kind) {
      case 'created':
      case 'already_blocked':
        consecutiveOutages = 0;
        deps.pacer.succeeded();
        doneInBatch.set(block.contact, result.kind === 'created' ? result.id : undefined);
        deps.recent.add(block.contact);
        return { kind: 'done', outcome: result.kind === 'created' ? 'blocked' : 'already_blocked', hoodId: result.kind === 'created' ? result.id : undefined };
      case 'rejected':
        consecutiveOutages = 0;
        deps.pacer.succeeded();
        return {
          kind: 'dead_letter',
          reason: 'hood_rejected',
          detail: [`HTTP ${result.status}`, result.title, result.message].filter(Boolean).join(': '),
          traceId: result.traceId,
        };
      case 'unauthorized':
        held = 'unauthorized';
        deps.pacer.failed();
        deps.onUnauthorized?.();
        logger.error('Hood rejected the API token: processing is held until it is fixed; messages are kept', {
          outcome: 'unauthorized',
          status: result.status,
          traceId: result.traceId,
        });
        return { kind: 'retry', retry: 'unauthorized', delaySeconds: HELD_DELAY_SECONDS, detail: `HTTP ${result.status}` };
      case 'rate_limited': {
        const pauseMs = deps.pacer.rateLimited(result.parallelLimit ? undefined : result.retryAfterMs, clock());
        logger.warn('Hood answered 429; pausing', { outcome: 'rate_limited', retryAfter: result.parallelLimit ? -1 : (result.retryAfterSeconds ?? null), pauseMs: Math.round(pauseMs) });
        return { kind: 'retry', retry: 'rate_limited', delaySeconds: Math.ceil(pauseMs / 1000), detail: `Retry-After ${result.parallelLimit ? '-1' : (result.retryAfterSeconds ?? 'absent')}` };
      }
      case 'unavailable':
        consecutiveOutages += 1;
        deps.pacer.failed();
        return { kind: 'retry', retry: 'unavailable', delaySeconds: 0, detail: `${result.cause}${result.status ? ` HTTP ${result.status}` : ''}` };
    }
  };

  // Records run side by side, as many as the limiter lets this consumer keep calls in flight; their calls
  // are still claimed from the limiter one at a time, in order, and spaced by their start times.
  const runRecord = async (record: QueueRecord): Promise<void> => {
    const receiveCount = Math.max(1, Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1);
    const priorAttempts = attemptsAttribute(attr(record, 'attempts'), config.hood.maxAttempts) + receiveCount - 1;
    const correlationId = attr(record, 'correlation_id') ?? record.messageId;
    const queueUrl = queueUrlFromArn(record.eventSourceARN ?? '', config.queues) ?? config.queues.blockQueueUrl;
    const ctx = { messageId: record.messageId, correlationId, receiveCount };

    try {
      // The last gate before Hood: NEVER_BLOCK, soft_bounce (count-only, or counted under SOFT_BOUNCE_POLICY
      // by the ledger hooks) and BLOCK_REASONS (lib/sources/index.ts, lib/ledger/soft-bounce.ts).
      const mapped = mapQueueBody(record.body, config.policy);
      const decisions = deps.ledger ? deps.ledger.gate(mapped) : applyBlockReasons(mapped, config.policy);
      await deps.ledger?.recordIgnored(mapped, decisions);
      const blocks = uniqueBlocks(decisions);
      const rejects = decisions.filter((d): d is Extract<Decision, { action: 'reject' }> => d.action === 'reject');
      const ignores = decisions.filter((d): d is Extract<Decision, { action: 'ignore' }> => d.action === 'ignore');
      const contactCount = blocks.length + rejects.filter((r) => r.contact !== undefined).length;
      const singleUnit = contactCount <= 1;

      for (const ignore of ignores) {
        deps.count('ignored');
        logger.info('Ignored: not an opt-out', { ...ctx, outcome: 'ignored', reason: ignore.reason, source: ignore.source, detail: ignore.detail });
      }

      // A record that is nothing but rejects (unrecognised body, one invalid contact): dead-letter as is.
      if (blocks.length === 0 && rejects.length > 0) {
        const first = rejects[0]!;
        await deadLetter(deps.sqs, requireDlq(config, queueUrl), record.body, {
          reason: first.reason,
          detail: first.detail,
          source: first.source,
          sourceMessageId: record.messageId,
          correlationId,
          receiveCount,
        });
        deps.count('dead_lettered');
        logger.warn('Dead-lettered', { ...ctx, outcome: 'dead_lettered', reason: first.reason, detail: first.detail, source: first.source });
        return;
      }
      if (blocks.length === 0) return;

      if (priorAttempts >= config.hood.maxAttempts) {
        await deadLetter(deps.sqs, requireDlq(config, queueUrl), record.body, {
          reason: 'retries_exhausted',
          detail: `${priorAttempts} failed attempts`,
          sourceMessageId: record.messageId,
          correlationId,
          receiveCount,
        });
        deps.count('dead_lettered');
        await deps.ledger?.recordDeadLettered(blocks, 'retries_exhausted');
        logger.error('Dead-lettered after exhausting retries', { ...ctx, outcome: 'dead_lettered', reason: 'retries_exhausted', attempts: priorAttempts });
        return;
      }

      // Invalid contacts inside a multi-contact event go to the DLQ one by one; valid ones proceed.
      const deadLetters: OutgoingMessage[] = [];
      for (const reject of rejects) {
        deadLetters.push(contactDeadLetter({ contact: reject.contact ?? '', source: reject.source, eventId: reject.eventId }, {
          reason: reject.reason,
          detail: reject.detail,
          source: reject.source,
          sourceMessageId: record.messageId,
          correlationId,
          receiveCount,
        }));
      }

      const retries: { block: BlockDecision; result: Extract<ContactResult, { kind: 'retry' }> }[] = [];
      let anyDone = false;
      for (const block of blocks) {
        const result = await blockOne(block, correlationId, record);
        const log = { ...ctx, contact: maskContact(block.contact), reason: block.reason, source: block.source };
        if (result.kind === 'done') {
          anyDone = true;
          deps.count(result.outcome);
          if (result.outcome === 'ignored') {
            logger.info('Ignored: not an opt-out', { ...log, outcome: 'ignored', reason: result.reason, detail: result.detail });
            continue;
          }
          logger.info(result.outcome === 'blocked' ? 'Blocked' : result.outcome === 'already_blocked' ? 'Already blocked in Hood' : 'Already blocked recently; no new call', {
            ...log,
            outcome: result.outcome,
            hoodId: result.hoodId,
          });
        } else if (result.kind === 'dead_letter') {
          anyDone = true;
          const info: DeadLetterInfo = { reason: result.reason, detail: result.detail, traceId: result.traceId, source: block.source, sourceMessageId: record.messageId, correlationId, receiveCount };
          deadLetters.push(singleUnit ? { body: record.body, attributes: deadLetterAttributes(info) } : contactDeadLetter(block, info));
          logger.warn('Hood rejected the contact; dead-lettering', { ...log, outcome: 'dead_lettered', reason: result.reason, detail: result.detail, traceId: result.traceId });
        } else {
          retries.push({ block, result });
          deps.count(result.retry === 'unavailable' ? 'retried' : result.retry);
          if (result.retry === 'unavailable') logger.warn('Hood unavailable; will retry', { ...log, outcome: 'retried', detail: result.detail, attempts: priorAttempts + 1 });
          else if (result.retry === 'deferred') logger.info('Not attempted in this invocation; re-queued', { ...log, outcome: 'deferred', detail: result.detail });
        }
      }

      if (deadLetters.length > 0) {
        await sendMessages(deps.sqs, requireDlq(config, queueUrl), deadLetters);
        deps.count('dead_lettered', deadLetters.length);
      }

      if (retries.length === 0) {
        if (queueUrl) pendingDeletes.push(deleteMessage(deps.sqs, queueUrl, record.receiptHandle).catch(() => undefined));
        return;
      }

      const realFailure = retries.some((r) => r.result.retry === 'unavailable');
      const attemptsAfter = priorAttempts + (realFailure ? 1 : 0);
      const delaySeconds = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(...retries.map((r) => r.result.delaySeconds)));

      if (!anyDone && deadLetters.length === 0 && realFailure) {
        // Nothing of this record happened: let SQS redeliver it after a backoff. The receive count is
        // the real-attempt counter the redrive policy uses.
        const backoff = backoffSeconds(config.hood.retryBaseSeconds, priorAttempts);
        if (queueUrl) await changeVisibility(deps.sqs, queueUrl, record.receiptHandle, backoff).catch(() => undefined);
        failures.push({ itemIdentifier: record.messageId });
        return;
      }

      // Throttled, deferred or held (or a mix with partial success): re-queue copies. A copy starts
      // with a fresh receive count, so this never moves a message towards the DLQ; the `attempts`
      // attribute carries the real failures so far.
      const target = queueUrl ?? config.queues.blockQueueUrl;
      if (!target) throw new Error('no queue to re-queue to (BLOCK_QUEUE_URL unset)');
      const baseAttributes: Record<string, string | undefined> = { correlation_id: correlationId, attempts: String(attemptsAfter), requeued_from: record.messageId };
      if (deps.ledger) {
        // Opt-out latency is measured from the first receipt and per lane, copies included.
        baseAttributes.received_at = deps.ledger.firstReceivedAt(record);
        baseAttributes.lane = attr(record, 'lane');
      }
      const copies: OutgoingMessage[] =
        !anyDone && deadLetters.length === 0
          ? [{ body: record.body, delaySeconds: realFailure ? backoffSeconds(config.hood.retryBaseSeconds, priorAttempts) : delaySeconds, attributes: baseAttributes }]
          : retries.map(({ block, result }) => ({
              body: JSON.stringify(toNormalised(block)),
              delaySeconds: result.retry === 'unavailable' ? backoffSeconds(config.hood.retryBaseSeconds, priorAttempts) : result.delaySeconds,
              attributes: baseAttributes,
            }));
      await sendMessages(deps.sqs, target, copies);
      if (queueUrl) pendingDeletes.push(deleteMessage(deps.sqs, queueUrl, record.receiptHandle).catch(() => undefined));
    } catch (error) {
      // Queue I/O failed (or something unexpected): keep the message; SQS redelivers it.
      failures.push({ itemIdentifier: record.messageId });
      logger.error('Record kept for retry after an internal failure', {
        ...ctx,
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

/**
 * The `attempts` attribute as a whole count in 0..maxAttempts. Anyone who can send to the queue sets it:
 * a negative or fractional value must not buy extra retries or a fractional backoff, and a huge one
 * means "exhausted", nothing more.
 */
export function attemptsAttribute(raw: string | undefined, maxAttempts: number): number {
  const n = Number(raw ?? '0');
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(maxAttempts, Math.floor(n));
}

/** Exponential backoff for real failures: base × 2^attempts, capped at SQS's 900 s delay, ±20% jitter. */
export function backoffSeconds(baseSeconds: number, priorAttempts: number): number {
  const raw = Math.min(SQS_MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.min(priorAttempts, 20));
  return Math.max(1, Math.round(raw * (0.8 + Math.random() * 0.4)));
}

function requireDlq(config: ConsumerConfig, sourceQueueUrl?: string): string {
  // A bulk record (import, backfill) is dead-lettered beside the bulk queue: the live DLQ alarm stays for live opt-outs.
  const { bulkQueueUrl, bulkDeadLetterQueueUrl } = config.queues;
  if (bulkDeadLetterQueueUrl && bulkQueueUrl && sourceQueueUrl === bulkQueueUrl) return bulkDeadLetterQueueUrl;
  if (!config.queues.deadLetterQueueUrl) throw new Error('DEAD_LETTER_QUEUE_URL is not set; cannot dead-letter');
  return config.queues.deadLetterQueueUrl;
}

/** One block per distinct contact of a record, first reason wins (identical contacts → one call). */
function uniqueBlocks(decisions: readonly Decision[]): BlockDecision[] {
  const seen = new Set<string>();
  const out: BlockDecision[] = [];
  for (const d of decisions) {
    if (d.action !== 'block' || seen.has(d.contact)) continue;
    seen.add(d.contact);
    out.push(d);
  }
  return out;
}

function toNormalised(block: BlockDecision): NormalisedMessage {
  const msg: NormalisedMessage = { contact: block.contact, reason: block.reason, source: block.source };
  if (block.description) msg.description = block.description;
  if (block.eventId) msg.eventId = block.eventId;
  if (block.occurredAt) msg.occurredAt = block.occurredAt;
  return msg;
}

function contactDeadLetter(
  block: { contact: string; source: string; eventId?: string | undefined },
  info: DeadLetterInfo,
): OutgoingMessage {
  const body: Record<string, string> = { contact: block.contact, source: block.source };
  if (block.eventId) body.eventId = block.eventId;
  return { body: JSON.stringify(body), attributes: deadLetterAttributes(info) };
}

