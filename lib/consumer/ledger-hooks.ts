import { createHash } from 'node:crypto';
import type { ConsumerConfig, SoftBouncePolicy } from '../config.js';
import { maskContact } from '../contact.js';
import { isLedgerUnavailable, type Ledger, type LedgerEvent } from '../ledger/index.js';
import { type OptInStanding, RESUBSCRIBED_REASON, standingOf } from './opt-in.js';
import type { OptInMessage } from '../queue/opt-in.js';
import {
  type GatePolicy,
  gateDecisions,
  isShadowAnswer,
  SOFT_BOUNCE_POLICY_NOT_SET,
  softBounceAt,
  softBounceVerdict,
} from '../policy/index.js';
import { queueUrlFromArn } from '../queue/sqs.js';
import type { BlockDecision, Decision } from '../types.js';

/**
 * The consumer's use of the ledger (issue 11), as a few hook calls from process-batch.ts:
 *
 *   `before` — claim the contact (conditional write with a lease) before Hood; `already_blocked` without a
 *              call when the ledger saw it blocked within LEDGER_BLOCKED_DAYS; `deferred` when another
 *              consumer holds the lease; soft bounces are counted here against SOFT_BOUNCE_POLICY;
 *   `after`    — Hood's answer: blocked (with Hood's id), or the claim released so the retry can claim;
 *   `record*`  — every other decision about a known contact goes into its history.
 *
 * The ledger unavailable is like throttling, not a real attempt: the record is re-queued with a backoff
 * and its `attempts` untouched, and nothing is sent to Hood that the ledger could not claim (so nothing
 * is blocked twice knowingly). Logged as an error and counted (`ledger_unavailable`).
 */

export interface LedgerHookLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the hooks read of an SQS record. */
export interface LedgerRecordInfo {
  messageId: string;
  body: string;
  attributes?: { SentTimestamp?: string; ApproximateFirstReceiveTimestamp?: string };
  messageAttributes?: Record<string, { stringValue?: string | undefined } | undefined>;
  eventSourceARN?: string;
}

/** `live` events measure opt-out latency from the event; `bulk` (imports, backfills) from queue time. */
export type Lane = 'live' | 'bulk';

export type GateVerdict =
  | { kind: 'proceed'; block: BlockDecision }
  | { kind: 'done'; outcome: 'already_blocked' | 'ignored'; hoodId?: string; reason?: string; detail?: string }
  | { kind: 'retry'; retry: 'deferred' | 'ledger_unavailable'; delaySeconds: number; detail?: string };

/** The part of process-batch's per-contact result the hooks need. */
export type HoodOutcome =
  | { kind: 'done'; outcome: string; hoodId?: string }
  | { kind: 'dead_letter'; reason: string }
  | { kind: 'retry'; retry: string };

export interface LedgerHooks {
  /** The last gate before Hood; with SOFT_BOUNCE_POLICY, soft bounces pass it to be counted (lib/policy/gate.ts). */
  gate(mapped: readonly Decision[]): Decision[];
  before(block: BlockDecision, record: LedgerRecordInfo): Promise<GateVerdict>;
  after(block: BlockDecision, outcome: HoodOutcome, record: LedgerRecordInfo): Promise<void>;
  /** Blocks that the policy turned into ignores (their contact is known): history `ignored`. */
  recordIgnored(mapped: readonly Decision[], decided: readonly Decision[]): Promise<void>;
  /** A record dead-lettered as a whole (retries exhausted): history `dead_lettered` for each contact. */
  recordDeadLettered(blocks: readonly BlockDecision[], reason: string): Promise<void>;
  /** The attribute a re-queued copy carries so latency is still measured from the first receipt. */
  firstReceivedAt(record: LedgerRecordInfo): string | undefined;
  /**
   * Someone opted back in: whether the ledger holds them as blocked, and if so history `resubscribed` (`why`
   * shows it). A ledger error throws: the record stays on the queue.
   */
  optIn(message: OptInMessage): Promise<OptInStanding>;
}

export interface LedgerHookOptions {
  ledger: Ledger;
  config: ConsumerConfig;
  logger: LedgerHookLog;
  count: (outcome: 'ledger_unavailable', n?: number) => void;
  /** One opt-out latency sample per block (Hood 201), by lane. */
  observeLatency?: (lane: Lane, ms: number) => void;
  clock?: () => number;
  /** In [0, 1): jitter of the retry delay when the ledger is unavailable; default `Math.random`. */
  random?: () => number;
}

