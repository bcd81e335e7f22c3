import type { RateWindow } from '../config.js';
import type { ServerRateLimit } from './rate-gate.js';
import { waitMs } from './timer-ms.js';

/**
 * What Hood's answers tell a rate gate, whichever gate it is (the static `Pacer` or the shared
 * `LedgerRateLimiter`): how long to pause, whether to probe with one call at a time, and who waits for the
 * next answer. Both gates keep their own slot rules and consult this for the rest.
 */
export class AnswerState {
  /** No call may start before this (whole ms since epoch): a 429's wait, or a window another client used up. */
  pausedUntil = 0;
  /**
   * Whether the last answer was a proper one. Until it is (a fresh container, or after a 401, 429, 5xx or
   * timeout) one call at a time probes Hood, so a rejected token or an outage costs one call, not a volley.
   */
  healthy = false;
  /** Answers in so far (each `wake` counts one): what a caller saw when it decided to wait. */
  answered = 0;
  private parallelBackoffMs = 0;
  private waiters: (() => void)[] = [];

  /**
   * @param windows the account's windows (`HOOD_RATE_LIMITS`), to bound a pause by the window the server names
   * @param headroomPercent the share of every window left to other clients (`HOOD_RATE_HEADROOM`), already clamped
   */
  constructor(
    private readonly windows: readonly RateWindow[],
    private readonly headroomPercent: number,
  ) {}

  /**
   * An answer's rate-limit headers. Proactive: never take the last `HOOD_RATE_HEADROOM` percent of a window
   * the server reports (the budget other clients of the account were promised); at 0 headroom, wait only
   * when it is used up. Our own calls never need this pause (each gate keeps within its budget), so this
   * guards against other clients using the account. `X-RateLimit-Reset` is whole seconds, rounded up, so
   * the window surely lasts `Reset - 1` s more: pause that long (an unknown reset: 1 s), at most the length
   * of the window the server names by its limit.
   */
  serverView(now: number, rateLimit?: ServerRateLimit): void {
    if (rateLimit?.remaining === undefined) return;
    const reserve = rateLimit.limit === undefined ? 0 : Math.ceil((rateLimit.limit * this.headroomPercent) / 100);
    if (rateLimit.remaining > reserve) return;
    let pauseMs = rateLimit.resetSeconds === undefined ? 1000 : Math.max(0, rateLimit.resetSeconds - 1) * 1000;
    const known = this.windows.find((w) => w.count === rateLimit.limit);
    if (known) pauseMs = Math.min(pauseMs, known.windowMs);
    this.pausedUntil = Math.max(this.pausedUntil, now + waitMs(pauseMs));
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
   * parallel requests) or absent — means there is no reliable time, so back off exponentially with
   * jitter. Returns the pause in whole ms.
   */
  rateLimited(retryAfterMs: number | undefined, now: number): number {
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

  /**
   * Resolves at the next answer, or at once when one came in after `since` (a count of `answered` the caller
   * read when it decided to wait): an answer that lands between that decision and this call is not lost.
   */
  changed(since = this.answered): Promise<void> {
    if (since !== this.answered) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** An answer is in: whoever waits for one looks again. */
  wake(): void {
    this.answered += 1;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
