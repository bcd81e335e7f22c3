import type { ConsumerConfig } from '../config.js';
import { buildDescription } from '../description.js';
import type { CreateResult } from '../hood/client.js';
import type { RateGate } from '../pacing/pacer.js';
import { budgetMs } from '../pacing/timer-ms.js';
import type { BlockDecision } from '../types.js';
import type { LedgerHooks } from './ledger-hooks.js';
import type { RecentContacts } from './recent.js';
import type { ContactResult, HoodCreator, Log, QueueRecord } from './types.js';

/** Time kept free at the end of an invocation for re-queueing, dead-lettering and returning. */
export const DEADLINE_RESERVE_MS = 1500;
/** A call is started only if it can use at least this much of its timeout before the deadline. */
export const MIN_CALL_BUDGET_MS = 2000;
/**
 * ... and at least this many times the gate's typical call time: a call cut off by the deadline may still be
 * acted on by Hood, and its record's retry then calls Hood twice for one contact (Hood answers the repeat as
 * already blocked, but the call and its slot are spent twice).
 */
export const TYPICAL_CALL_MARGIN = 1.5;

/** The time a call needs left before the invocation's deadline to be started: see the two constants above. */
export function callBudgetNeededMs(requestTimeoutMs: number, typicalCallMs: number | undefined): number {
  return Math.min(
    requestTimeoutMs,
    Math.max(MIN_CALL_BUDGET_MS, Math.ceil((typicalCallMs ?? 0) * TYPICAL_CALL_MARGIN)),
  );
}
/** After this many consecutive outages in one invocation, stop calling Hood until the next one. */
export const CIRCUIT_BREAK_AFTER = 3;
/** Delay before a held message (token rejected) is tried again. */
export const HELD_DELAY_SECONDS = 15;

/** What one invocation's Hood calls share: the held state, the circuit breaker, this batch's contacts. */
export class BatchState {
  held: 'unauthorized' | undefined;
  consecutiveOutages = 0;
  /** Contacts blocked in this batch, with Hood's id when it created them. */
  readonly doneInBatch = new Map<string, string | undefined>();
  readonly inFlightContacts = new Map<string, Promise<unknown>>();

  get stopped(): boolean {
    return this.held !== undefined || this.consecutiveOutages >= CIRCUIT_BREAK_AFTER;
  }
}

export interface HoodCallDeps {
  config: ConsumerConfig;
  hood: HoodCreator;
  pacer: RateGate;
  recent: RecentContacts;
  logger: Log;
  ledger?: LedgerHooks;
  onUnauthorized?: () => void;
}

/**
 * The paced Hood call for one contact: de-duplication within the batch and the container, the ledger's claim
 * around the call, a slot from the limiter that leaves the call its budget before the deadline, and the
 * answer turned into a `ContactResult`. The answer is told to the limiter and the batch state before its
 * slot is given back, so a call waiting for that slot already sees a 429's pause, a 401 or an outage.
 */
