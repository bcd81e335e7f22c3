import { maskContact, redactContacts } from '../contact.js';
import {
  type DeadLetterInfo,
  type OutgoingMessage,
  deadLetterAttributes,
  SQS_MAX_DELAY_SECONDS,
} from '../queue/sqs.js';
import { distinctBlocks } from '../dedupe.js';
import { encodeJsonBody } from '../queue/encode.js';
import { encodeMessage } from '../queue/message.js';
import type { BlockDecision, Decision } from '../types.js';
import type { ContactOutcome, ContactResult, LogFields, Outcome } from './types.js';

/**
 * The pure step of the consumer: one record's decisions and the results of its Hood calls in, the SQS actions
 * (and the counts and log lines that go with them) out, in the order they are to be applied. It implements
 * the consumer's outcome table (docs/outcomes.md):
 *
 * - created / already blocked → deleted (at once, so a later timeout of this invocation cannot bring it back
 *   and cause a second create);
 * - not an opt-out → acknowledged (Lambda deletes it), counted and logged with the reason;
 * - malformed, invalid contact, Hood 400 → sent to the DLQ with the reason attributes, then deleted;
 * - 401/403 → kept: re-queued as an identical copy with a delay, never dead-lettered;
 * - 429, or not attempted before the deadline → re-queued as a copy (does not count towards the redrive
 *   policy: throttling alone must never dead-letter);
 * - 5xx, timeout, reset → left on the queue with an exponential visibility backoff; the redrive policy
 *   dead-letters after `maxReceiveCount` real attempts;
 * - several contacts, some failed → the failed ones re-queued as normalised messages, original deleted.
 *
 * Nothing here reads a clock, randomness or the network: `now` stamps dead letters, `random` jitters backoffs.
 */

/** What the settle step knows about one record. */
export interface SettleRecord {
  messageId: string;
  body: string;
  correlationId: string;
  receiveCount: number;
  /** Real failures so far: the `attempts` attribute plus earlier receipts of this copy. */
  priorAttempts: number;
  /** Ledger only: carried on re-queued copies, so latency is measured from the first receipt and per lane. */
  latency?: { receivedAt: string | undefined; lane: string | undefined };
}