/** Message attribute a re-queued copy carries: epoch ms of the first receipt of the original. */
export const RECEIVED_AT_ATTRIBUTE = 'received_at';
/** Message attribute marking imports and backfills (`bulk`); anything else is `live`. */
export const LANE_ATTRIBUTE = 'lane';
/** Longest wait for another consumer's lease before looking again. */
const MAX_PENDING_DELAY_SECONDS = 5;
/** After a ledger error, calls are not tried again for this long (a batch fails fast instead of timing out per record). */
const LEDGER_DOWN_MS = 2000;
/** Longest re-queue delay during an outage: the ledger is usually back within a minute (throttling, a blip). */
const MAX_LEDGER_DELAY_SECONDS = 60;

export function createLedgerHooks(options: LedgerHookOptions): LedgerHooks {
  const { ledger, config, logger } = options;
  const clock = options.clock ?? (() => Date.now());
  const policy: SoftBouncePolicy | undefined = config.ledger?.softBounce;
  const gatePolicy: GatePolicy = { ...config.policy, softBounceCounting: policy !== undefined };
  // A lease must outlive the pacing wait and the call; a crash keeps the contact only this long.
  const leaseMs = config.hood.requestTimeoutMs + 60_000;
  let downUntil = 0;
  let failures = 0;

  const attr = (record: LedgerRecordInfo, name: string) => record.messageAttributes?.[name]?.stringValue;
  const nowIso = () => new Date(clock()).toISOString();
  const event = (block: BlockDecision, outcome: string, reason: string = block.reason): LedgerEvent => {
    const e: LedgerEvent = { at: nowIso(), source: block.source, reason, outcome };
    if (block.eventId) e.eventId = block.eventId;
    return e;
  };

  const unavailable = (error: unknown, block: BlockDecision, operation: string, fresh = true): GateVerdict => {
    // The backoff grows with the outage (one step per failed call, not per record skipped meanwhile).
    if (fresh) {
      failures += 1;
      downUntil = clock() + LEDGER_DOWN_MS;
    }
    // Counted (`ledger_unavailable`) by the caller, like every retry kind.
    logger.error('LEDGER UNAVAILABLE: record re-queued, Hood not called (not counted as an attempt)', {
      outcome: 'ledger_unavailable',
      operation,
      contact: maskContact(block.contact),
      error: error instanceof Error ? error.message : String(error),
    });
    const raw = Math.min(MAX_LEDGER_DELAY_SECONDS, config.hood.retryBaseSeconds * 2 ** Math.min(failures - 1, 10));
    return {
      kind: 'retry',
      retry: 'ledger_unavailable',
      delaySeconds: Math.max(1, Math.round(raw * (0.8 + (options.random ?? Math.random)() * 0.4))),
      detail: 'ledger unavailable',
    };
  };

  /** History is best effort: a lost line never holds up or repeats an opt-out. */
  const remember = async (contact: string, e: LedgerEvent) => {
    try {
      await ledger.record(contact, e);
    } catch (error) {
      logger.warn('Ledger history not written', {
        contact: maskContact(contact),
        outcome: e.outcome,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  // Bulk: consumed from BULK_QUEUE_URL (imports, backfills), or marked `lane=bulk` by whoever queued it.
  const lane = (record: LedgerRecordInfo): Lane => {
    if (attr(record, LANE_ATTRIBUTE) === 'bulk') return 'bulk';
    const bulkQueueUrl = config.queues.bulkQueueUrl;
    return bulkQueueUrl !== undefined && queueUrlFromArn(record.eventSourceARN ?? '', config.queues) === bulkQueueUrl
      ? 'bulk'
      : 'live';
  };
  const firstReceivedAt = (record: LedgerRecordInfo) =>
    attr(record, RECEIVED_AT_ATTRIBUTE) ??
    record.attributes?.ApproximateFirstReceiveTimestamp ??
    record.attributes?.SentTimestamp;

  return {
    gate: (mapped) => gateDecisions(mapped, gatePolicy),
    firstReceivedAt,

    async before(block, record) {
      if (clock() < downUntil)
        return unavailable(new Error('ledger marked down after a recent failure'), block, 'claim', false);
      let effective = block;
      try {
        if (block.reason === 'soft_bounce') {
          if (!policy)
            return { kind: 'done', outcome: 'ignored', reason: 'soft_bounce', detail: SOFT_BOUNCE_POLICY_NOT_SET };
          // Distinct sent messages: the provider's event id, or the record's own bytes when it has none.
          const eventKey = block.eventId ?? createHash('sha256').update(record.body).digest('base64url');
          const n = await ledger.countSoftBounce(
            block.contact,
            eventKey,
            softBounceAt(block, clock()),
            policy.periodMs,
          );
          const verdict = softBounceVerdict(block, n, policy);
          if (verdict.kind === 'counted') {
            await remember(block.contact, event(block, 'soft_bounce_counted'));
            return { kind: 'done', outcome: 'ignored', reason: 'soft_bounce', detail: verdict.detail };
          }
          effective = verdict.block;
        }
        const claim = await ledger.claim(effective.contact, leaseMs);
        failures = 0;
        if (claim.kind === 'claimed') return { kind: 'proceed', block: effective };
        if (claim.kind === 'blocked') {
          await remember(effective.contact, event(effective, 'already_blocked'));
          return { kind: 'done', outcome: 'already_blocked', hoodId: claim.hoodId };
        }
        const wait = Math.ceil((claim.leaseUntil - clock()) / 1000);
        return {
          kind: 'retry',
          retry: 'deferred',
          delaySeconds: Math.min(MAX_PENDING_DELAY_SECONDS, Math.max(1, wait)),
          detail: 'claimed by another consumer',
        };
      } catch (error) {
        if (isLedgerUnavailable(error)) return unavailable(error, effective, 'claim');
        throw error;
      }
    },

    async after(block, outcome, record) {
      try {
        // Shadow mode (HOOD_DRY_RUN): nothing reached Hood, so nothing may be recorded as blocked — leaving
        // shadow mode must send every one of these contacts to Hood.
        if (outcome.kind === 'done' && isShadowAnswer(config.hood.dryRun === true, outcome.hoodId)) {
          await ledger.release(block.contact);
          await remember(block.contact, event(block, 'dry_run_blocked'));
          return;
        }
        if (outcome.kind === 'done' && (outcome.outcome === 'blocked' || outcome.outcome === 'already_blocked')) {
          await ledger.markBlocked(block.contact, { hoodId: outcome.hoodId, event: event(block, outcome.outcome) });
          if (outcome.outcome === 'blocked') observe(block, record);
          return;
        }
        await ledger.release(block.contact);
        if (outcome.kind === 'dead_letter')
          await remember(block.contact, event(block, 'dead_lettered', outcome.reason));
        else if (outcome.kind === 'retry' && outcome.retry === 'unavailable')
          await remember(block.contact, event(block, 'retried'));
      } catch (error) {
        // Hood already answered: the record is done either way. Without the mark, a repeat of this
        // contact may cost one more Hood call once the lease ends (docs/ledger.md).
        options.count('ledger_unavailable');
        logger.error(
          'LEDGER UNAVAILABLE after Hood answered: outcome not recorded; a repeat may cost one call after the lease',
          {
            outcome: 'ledger_unavailable',
            contact: maskContact(block.contact),
            hoodOutcome: outcome.kind === 'done' ? outcome.outcome : outcome.kind,
            error: error instanceof Error ? error.message : String(error),
          },
        );
      }
    },

    async recordIgnored(mapped, decided) {
      const writes: Promise<void>[] = [];
      mapped.forEach((m, i) => {
        const d = decided[i];
        if (m.action === 'block' && d?.action === 'ignore')
          writes.push(remember(m.contact, event(m, 'ignored', d.reason)));
      });
      await Promise.all(writes);
    },

    async recordDeadLettered(blocks, reason) {
      await Promise.all(blocks.map((b) => remember(b.contact, event(b, 'dead_lettered', reason))));
    },

    async optIn(message) {
      const standing = standingOf(await ledger.why(message.optIn.contact));
      // The in-memory ledger forgets on a cold start: not finding someone there does not mean never blocked.
      if (standing === 'never_blocked' && ledger.kind === 'memory') return 'no_ledger';
      if (standing === 'blocked') {
        const e: LedgerEvent = {
          at: nowIso(),
          source: message.source,
          reason: message.signal,
          outcome: RESUBSCRIBED_REASON,
        };
        if (message.eventId) e.eventId = message.eventId;
        await ledger.record(message.optIn.contact, e);
      }
      return standing;
    },
  };

  function observe(block: BlockDecision, record: LedgerRecordInfo): void {
    if (!options.observeLatency) return;
    const l = lane(record);
    const occurred = block.occurredAt === undefined ? Number.NaN : Date.parse(block.occurredAt);
    const received = Number(firstReceivedAt(record));
    // Live: from the event itself when it says when (and is not in the future), else from first receipt.
    // Bulk: from when it was queued — an import of a 2019 bounce is not 6 years late.
    const start = l === 'live' && Number.isFinite(occurred) && occurred <= clock() ? occurred : received;
    if (Number.isFinite(start) && start > 0) options.observeLatency(l, Math.max(0, clock() - start));
  }
}