export function createContactCaller(
  deps: HoodCallDeps,
  state: BatchState,
  time: { clock: () => number; deadlineAt: () => number; sleep: (ms: number) => Promise<void> },
): (block: BlockDecision, correlationId: string, record: QueueRecord) => Promise<ContactResult> {
  const { config, logger } = deps;
  const { clock, deadlineAt, sleep } = time;
  const unavailableResult = (): ContactResult => ({
    kind: 'retry',
    retry: 'deferred',
    delaySeconds: config.hood.retryBaseSeconds,
    detail: 'Hood unavailable',
  });
  const heldResult = (): ContactResult => ({ kind: 'retry', retry: 'unauthorized', delaySeconds: HELD_DELAY_SECONDS });

  /** Tell the limiter and the batch what Hood answered; returns a 429's pause in ms. */
  const observe = (answer: CreateResult): number | undefined => {
    switch (answer.kind) {
      case 'created':
      case 'already_blocked':
      case 'rejected':
        state.consecutiveOutages = 0;
        deps.pacer.succeeded();
        return undefined;
      case 'unauthorized':
        state.held = 'unauthorized';
        deps.pacer.failed();
        return undefined;
      case 'rate_limited':
        return deps.pacer.rateLimited(answer.parallelLimit ? undefined : answer.retryAfterMs, clock());
      case 'unavailable':
        state.consecutiveOutages += 1;
        deps.pacer.failed();
        return undefined;
    }
  };

  const hoodOne = async (block: BlockDecision, correlationId: string): Promise<ContactResult> => {
    if (state.held) return heldResult();
    if (state.consecutiveOutages >= CIRCUIT_BREAK_AFTER) return unavailableResult();
    // The same contact in another record of this batch, in flight right now: its answer decides this one.
    const sibling = state.inFlightContacts.get(block.contact);
    if (sibling) {
      await sibling.catch(() => undefined);
      if (state.doneInBatch.has(block.contact))
        return { kind: 'done', outcome: 'deduplicated', hoodId: state.doneInBatch.get(block.contact) };
    }
    const call = (async () => {
      const needed = () => callBudgetNeededMs(config.hood.requestTimeoutMs, deps.pacer.typicalCallMs);
      const ticket = await deps.pacer.acquire(deadlineAt() - DEADLINE_RESERVE_MS - needed(), sleep);
      if (ticket === undefined) return undefined;
      // The slot given back without a request: it counts as a call in the windows, but tells nothing of Hood.
      const giveBack = (at: number) => ticket.finish(at, undefined, false, false);
      // A 401 or an outage seen by a call that finished while this one waited: do not add to it.
      if (state.stopped) {
        await giveBack(clock());
        return 'stopped' as const;
      }
      // Another invocation of this container may have blocked it while we waited our turn (the slot is
      // given back as used: it may have been counted already, and a slot too few is the safe side).
      if (deps.recent.has(block.contact) || state.doneInBatch.has(block.contact)) {
        await giveBack(clock());
        return 'deduplicated' as const;
      }
      // Both limits count from now, not from the slot: the gate recorded the call as ending by its slot plus
      // the request timeout (other consumers rely on that end), and the invocation's deadline is absolute.
      const sent = clock();
      const untilDeadline = deadlineAt() - sent - DEADLINE_RESERVE_MS;
      // The slot was asked for in time, but the invocation would now cut the call off: its claim's write (or
      // anything since) took long, or the typical call time became known or grew while it waited (a record that
      // waits from the first invocation's start asks before any call was answered). Give the slot back (as used)
      // and re-queue the record without calling. Only the deadline is judged here: the request timeout counts
      // from the slot's start by design (below), so a call always has a little less than all of it.
      if (untilDeadline < needed()) {
        await giveBack(sent);
        return undefined;
      }
      const budget = Math.min(config.hood.requestTimeoutMs - (sent - ticket.startedAt), untilDeadline);
      let answer: CreateResult | undefined;
      let pauseMs: number | undefined;
      try {
        answer = await deps.hood.createBlockedContact(
          { contact: block.contact, description: buildDescription(block) },
          // Whole milliseconds for the request's signal.
          { correlationId, timeoutMs: budgetMs(budget) },
        );
        pauseMs = observe(answer);
        if (answer.kind === 'created' || answer.kind === 'already_blocked') {
          state.doneInBatch.set(block.contact, answer.kind === 'created' ? answer.id : undefined);
          deps.recent.add(block.contact);
        }
      } finally {
        // A `Retry-After: -1` steps the learned parallel cap back (lib/pacing/parallel-cap.ts).
        await ticket.finish(
          clock(),
          answer && 'rateLimit' in answer ? answer.rateLimit : undefined,
          answer?.kind === 'rate_limited' && answer.parallelLimit,
        );
      }
      return { answer, pauseMs };
    })();
    state.inFlightContacts.set(block.contact, call);
    let attempt: Awaited<typeof call>;
    try {
      attempt = await call;
    } finally {
      if (state.inFlightContacts.get(block.contact) === call) state.inFlightContacts.delete(block.contact);
    }
    if (attempt === undefined)
      return { kind: 'retry', retry: 'deferred', delaySeconds: 0, detail: 'not attempted before the deadline' };
    if (attempt === 'deduplicated') return { kind: 'done', outcome: 'deduplicated' };
    if (attempt === 'stopped') return state.held ? heldResult() : unavailableResult();
    const { answer: result, pauseMs } = attempt;
    switch (result.kind) {
      case 'created':
      case 'already_blocked':
        return {
          kind: 'done',
          outcome: result.kind === 'created' ? 'blocked' : 'already_blocked',
          hoodId: result.kind === 'created' ? result.id : undefined,
        };
      case 'rejected':
        return {
          kind: 'dead_letter',
          reason: 'hood_rejected',
          detail: [`HTTP ${result.status}`, result.title, result.message].filter(Boolean).join(': '),
          traceId: result.traceId,
        };
      case 'unauthorized':
        deps.onUnauthorized?.();
        logger.error('Hood rejected the API token: processing is held until it is fixed; messages are kept', {
          outcome: 'unauthorized',
          status: result.status,
          traceId: result.traceId,
        });
        return {
          kind: 'retry',
          retry: 'unauthorized',
          delaySeconds: HELD_DELAY_SECONDS,
          detail: `HTTP ${result.status}`,
        };
      case 'rate_limited': {
        const pause = pauseMs ?? 0;
        logger.warn('Hood answered 429; pausing', {
          outcome: 'rate_limited',
          retryAfter: result.parallelLimit ? -1 : (result.retryAfterSeconds ?? null),
          pauseMs: Math.round(pause),
        });
        return {
          kind: 'retry',
          retry: 'rate_limited',
          delaySeconds: Math.ceil(pause / 1000),
          detail: `Retry-After ${result.parallelLimit ? '-1' : (result.retryAfterSeconds ?? 'absent')}`,
        };
      }
      case 'unavailable':
        return {
          kind: 'retry',
          retry: 'unavailable',
          delaySeconds: 0,
          detail: `${result.cause}${result.status ? ` HTTP ${result.status}` : ''}`,
        };
    }
  };

  /** One contact: dedupe, then the ledger's claim around the Hood call. */
  return async (block, correlationId, record) => {
    if (state.doneInBatch.has(block.contact) || deps.recent.has(block.contact)) {
      return { kind: 'done', outcome: 'deduplicated', hoodId: state.doneInBatch.get(block.contact) };
    }
    if (!deps.ledger) return hoodOne(block, correlationId);
    const gate = await deps.ledger.before(block, record);
    if (gate.kind !== 'proceed') return gate;
    const result = await hoodOne(gate.block, correlationId);
    await deps.ledger.after(gate.block, result, record);
    return result;
  };
}
