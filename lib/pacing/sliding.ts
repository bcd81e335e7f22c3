/**
 * The one rule every limiter here applies, local (static shares) or shared through DynamoDB.
 *
 * Hood counts a request in a fixed window of unknown alignment when it *arrives*, somewhere between our send
 * and our receipt of the answer (Hood API documentation, docs.ocamba.com). `count + 1` calls can all arrive inside one
 * window of length W exactly when the latest of their starts is less than W after the earliest of their
 * ends. So a new call may start at `s` only if `s ≥ E + W`, where E is the `count`-th largest end among the
 * earlier calls — a call still in flight counts as ending never (until its deadline has passed, by which
 * time it surely has ended). Then no interval of length W, whatever its alignment, holds more than `count`
 * arrivals, for any latency and any number of calls in flight. Sustained, this reaches count/(W + L) calls
 * per ms with latency L, the best a client can do without knowing the windows' alignment.
 */

/** One call, as far as the limiter knows it. */
export interface CallMark {
  start: number;
  /** When the answer (or the network error) came in; absent while in flight. */
  end?: number | undefined;
  /** Latest possible end (the request's timeout): past it, an unfinished call is taken to have ended. */
  deadline: number;
}

export interface CountWindow {
  count: number;
  windowMs: number;
}

/** The end to reason with: the real one, the deadline once passed, else never. */
export function effectiveEnd(call: CallMark, now: number): number {
  if (call.end !== undefined) return call.end;
  return call.deadline <= now ? call.deadline : Number.POSITIVE_INFINITY;
}

/** The calls still in flight at `now` (no answer yet, deadline not passed). */
export function inFlightCalls<T extends CallMark>(calls: readonly T[], now: number): T[] {
  return calls.filter((c) => effectiveEnd(c, now) === Number.POSITIVE_INFINITY);
}

export function inFlightAt(calls: readonly CallMark[], now: number): number {
  return inFlightCalls(calls, now).length;
}

/**
 * Earliest start for a new call (≥ now), `Infinity` when it depends on a call in flight (wait for an answer).
 * `maxInFlight` bounds the calls in flight at once.
 */
export function earliestStart(
  calls: readonly CallMark[],
  windows: readonly CountWindow[],
  now: number,
  maxInFlight = Number.POSITIVE_INFINITY,
): number {
  if (inFlightAt(calls, now) >= maxInFlight) return Number.POSITIVE_INFINITY;
  let slot = now;
  const ends = calls.map((c) => effectiveEnd(c, now)).sort((a, b) => b - a);
  for (const w of windows) {
    if (w.count <= 0) return Number.POSITIVE_INFINITY;
    if (ends.length >= w.count) slot = Math.max(slot, ends[w.count - 1]! + w.windowMs);
  }
  return slot;
}

/**
 * The calls that can still matter: every one in flight plus the `keep` with the largest ends. A call whose
 * end is more than the longest window ago never bounds anything again either.
 */
export function trimCalls<T extends CallMark>(
  calls: readonly T[],
  keep: number,
  now: number,
  longestWindowMs: number,
): T[] {
  const sorted = [...calls].sort((a, b) => effectiveEnd(b, now) - effectiveEnd(a, now));
  return sorted.filter(
    (c, i) =>
      effectiveEnd(c, now) === Number.POSITIVE_INFINITY ||
      (i < keep + inFlightAt(calls, now) && effectiveEnd(c, now) + longestWindowMs > now),
  );
}
