import type { RateWindow } from '../config.js';
import { type CallMark, type CountWindow, earliestStart, inFlightAt, trimCalls } from './sliding.js';
import { AnswerState } from './answers.js';
import { waitMs } from './timer-ms.js';

/** What a Hood answer said about the account's remaining budget (non-429 answers only). */
export interface ServerRateLimit {
  limit?: number;
  remaining?: number;
  /** Seconds until the window refreshes (Hood: `X-RateLimit-Reset`). */
  resetSeconds?: number;
}

/**
 * Which traffic a limiter serves. `live` is webhook traffic; `bulk` (imports, backfills) only ever uses
 * budget live traffic leaves: with static shares a separate slice (`budgetPercent`), with the shared
 * DynamoDB limiter whatever live traffic leaves unused (see `LedgerRateLimiter`).
 */
export type Lane = 'live' | 'bulk';

export interface PacerOptions {
  /** The account's windows (`HOOD_RATE_LIMITS`). */
  windows: readonly RateWindow[];
  /** Consumers sharing the account (`CONSUMER_MAX_CONCURRENCY`); each takes 1/n of every window. */
  consumers: number;
  clock?: () => number;
  /** Hood calls in flight across all consumers (`HOOD_MAX_IN_FLIGHT`, default 4); each consumer takes 1/n (at least 1). */
  maxInFlight?: number;
  /** Percent of every window left to other clients of the account (`HOOD_RATE_HEADROOM`, default 0). */
  headroomPercent?: number;
  /** Percent of what headroom leaves that this lane's consumers share (default 100). */
  budgetPercent?: number;
  lane?: Lane;
  /** A call still unanswered after this long has ended (it timed out). Default 10 s. */
  requestTimeoutMs?: number;
}

/** This consumer's share of one window: `count` calls per `windowMs`. */
export interface ShareWindow {
  count: number;
  windowMs: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 4;

/**
 * The account's windows minus headroom for other clients and scaled to a lane's budget: what our own
 * traffic as a whole may use. Never below one call per window (a window of 0 would stop the lane).
 */
export function usableWindows(windows: readonly RateWindow[], headroomPercent = 0, budgetPercent = 100): RateWindow[] {
  return windows.map(({ count, windowMs }) => ({
    count: Math.max(1, Math.floor((count * (100 - clampPercent(headroomPercent)) * clampPercent(budgetPercent)) / 10_000)),
    windowMs,
  }));
}

function clampPercent(p: number): number {
  return Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
}

/**
 * Splits every window evenly between consumers. When a window has fewer calls than consumers
 * (e.g. 1/1s shared by 2), each consumer gets one call per proportionally longer window instead of none
 * (that bounds the average only: exact for such windows needs the shared limiter).
 */
export function shareWindows(windows: readonly RateWindow[], consumers: number): ShareWindow[] {
  return windows.map(({ count, windowMs }) => {
    const per = Math.floor(count / consumers);
    return per >= 1 ? { count: per, windowMs } : { count: 1, windowMs: Math.ceil((windowMs * consumers) / count) };
  });
}

/** What `processBatch` needs from a limiter: the static `Pacer` or the shared `LedgerRateLimiter`. */
export interface RateGate {
  /** Calls this consumer may keep in flight at once (the batch runs that many records side by side). */
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
}

export interface CallTicket {
  readonly startedAt: number;
  /** The answer (any answer, or a network error: it may still have reached Hood) is in. */
  finish(now: number, rateLimit?: ServerRateLimit): void | Promise<void>;
}

/**
 * Client-side pacing for one consumer with a static share of every window (no shared state).
 *
 * Safety: the sliding rule of `sliding.ts` on this consumer's share, so with every consumer holding its
 * share the account never exceeds its limit, whatever the latency and however many calls are in flight.
 *
 * Calls are spread evenly, spaced by their *start* times (GCRA with one call of tolerance), with up to
 * `maxInFlight` of them in flight, so throughput does not depend on Hood's latency. Even spacing is what
 * keeps a container hand-over safe without shared state: a fresh container (which cannot know what its
 * predecessor did in the last window) continues the same even pattern, within one call of the share. A
 * pacer that burst its share would leave a successor no way to know the window is already full; bursting
 * a short backlog needs the shared limiter (`LedgerRateLimiter`), which knows every call of the account.
 *
 * The server's view (`X-RateLimit-Remaining` / `Reset`, shared with any other client of the account) is
 * honoured too: at or below the declared headroom we wait for the reset. A 429 pauses for `Retry-After`.
 */
export class Pacer implements RateGate {
  readonly shares: readonly ShareWindow[];
  readonly maxInFlight: number;
  readonly lane: Lane;
  /** Smallest gap between two starts while fresh: the steady rate of the tightest share, whole ms. */
  readonly spacingMs: number;
  private readonly clock: () => number;
  private calls: (CallMark & { id: number })[] = [];
  private readonly keep: number;
  private readonly longestMs: number;
  private readonly requestTimeoutMs: number;
  /** Pauses, probing and waiters, from Hood's answers. */
  private readonly answers: AnswerState;
  /** GCRA "theoretical arrival time" of the next call at the even rate. */
  private tat: number | undefined;
  private nextId = 1;