export interface SettlePolicy {
  maxAttempts: number;
  retryBaseSeconds: number;
  /** Milliseconds since the epoch: the `dead_lettered_at` of dead letters. */
  now: number;
  /** In [0, 1): backoff jitter. */
  random: () => number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One step of a record's settlement, applied in order; an SQS step that fails stops the rest. */
export type SettleStep =
  | { kind: 'count'; outcome: Outcome; n: number }
  | { kind: 'log'; level: LogLevel; message: string; fields: LogFields }
  /** Send to the DLQ that belongs to the record's queue (the bulk DLQ for bulk records). */
  | { kind: 'dead_letter'; messages: OutgoingMessage[] }
  /** Send copies to the record's own queue (a copy starts with a fresh receive count). */
  | { kind: 'requeue'; messages: OutgoingMessage[] }
  /** Delete the record now (in the background; the batch waits for it before returning). */
  | { kind: 'delete' }
  /** Leave it on the queue, invisible this long, and report it failed: SQS redelivers it (a real attempt). */
  | { kind: 'backoff'; visibilitySeconds: number }
  /** Tell the ledger these contacts were dead-lettered (history). */
  | { kind: 'ledger_dead_lettered'; blocks: BlockDecision[]; reason: string };

type Reject = Extract<Decision, { action: 'reject' }>;
type Ignore = Extract<Decision, { action: 'ignore' }>;

/** A record's decisions, split as the consumer treats them. */
export interface RecordPlan {
  ignores: Ignore[];
  rejects: Reject[];
  /** One per distinct contact, first reason wins. */
  blocks: BlockDecision[];
}

export function planRecord(decisions: readonly Decision[]): RecordPlan {
  return {
    ignores: decisions.filter((d): d is Ignore => d.action === 'ignore'),
    rejects: decisions.filter((d): d is Reject => d.action === 'reject'),
    // One block per distinct contact of a record, first reason wins (identical contacts → one call).
    blocks: distinctBlocks(decisions),
  };
}

/** Whether the record's contacts go to Hood at all (not when it is all rejects or out of attempts). */
export function needsHood(plan: RecordPlan, record: SettleRecord, policy: Pick<SettlePolicy, 'maxAttempts'>): boolean {
  return plan.blocks.length > 0 && record.priorAttempts < policy.maxAttempts;
}

/**
 * Turns a record's plan and its contacts' results (one per `plan.blocks`, in order, when `needsHood`; none
 * otherwise) into the steps that settle it.
 */
export function settle(
  plan: RecordPlan,
  results: readonly ContactOutcome[],
  record: SettleRecord,
  policy: SettlePolicy,
): SettleStep[] {
  const steps: SettleStep[] = [];
  const ctx = { messageId: record.messageId, correlationId: record.correlationId, receiveCount: record.receiveCount };
  const stamp = (info: DeadLetterInfo) => ({
    ...deadLetterAttributes(info),
    dead_lettered_at: new Date(policy.now).toISOString(),
  });
  const { ignores, rejects, blocks } = plan;
  const infoBase = {
    sourceMessageId: record.messageId,
    correlationId: record.correlationId,
    receiveCount: record.receiveCount,
  };

  for (const ignore of ignores) {
    steps.push({ kind: 'count', outcome: 'ignored', n: 1 });
    steps.push({
      kind: 'log',
      level: 'info',
      message: 'Ignored: not an opt-out',
      fields: {
        ...ctx,
        outcome: 'ignored',
        reason: ignore.reason,
        source: redactContacts(ignore.source),
        detail: ignore.detail,
      },
    });
  }

  // A record that is nothing but rejects (unrecognised body, one invalid contact): dead-letter as is.
  if (blocks.length === 0 && rejects.length > 0) {
    const first = rejects[0]!;
    steps.push({
      kind: 'dead_letter',
      messages: [
        {
          body: record.body,
          attributes: stamp({ reason: first.reason, detail: first.detail, source: first.source, ...infoBase }),
        },
      ],
    });
    steps.push({ kind: 'count', outcome: 'dead_lettered', n: 1 });
    steps.push({
      kind: 'log',
      level: 'warn',
      message: 'Dead-lettered',
      fields: {
        ...ctx,
        outcome: 'dead_lettered',
        reason: first.reason,
        detail: first.detail,
        source: redactContacts(first.source),
      },
    });
    return steps;
  }
  if (blocks.length === 0) return steps;

  if (record.priorAttempts >= policy.maxAttempts) {
    steps.push({
      kind: 'dead_letter',
      messages: [
        {
          body: record.body,
          attributes: stamp({
            reason: 'retries_exhausted',
            detail: `${record.priorAttempts} failed attempts`,
            ...infoBase,
          }),
        },
      ],
    });
    steps.push({ kind: 'count', outcome: 'dead_lettered', n: 1 });
    steps.push({ kind: 'ledger_dead_lettered', blocks, reason: 'retries_exhausted' });
    steps.push({
      kind: 'log',
      level: 'error',
      message: 'Dead-lettered after exhausting retries',
      fields: { ...ctx, outcome: 'dead_lettered', reason: 'retries_exhausted', attempts: record.priorAttempts },
    });
    return steps;
  }

  const contactCount = blocks.length + rejects.filter((r) => r.contact !== undefined).length;
  const singleUnit = contactCount <= 1;

  // Invalid contacts inside a multi-contact event go to the DLQ one by one; valid ones proceed.
  const deadLetters: OutgoingMessage[] = rejects.map((reject) =>
    contactDeadLetter(
      { contact: reject.contact ?? '', source: reject.source, eventId: reject.eventId },
      stamp({ reason: reject.reason, detail: reject.detail, source: reject.source, ...infoBase }),
    ),
  );

  const retries: { block: BlockDecision; result: Extract<ContactResult, { kind: 'retry' }> }[] = [];
  let anyDone = false;
  for (const { block, result } of results) {
    const log = {
      ...ctx,
      contact: maskContact(block.contact),
      reason: block.reason,
      source: redactContacts(block.source),
    };
    if (result.kind === 'done') {
      anyDone = true;
      steps.push({ kind: 'count', outcome: result.outcome, n: 1 });
      if (result.outcome === 'ignored') {
        steps.push({
          kind: 'log',
          level: 'info',
          message: 'Ignored: not an opt-out',
          fields: { ...log, outcome: 'ignored', reason: result.reason, detail: result.detail },
        });
        continue;
      }
      const message =
        result.outcome === 'blocked'
          ? 'Blocked'
          : result.outcome === 'already_blocked'
            ? 'Already blocked in Hood'
            : 'Already blocked recently; no new call';
      steps.push({
        kind: 'log',
        level: 'info',
        message,
        fields: { ...log, outcome: result.outcome, hoodId: result.hoodId },
      });
    } else if (result.kind === 'dead_letter') {
      anyDone = true;
      const attributes = stamp({
        reason: result.reason,
        detail: result.detail,
        traceId: result.traceId,
        source: block.source,
        ...infoBase,
      });
      deadLetters.push(singleUnit ? { body: record.body, attributes } : contactDeadLetter(block, attributes));
      steps.push({
        kind: 'log',
        level: 'warn',
        message: 'Hood rejected the contact; dead-lettering',
        fields: {
          ...log,
          outcome: 'dead_lettered',
          reason: result.reason,
          detail: result.detail,
          traceId: result.traceId,
        },
      });
    } else {
      retries.push({ block, result });
      steps.push({ kind: 'count', outcome: result.retry === 'unavailable' ? 'retried' : result.retry, n: 1 });
      if (result.retry === 'unavailable')
        steps.push({
          kind: 'log',
          level: 'warn',
          message: 'Hood unavailable; will retry',
          fields: { ...log, outcome: 'retried', detail: result.detail, attempts: record.priorAttempts + 1 },
        });
      else if (result.retry === 'deferred')
        steps.push({
          kind: 'log',
          level: 'info',
          message: 'Not attempted in this invocation; re-queued',
          fields: { ...log, outcome: 'deferred', detail: result.detail },
        });
    }
  }

  if (deadLetters.length > 0) {
    steps.push({ kind: 'dead_letter', messages: deadLetters });
    steps.push({ kind: 'count', outcome: 'dead_lettered', n: deadLetters.length });
  }

  if (retries.length === 0) {
    steps.push({ kind: 'delete' });
    return steps;
  }

  const realFailure = retries.some((r) => r.result.retry === 'unavailable');
  const attemptsAfter = record.priorAttempts + (realFailure ? 1 : 0);
  const delaySeconds = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(...retries.map((r) => r.result.delaySeconds)));
  const backoff = () => backoffSeconds(policy.retryBaseSeconds, record.priorAttempts, policy.random);

