/**
 * Node's timer and signal APIs take whole milliseconds: `AbortSignal.timeout` throws `RangeError: The
 * value of "delay" is out of range. It must be an integer` for 1621.6, and `setTimeout` silently turns
 * anything outside 1..2^31-1 (NaN, negative, too large) into 1 ms
 * (https://nodejs.org/api/globals.html#static-method-abortsignaltimeoutdelay,
 * https://nodejs.org/api/timers.html#settimeoutcallback-delay-args). Every computed duration passes
 * through one of these before it reaches a timer.
 */

/** The largest delay Node's timers accept (2^31 - 1 ms, about 24.8 days). */
export const TIMER_MAX_MS = 2_147_483_647;

/** A wait before something may happen: rounded *up* (never early), 0..TIMER_MAX_MS; NaN → 0. */
export function waitMs(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(TIMER_MAX_MS, Math.ceil(ms));
}

/** A budget (a timeout): rounded *down* (never past the budget), at least 1 ms, at most TIMER_MAX_MS. */
export function budgetMs(ms: number): number {
  if (Number.isNaN(ms) || ms < 1) return 1;
  return Math.min(TIMER_MAX_MS, Math.floor(ms));
}

/** Whole seconds for SQS `DelaySeconds` / `VisibilityTimeout`: rounded up, clamped to 0..max; NaN → 0. */
export function wholeSeconds(seconds: number, max: number): number {
  if (Number.isNaN(seconds) || seconds <= 0) return 0;
  return Math.min(max, Math.ceil(seconds));
}