  constructor(options: PacerOptions) {
    if (options.windows.length === 0) throw new Error('Pacer needs at least one window');
    const consumers = Math.max(1, Math.floor(options.consumers) || 1);
    const headroomPercent = clampPercent(options.headroomPercent ?? 0);
    this.answers = new AnswerState(options.windows, headroomPercent);
    this.shares = shareWindows(usableWindows(options.windows, headroomPercent, options.budgetPercent ?? 100), consumers);
    // Looked up at each call, so a test (or harness) that fakes Date after this was built is honoured.
    this.clock = options.clock ?? (() => Date.now());
    this.keep = Math.max(...this.shares.map((s) => s.count));
    this.longestMs = Math.max(...this.shares.map((s) => s.windowMs));
    // Whole milliseconds, rounded up (never faster than the share): 150/min over 4 consumers is 37 calls
    // per 60 s, one per 1621.6 ms → 1622 ms. Every slot below is then a whole millisecond too, as the
    // timers and signals it ends up in require.
    this.spacingMs = Math.max(...this.shares.map((s) => Math.ceil(s.windowMs / s.count)));
    this.maxInFlight = Math.max(1, Math.floor((options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) / consumers));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.lane = options.lane ?? 'live';
  }

  /** Earliest time (whole ms since epoch) the next call may start; `Infinity` while the in-flight cap is reached. */
  nextSlot(now = this.clock()): number {
    let slot = Math.max(now, this.answers.pausedUntil);
    // While fresh, calls are spread evenly at the share's steady rate; a call that starts late (a batch
    // boundary) is made up by the next one instead of pushing every later call back.
    if (this.tat !== undefined) slot = Math.max(slot, this.tat - this.spacingMs);
    slot = Math.max(slot, earliestStart(this.calls, this.shares as CountWindow[], now, this.answers.healthy ? this.maxInFlight : 1));
    // A clock may have sub-millisecond resolution (performance.now-based clocks); never hand one on.
    return Number.isFinite(slot) ? Math.ceil(slot) : slot;
  }

  /** Milliseconds to wait before the next call may start (`Infinity`: until an answer comes in). */
  delay(now = this.clock()): number {
    return Math.max(0, this.nextSlot(now) - now);
  }

  /** Call when a request is about to be sent; returns its id for `completed`. */
  started(now = this.clock()): number {
    const id = this.nextId++;
    this.calls.push({ id, start: now, deadline: now + this.requestTimeoutMs });
    // A fresh pacer earns its tolerance first: the second call waits a full spacing.
    this.tat = this.tat === undefined ? now + 2 * this.spacingMs : Math.max(this.tat, now) + this.spacingMs;
    return id;
  }

  /**
   * Call when a request's answer is in. `rateLimit` comes from the answer's headers. Without `id`, the
   * oldest call in flight is the one that finished.
   */
  completed(now = this.clock(), rateLimit?: ServerRateLimit, id?: number): void {
    const call = id === undefined ? this.calls.find((c) => c.end === undefined) : this.calls.find((c) => c.id === id);
    if (call) call.end = Math.max(now, call.start);
    this.calls = trimCalls(this.calls, this.keep, now, this.longestMs);
    this.answers.serverView(now, rateLimit);
    this.answers.wake();
  }

  succeeded(): void {
    this.answers.succeeded();
  }

  failed(): void {
    this.answers.failed();
  }

  /** Hood answered 429: see `AnswerState.rateLimited`. Returns the pause in whole ms. */
  rateLimited(retryAfterMs: number | undefined, now = this.clock()): number {
    return this.answers.rateLimited(retryAfterMs, now);
  }

  /** For logs and `check`: how many calls this consumer may make right now in each window. */
  headroom(now = this.clock()): { count: number; windowMs: number; available: number }[] {
    return this.shares.map((share) => {
      const recent = this.calls.filter((c) => c.end === undefined || c.end + share.windowMs > now).length;
      return { ...share, available: Math.max(0, share.count - recent) };
    });
  }

  get isBusy(): boolean {
    return inFlightAt(this.calls, this.clock()) > 0;
  }

  get inFlight(): number {
    return inFlightAt(this.calls, this.clock());
  }

  async acquire(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<CallTicket | undefined> {
    return this.exclusive(async () => {
      for (;;) {
        const now = this.clock();
        const slot = this.nextSlot(now);
        if (slot > latestStart && (Number.isFinite(slot) || now >= latestStart)) return undefined;
        if (!Number.isFinite(slot)) {
          // Every call this consumer may have in flight is out: the next answer frees one (or the latest
          // start comes, and the work goes back to the queue).
          await Promise.race([this.changed(), sleep(waitMs(latestStart - now))]);
          continue;
        }
        if (slot > now) {
          await sleep(waitMs(slot - now));
          continue; // an answer (a 429, a used-up window) may have moved the slot meanwhile
        }
        const id = this.started(now);
        return { startedAt: now, finish: (end: number, rateLimit?: ServerRateLimit) => this.completed(end, rateLimit, id) };
      }
    });
  }

  /** Resolves at the next answer. */
  changed(): Promise<void> {
    return this.answers.changed();
  }

  /**
   * Run `fn` (wait for a slot, then claim it) alone: callers take turns in arrival order, so two of them can
   * never claim the same slot.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private tail: Promise<void> = Promise.resolve();
}