  if (!anyDone && deadLetters.length === 0 && realFailure) {
    // Nothing of this record happened: let SQS redeliver it after a backoff. The receive count is the
    // real-attempt counter the redrive policy uses.
    steps.push({ kind: 'backoff', visibilitySeconds: backoff() });
    return steps;
  }

  // Throttled, deferred or held (or a mix with partial success): re-queue copies. A copy starts with a fresh
  // receive count, so this never moves a message towards the DLQ; `attempts` carries the real failures so far.
  const attributes: Record<string, string | undefined> = {
    correlation_id: record.correlationId,
    attempts: String(attemptsAfter),
    requeued_from: record.messageId,
  };
  if (record.latency) {
    attributes.received_at = record.latency.receivedAt;
    attributes.lane = record.latency.lane;
  }
  const copies: OutgoingMessage[] =
    !anyDone && deadLetters.length === 0
      ? [{ body: record.body, delaySeconds: realFailure ? backoff() : delaySeconds, attributes }]
      : retries.map(({ block, result }) => ({
          body: encodeMessage(block),
          delaySeconds: result.retry === 'unavailable' ? backoff() : result.delaySeconds,
          attributes,
        }));
  steps.push({ kind: 'requeue', messages: copies });
  steps.push({ kind: 'delete' });
  return steps;
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
export function backoffSeconds(baseSeconds: number, priorAttempts: number, random: () => number = Math.random): number {
  const raw = Math.min(SQS_MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.min(priorAttempts, 20));
  return Math.max(1, Math.round(raw * (0.8 + random() * 0.4)));
}

function contactDeadLetter(
  block: { contact: string; source: string; eventId?: string | undefined },
  attributes: Record<string, string | undefined>,
): OutgoingMessage {
  const body: Record<string, string> = { contact: block.contact, source: block.source };
  if (block.eventId) body.eventId = block.eventId;
  return { body: encodeJsonBody(body), attributes };
}
