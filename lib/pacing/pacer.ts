import type { RateWindow } from '../config.js';
import { type CallMark, type CountWindow, earliestStart, inFlightAt, trimCalls } from './sliding.js';
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
  private readonly headroomPercent: number;
  private readonly windows: readonly RateWindow[];
  private pausedUntil = 0;
  /** GCRA "theoretical arrival time" of the next call at the even rate. */
  private tat: number | undefined;
  private parallelBackoffMs = 0;
  /**
   * Whether the last answer was a proper one. Until it is (a fresh container, or after a 401, 429, 5xx or
   * timeout) one call at a time probes Hood, so a rejected token or an outage costs one call, not a volley.
   */
  private healthy = false;
  private nextId = 1;
  private waiters: (() => void)[] = [];

  constructor(options: PacerOptions) {
    if (options.windows.length === 0) throw new Error('Pacer needs at least one window');
    const consumers = Math.max(1, Math.floor(options.consumers) || 1);
    this.headroomPercent = clampPercent(options.headroomPercent ?? 0);
    this.shares = shareWindows(usableWindows(options.windows, this.headroomPercent, options.budgetPercent ?? 100), consumers);
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
    this.windows = options.windows;
    this.lane = options.lane ?? 'live';
  }

  /** Earliest time (whole ms since epoch) the next call may start; `Infinity` while the in-flight cap is reached. */
  nextSlot(now = this.clock()): number {
    let slot = Math.max(now, this.pausedUntil);
    // While fresh, calls are spread evenly at the share's steady rate; a call that starts late (a batch
    // boundary) is made up by the next one instead of pushing every later call back.
    if (this.tat !== undefined) slot = Math.max(slot, this.tat - this.spacingMs);
    slot = Math.max(slot, earliestStart(this.calls, this.shares as CountWindow[], now, this.healthy ? this.maxInFlight : 1));
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
    if (rateLimit?.remaining !== undefined) {
      // Proactive: never take the last `HOOD_RATE_HEADROOM` percent of a window the server reports (the
      // budget other clients of the account were promised); at 0 headroom, wait only when it is used up.
      // Our own calls never need this pause (each consumer keeps within its share of any window), so
      // this guards against other clients using the account. `X-RateLimit-Reset` is whole seconds,
      // rounded up, so the window surely lasts `Reset - 1` s more: pause that long (an unknown reset:
      // 1 s), at most the length of the window the server names by its limit.
      const reserve = rateLimit.limit === undefined ? 0 : Math.ceil((rateLimit.limit * this.headroomPercent) / 100);
      if (rateLimit.remaining <= reserve) {
        let pauseMs = rateLimit.resetSeconds === undefined ? 1000 : Math.max(0, rateLimit.resetSeconds - 1) * 1000;
        const known = this.windows.find((w) => w.count === rateLimit.limit);
        if (known) pauseMs = Math.min(pauseMs, known.windowMs);
        this.pausedUntil = Math.max(this.pausedUntil, now + waitMs(pauseMs));
      }
    }
    this.wake();
  }

  /** A successful (non-429) answer also clears the backoff used for `Retry-After: -1`. */
  succeeded(): void {
    this.parallelBackoffMs = 0;
    this.healthy = true;
    this.wake();
  }

  failed(): void {
    this.healthy = false;
  }

  /**
   * Hood answered 429. A known wait (`Retry-After` ≥ 0, in ms): pause that long. Unknown — `-1` (too many
   * parallel requests, research §3.2) or absent — means there is no reliable time, so back off
   * exponentially with jitter. Returns the pause in whole ms.
   */
  rateLimited(retryAfterMs: number | undefined, now = this.clock()): number {
    let pauseMs: number;
    if (retryAfterMs !== undefined && retryAfterMs >= 0) {
      pauseMs = Math.max(retryAfterMs, 50);
    } else {
      this.parallelBackoffMs = Math.min(30_000, this.parallelBackoffMs === 0 ? 1000 : this.parallelBackoffMs * 2);
      pauseMs = this.parallelBackoffMs / 2 + Math.random() * (this.parallelBackoffMs / 2);
    }
    pauseMs = waitMs(pauseMs);
    this.healthy = false;
    this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    return pauseMs;
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
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
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
