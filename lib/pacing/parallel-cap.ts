import type { CountWindow } from './sliding.js';

/**
 * Learning Hood's parallel cap. Hood documents windows (10/s, 150/min) but not how many requests it takes in
 * flight at once; past that it answers `429` with `Retry-After: -1` ("the parallel-concurrency limit was
 * exceeded"; Ocamba API documentation, rate limits). By Little's law the windows' best rate at latency L needs
 * count × L / (W + L) calls in flight, e.g. 5 for 150/min at 2 s: a fixed guess of 4 caps a slow day at 80 %.
 *
 * So the cap is learned, one step at a time: it starts at `HOOD_START_IN_FLIGHT`, rises by one while the
 * observed latency says the windows need more calls in flight than the cap allows and a call at the current cap
 * has been answered without `-1` (the cap is proven), never above `HOOD_MAX_IN_FLIGHT`. A `-1` steps it back to
 * the highest cap that drew none and holds it there for a probe interval before it may rise again, so the
 * account sees at most about one `-1` per probe interval. Pure functions; the gates keep the state (the shared
 * budget on its rate item, for the whole account).
 */
export interface CapState {
  /** Calls in flight our traffic may have now. */
  cap: number;
  /** The highest cap that drew no `-1` (0: none proven yet). */
  proven: number;
  /** No rise before this (ms since epoch): the probe interval after a `-1`. */
  holdUntil: number;
}

export interface CapBounds {
  /** `HOOD_MAX_IN_FLIGHT` after headroom (and split between consumers with static shares): never exceeded. */
  ceiling: number;
  /** `HOOD_START_IN_FLIGHT`, likewise: the cap before anything was learned. */
  start: number;
  /** How long a step back holds (`HOOD_PARALLEL_PROBE_SECONDS`). */
  probeIntervalMs: number;
}

/**
 * A slot is held a little longer than its call takes: between an answer and the next call in that slot go the
 * claim's write and, for a slot another container gives back, a read. At exactly rate × L in flight those gaps
 * cost throughput (measured: 5 in flight at 2 s reached 94.8 % of 150/min where the windows allow 96.8 %), so the
 * need is counted with this margin.
 */
export const NEED_MARGIN = 1.1;

/**
 * Calls in flight the sustained rate needs at latency L (Little's law): the sliding rule lets each window run at
 * count / (W + L) at best, the slowest of them is the rate, and rate × L calls are then in flight (× `NEED_MARGIN`).
 */
export function neededInFlight(windows: readonly CountWindow[], latencyMs: number): number {
  if (!(latencyMs > 0) || windows.length === 0) return 1;
  const rate = Math.min(...windows.map((w) => w.count / (w.windowMs + latencyMs)));
  return Math.max(1, Math.ceil(rate * latencyMs * NEED_MARGIN - 1e-9));
}

/**
 * A stored state as far as it can be trusted: whole numbers within the bounds, a hold no longer than a probe
 * interval from now (a hold further away is ignored).
 */
export function trustedCap(raw: Partial<CapState> | undefined, bounds: CapBounds, now: number): CapState {
  const whole = (v: number | undefined, lo: number, hi: number, fallback: number) =>
    v !== undefined && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.floor(v))) : fallback;
  return {
    cap: whole(raw?.cap, 1, bounds.ceiling, bounds.start),
    proven: whole(raw?.proven, 0, bounds.ceiling, 0),
    // A hold further out than a probe interval was not written by a limiter; kept, it would stop learning for good.
    holdUntil:
      raw?.holdUntil !== undefined && raw.holdUntil <= now + bounds.probeIntervalMs
        ? whole(raw.holdUntil, 0, Number.MAX_SAFE_INTEGER, 0)
        : 0,
  };
}

export interface RiseEvidence {
  /** The highest number of calls in flight at which a call of ours was answered without `-1`. */
  provenLevel: number;
  /** Typical call time (send to answer), ms; undefined before the first answer. */
  latencyMs: number | undefined;
  /** The windows this gate paces by. */
  windows: readonly CountWindow[];
  /** Callers are waiting for the cap, not for a window: a higher cap would be used. */
  demand: boolean;
}

/**
 * The level an answered call proves: it started as the `level`-th in flight, `still` were in flight at its answer
 * (itself included). Hood counts a request from its arrival to its answer, a shorter span than ours, so a call
 * proves Hood took `level` at once only if about that many stayed in flight until it was answered.
 */
export function provenBy(level: number, still: number): number {
  return Math.max(0, Math.min(level, still));
}

/** The cap one higher, when the evidence asks for it and nothing forbids it; otherwise undefined. */
export function raisedCap(
  state: CapState,
  evidence: RiseEvidence,
  bounds: CapBounds,
  now: number,
): CapState | undefined {
  if (!evidence.demand || now < state.holdUntil || state.cap >= bounds.ceiling) return undefined;
  if (evidence.provenLevel < state.cap || evidence.latencyMs === undefined) return undefined;
  if (neededInFlight(evidence.windows, evidence.latencyMs) <= state.cap) return undefined;
  return { cap: state.cap + 1, proven: Math.max(state.proven, state.cap), holdUntil: 0 };
}

/**
 * Hood answered `-1` to a call that started as the `level`-th in flight: back to the highest cap that drew
 * none (below that level, never above the cap as it stands), held for a probe interval.
 */
export function steppedBack(state: CapState, level: number, bounds: CapBounds, now: number): CapState {
  const below = Math.max(1, Math.floor(level) - 1);
  const proven = state.proven > 0 ? state.proven : below;
  const cap = Math.max(1, Math.min(below, proven, state.cap));
  return { cap, proven: cap, holdUntil: now + bounds.probeIntervalMs };
}

/**
 * The learned cap of one container that keeps it alone (static shares, `Pacer`): the same rules, its own
 * evidence, within its share of the bounds.
 */
export class LocalCap {
  state: CapState;
  private provenLevel = 0;
  /** `-1` answers since the last report. */
  private limited = 0;

  constructor(readonly bounds: CapBounds) {
    this.state = { cap: bounds.start, proven: 0, holdUntil: 0 };
  }

  /**
   * A call that started as the `level`-th in flight was answered (`parallelLimited`: with `-1`) while `still` calls
   * (itself included) were in flight: it proves a level only if that many stayed in flight to its end.
   */
  answered(level: number, parallelLimited: boolean, healthy: boolean, now: number, still = level): void {
    if (parallelLimited) {
      this.limited += 1;
      this.provenLevel = 0;
      this.state = steppedBack(this.state, level, this.bounds, now);
    } else if (healthy) {
      this.provenLevel = Math.max(this.provenLevel, provenBy(level, still));
    }
  }

  /** A call is about to fill the cap: one more, if the evidence asks for it. */
  filling(latencyMs: number | undefined, windows: readonly CountWindow[], now: number): void {
    this.state =
      raisedCap(this.state, { provenLevel: this.provenLevel, latencyMs, windows, demand: true }, this.bounds, now) ??
      this.state;
  }

  report(): { learnedCap: number; parallelLimited: number } {
    const report = { learnedCap: this.state.cap, parallelLimited: this.limited };
    this.limited = 0;
    return report;
  }
}
