import type { RateWindow } from '../config.js';
import { waitMs } from './timer-ms.js';

/** What a Hood answer said about the account's remaining budget (non-429 answers only). */
export interface ServerRateLimit {
  limit?: number;
  remaining?: number;
  /** Seconds until the window refreshes (Hood: `X-RateLimit-Reset`). */
  resetSeconds?: number;
}

export interface PacerOptions {
  /** The account's windows (`HOOD_RATE_LIMITS`). */
  windows: readonly RateWindow[];
  /** Consumers sharing the account (`CONSUMER_MAX_CONCURRENCY`); each takes 1/n of every window. */
  consumers: number;
  clock?: () => number;
}

/** This consumer's share of one window: `count` calls per `windowMs`. */
export interface ShareWindow {
  count: number;
  windowMs: number;
}

/**
 * Splits every window evenly between consumers. When a window has fewer calls than consumers
 * (e.g. 1/1s shared by 2), each consumer gets one call per proportionally longer window instead of none.
 */
export function shareWindows(windows: readonly RateWindow[], consumers: number): ShareWindow[] {
  return windows.map(({ count, windowMs }) => {
    const per = Math.floor(count / consumers);
    return per >= 1 ? { count: per, windowMs } : { count: 1, windowMs: Math.ceil((windowMs * consumers) / count) };
  });
}

/**
 * Client-side pacing for one consumer, in the spirit of a sliding-window log.
 *
 * Hood counts requests in fixed windows whose alignment we cannot see (research/ocamba-hood.md §3.2),
 * and it counts them when they *arrive*, which is somewhere between our send and our receipt of the
 * answer. So a call may start only once the call `count` places back has *finished* at least one
 * window ago: then any interval of one window length — in particular any fixed window, however it is
 * aligned — holds at most `count` arrivals from this consumer, whatever the network latency. With every
 * consumer holding its share, the account never exceeds its limit, and throughput stays within a
 * latency's width of it.
 *
 * The server's own view (`X-RateLimit-Remaining` / `Reset`, shared with any other client of the account)
 * is honoured too: at zero remaining we wait for the reset. A 429 pauses the pacer for `Retry-After`.
 */
export class Pacer {
  readonly shares: readonly ShareWindow[];
  private readonly clock: () => number;
  /** Finish times of recent calls, newest last; as long as the largest share's count. */
  private readonly finished: number[] = [];
  private readonly keep: number;
  private pausedUntil = 0;
  /** GCRA "theoretical arrival time" of the next call at the even rate. */
  private tat: number | undefined;
  /** Smallest gap between two starts: the steady rate of the tightest share. */
  readonly spacingMs: number;
  private readonly windows: readonly RateWindow[];
  private inFlightSince: number | undefined;
  private parallelBackoffMs = 0;

  constructor(options: PacerOptions) {
    if (options.windows.length === 0) throw new Error('Pacer needs at least one window');
    this.shares = shareWindows(options.windows, Math.max(1, options.consumers));
    // Looked up at each call, so a test (or harness) that fakes Date after this was built is honoured.
    this.clock = options.clock ?? (() => Date.now());
    this.keep = Math.max(...this.shares.map((s) => s.count));
    // Whole milliseconds, rounded up (never faster than the share): 150/min over 4 consumers is 37 calls
    // per 60 s, one per 1621.6 ms → 1622 ms. Every slot below is then a whole millisecond too, as the
    // timers and signals it ends up in require.
    this.spacingMs = Math.max(...this.shares.map((s) => Math.ceil(s.windowMs / s.count)));
    this.windows = options.windows;
  }

  /** Earliest time (ms since epoch) the next call may start. */
  nextSlot(now = this.clock()): number {
    let slot = Math.max(now, this.pausedUntil);
    // Calls are spread evenly at the share's steady rate (GCRA with one call of tolerance) instead of
    // bursting a whole window's worth: Hood sees a smooth load, the time between two calls is there to
    // fetch the next batch, and a call that starts late (a batch boundary) is made up by the next one
    // instead of pushing every later call back.
    if (this.tat !== undefined) slot = Math.max(slot, this.tat - this.spacingMs);
    for (const share of this.shares) {
      if (this.finished.length >= share.count) {
        const anchor = this.finished[this.finished.length - share.count]!;
        slot = Math.max(slot, anchor + share.windowMs);
      }
    }
    // A clock may have sub-millisecond resolution (performance.now-based clocks); never hand one on.
    return Math.ceil(slot);
  }

  /** Milliseconds to wait before the next call may start. */
  delay(now = this.clock()): number {
    return Math.max(0, this.nextSlot(now) - now);
  }

  /** Call when a request is about to be sent. */
  started(now = this.clock()): void {
    this.inFlightSince = now;
    // A fresh pacer (a new container) does not know whether another container just used this share, so
    // it earns its tolerance first: the second call waits a full spacing.
    this.tat = this.tat === undefined ? now + 2 * this.spacingMs : Math.max(this.tat, now) + this.spacingMs;
  }

  /**
   * Call when a request's answer (any answer, or a network error: it may still have reached Hood) is in.
   * `rateLimit` comes from the answer's headers.
   */
  completed(now = this.clock(), rateLimit?: ServerRateLimit): void {
    this.inFlightSince = undefined;
    this.finished.push(now);
    if (this.finished.length > this.keep) this.finished.splice(0, this.finished.length - this.keep);
    if (rateLimit?.remaining !== undefined && rateLimit.remaining <= 0) {
      // The account's window is used up. Our own calls never need this pause: every consumer keeps
      // within its share of *any* interval of the window's length, so its next call lands in the next
      // window by itself — and when calls are spread evenly a window fills up only at its very end.
      // Another client of the account using the budget is what this guards against. `X-RateLimit-Reset`
      // is whole seconds, rounded up, so the window surely lasts `Reset - 1` s more: pause that long
      // (an unknown reset: 1 s), at most the length of the window the server names by its limit.
      let pauseMs = rateLimit.resetSeconds === undefined ? 1000 : Math.max(0, rateLimit.resetSeconds - 1) * 1000;
      const known = this.windows.find((w) => w.count === rateLimit.limit);
      if (known) pauseMs = Math.min(pauseMs, known.windowMs);
      pauseMs = waitMs(pauseMs);
      this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    }
  }

  /** A successful (non-429) answer also clears the backoff used for `Retry-After: -1`. */
  succeeded(): void {
    this.parallelBackoffMs = 0;
  }

  /**
   * Hood answered 429. A known wait (`Retry-After` ≥ 0, in ms): pause that long. Unknown — `-1` (too many
   * parallel requests, research §3.2) or absent — means there is no reliable time, so back off
   * exponentially with jitter. Returns the pause in ms.
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
    this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    return pauseMs;
  }

  /** For logs and `check`: how many calls this consumer may make right now in each window. */
  headroom(now = this.clock()): { count: number; windowMs: number; available: number }[] {
    return this.shares.map((share) => {
      const recent = this.finished.filter((t) => t + share.windowMs > now).length;
      return { ...share, available: Math.max(0, share.count - recent) };
    });
  }

  get isBusy(): boolean {
    return this.inFlightSince !== undefined;
  }

  /**
   * Run `fn` (wait for a slot, then call) alone: if one container is ever invoked concurrently, its
   * invocations still take turns, so two of them can never claim the same slot.
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
