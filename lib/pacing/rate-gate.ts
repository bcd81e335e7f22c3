/**
 * What a rate gate is, apart from how one is chosen (gate.ts): the static `Pacer` and the shared
 * `LedgerRateLimiter` implement it, and `processBatch` uses it. Kept apart so that the implementations and
 * the factory that picks one do not import each other.
 */

/** What a Hood answer said about the account's remaining budget (non-429 answers only). */
export interface ServerRateLimit {
  limit?: number;
  remaining?: number;
  /** Seconds until the window refreshes (Hood: `X-RateLimit-Reset`). */
  resetSeconds?: number;
}

/** What `processBatch` needs from a gate: the static `Pacer` or the shared `LedgerRateLimiter`. */
export interface RateGate {
  /**
   * Calls this consumer may keep in flight at once, at most (the batch runs that many records side by side).
   * The learned parallel cap may hold fewer in flight; this never changes while the gate lives.
   */
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
  /** The learned parallel cap and the `Retry-After: -1` answers since the last look (for metrics). */
  parallelReport?(): ParallelReport;
  /**
   * How long this gate's calls typically take, send to answer (ms; moving average), once one was answered. A
   * call with less time than that left before the invocation's deadline would be cut off while Hood may still
   * act on it (`hood-call.ts`).
   */
  readonly typicalCallMs?: number | undefined;
}

export interface ParallelReport {
  /** Calls in flight this gate may use now (learned, after headroom; per consumer with static shares). */
  learnedCap: number;
  /** `Retry-After: -1` answers to this gate's calls since the previous report. */
  parallelLimited: number;
}

export interface CallTicket {
  readonly startedAt: number;
  /**
   * The answer (any answer, or a network error: it may still have reached Hood) is in. `parallelLimited`:
   * Hood answered `429 Retry-After: -1` (too many requests in flight), which steps the learned cap back.
   * `sent: false`: the slot is given back without a request (it still counts in the windows as a call), so it
   * tells nothing of Hood: no call time for the typical one, no proof of the parallel cap.
   */
  finish(now: number, rateLimit?: ServerRateLimit, parallelLimited?: boolean, sent?: boolean): void | Promise<void>;
}
