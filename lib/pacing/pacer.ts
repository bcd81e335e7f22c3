import type { RateWindow } from '../config.js';
import { AnswerState } from './answers.js';
import { inFlightBounds, type Lane, shareWindows, usableWindows } from './budget.js';
import type { CallTicket, ParallelReport, RateGate, ServerRateLimit } from './rate-gate.js';
import { LocalCap } from './parallel-cap.js';
import { type CallMark, type CountWindow, earliestStart, inFlightAt, trimCalls } from './sliding.js';
import { waitMs } from './timer-ms.js';

// The names other modules have always imported from here.
export { type Lane, shareWindows, usableWindows } from './budget.js';
export type { CallTicket, RateGate, ServerRateLimit } from './rate-gate.js';

export interface PacerOptions {
  /** The account's windows (`HOOD_RATE_LIMITS`). */
  windows: readonly RateWindow[];
  /** Consumers sharing the account (`CONSUMER_MAX_CONCURRENCY`); each takes 1/n of every window. */
  consumers: number;
  clock?: () => number;
  /** Hood calls in flight across all consumers (`HOOD_MAX_IN_FLIGHT`, default 10); 1/n each (at least 1). */
  maxInFlight?: number;
  /** The learned cap's start, all consumers (`HOOD_START_IN_FLIGHT`); default `maxInFlight` (nothing to learn). */
  startInFlight?: number;
  /** How long a step back after `Retry-After: -1` holds. Default 5 min. */
  probeIntervalMs?: number;
  /** Percent of every window and of the parallel cap left to other clients (`HOOD_RATE_HEADROOM`, default 0). */
  headroomPercent?: number;
  /** Percent of what headroom leaves that this lane's consumers share (default 100). */
  budgetPercent?: number;
  lane?: Lane;
  /** A call still unanswered after this long has ended (it timed out). Default 10 s. */
  requestTimeoutMs?: number;
}

/** This consumer's share of one window: `count` calls per `windowMs`. */
export type ShareWindow = CountWindow;

export const DEFAULT_MAX_IN_FLIGHT = 10;

/** The calls one pacer made that can still bound a new one, and how long they typically take. */
class CallHistory {
  calls: (CallMark & { id: number; level: number })[] = [];
  /** Typical call time (send to answer), ms. */
  typicalCallMs: number | undefined;
  private nextId = 1;

  constructor(
    private readonly shares: readonly CountWindow[],
    private readonly requestTimeoutMs: number,
  ) {}

  start(now: number): { id: number; level: number } {
    const call = {
      id: this.nextId++,
      start: now,
      deadline: now + this.requestTimeoutMs,
      level: inFlightAt(this.calls, now) + 1,
    };
    this.calls.push(call);
    return call;
  }

  /** The call `id` (else the oldest in flight) ended at `now`; returns the number in flight when it started. */
  end(now: number, id?: number, sent = true): number {
    const call = id === undefined ? this.calls.find((c) => c.end === undefined) : this.calls.find((c) => c.id === id);
    if (call) {
      if (sent)
        this.typicalCallMs =
          this.typicalCallMs === undefined ? now - call.start : this.typicalCallMs * 0.8 + (now - call.start) * 0.2;
      call.end = Math.max(now, call.start);
    }
    this.calls = trimCalls(
      this.calls,
      Math.max(...this.shares.map((s) => s.count)),
      now,
      Math.max(...this.shares.map((s) => s.windowMs)),
    );
    return call?.level ?? 1;
  }
}

/**
 * Even spacing of starts (GCRA with one call of tolerance): the steady rate of the tightest share while fresh;
 * a call that starts late (a batch boundary) is made up by the next one instead of pushing every later call back.
 */
class EvenSpacing {
  /** GCRA "theoretical arrival time" of the next call at the even rate. */
  private tat: number | undefined;

  /** `ms`: smallest gap between two starts, whole ms. */
  constructor(readonly ms: number) {}

  /** The earliest start the spacing allows (none before the first call). */
  earliest(): number {
    return this.tat === undefined ? Number.NEGATIVE_INFINITY : this.tat - this.ms;
  }

  started(now: number): void {
    // A fresh pacer earns its tolerance first: the second call waits a full spacing.
    this.tat = this.tat === undefined ? now + 2 * this.ms : Math.max(this.tat, now) + this.ms;
  }
}

/**
 * Client-side pacing for one consumer with a static share of every window (no shared state).
 *
 * Safety: the sliding rule of `sliding.ts` on this consumer's share, so with every consumer holding its
 * share the account never exceeds its limit, whatever the latency and however many calls are in flight.
 *
 * Calls are spread evenly, spaced by their *start* times (GCRA with one call of tolerance), with up to the
 * learned cap of them in flight (`parallel-cap.ts`, within this consumer's share of `HOOD_MAX_IN_FLIGHT`), so
 * throughput does not depend on Hood's latency. Even spacing is what keeps a container hand-over safe without
 * shared state: a fresh container (which cannot know what its predecessor did in the last window) continues the
 * same even pattern, within one call of the share. Bursting a short backlog needs the shared limiter
 * (`LedgerRateLimiter`), which knows every call of the account.
 *
 * The server's view (`X-RateLimit-Remaining` / `Reset`, shared with any other client of the account) is
 * honoured too: at or below the declared headroom we wait for the reset. A 429 pauses for `Retry-After`.
 */
export class Pacer implements RateGate {
  readonly shares: readonly ShareWindow[];
  /** Calls this consumer may ever keep in flight (its share of `HOOD_MAX_IN_FLIGHT`). */
  readonly maxInFlight: number;
  readonly lane: Lane;
  private readonly spacing: EvenSpacing;
  private readonly clock: () => number;
  private readonly history: CallHistory;
  /** Pauses, probing and waiters, from Hood's answers. */
  private readonly answers: AnswerState;
  private readonly cap: LocalCap;
  /** The end of the line of callers taking turns (`exclusive`). */
  private tail: Promise<void> = Promise.resolve();

  constructor(options: PacerOptions) {
    if (options.windows.length === 0) throw new Error('Pacer needs at least one window');
    const consumers = Math.max(1, Math.floor(options.consumers) || 1);
    const headroomPercent = options.headroomPercent ?? 0;
    this.answers = new AnswerState(options.windows, headroomPercent);
    this.shares = shareWindows(
      usableWindows(options.windows, headroomPercent, options.budgetPercent ?? 100),
      consumers,
    );
    // Looked up at each call, so a test (or harness) that fakes Date after this was built is honoured.
    this.clock = options.clock ?? (() => Date.now());
    // Whole milliseconds, rounded up (never faster than the share): 150/min over 4 consumers is 37 calls
    // per 60 s, one per 1621.6 ms → 1622 ms. Every slot below is then a whole millisecond too, as the
    // timers and signals it ends up in require.
    this.spacing = new EvenSpacing(Math.max(...this.shares.map((s) => Math.ceil(s.windowMs / s.count))));
    const hard = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    const bounds = inFlightBounds(hard, options.startInFlight ?? hard, headroomPercent, consumers);
    this.cap = new LocalCap({ ...bounds, probeIntervalMs: options.probeIntervalMs ?? 300_000 });
    this.maxInFlight = bounds.ceiling;
    this.history = new CallHistory(this.shares, options.requestTimeoutMs ?? 10_000);
    this.lane = options.lane ?? 'live';
  }

  /** Smallest gap between two starts while fresh: the steady rate of the tightest share, whole ms. */
  get spacingMs(): number {
    return this.spacing.ms;
  }

  /** Calls this consumer may keep in flight now (the learned cap; one while probing). */
  get learnedCap(): number {
    return this.cap.state.cap;
  }

  /** Earliest time (whole ms since epoch) the next call may start; `Infinity` while the in-flight cap is reached. */
  nextSlot(now = this.clock()): number {
    let slot = Math.max(now, this.answers.pausedUntil);
    // While fresh, calls are spread evenly at the share's steady rate.
    slot = Math.max(slot, this.spacing.earliest());
    slot = Math.max(
      slot,
      earliestStart(this.history.calls, this.shares, now, this.answers.healthy ? this.cap.state.cap : 1),
    );
    // A clock may have sub-millisecond resolution (performance.now-based clocks); never hand one on.
    return Number.isFinite(slot) ? Math.ceil(slot) : slot;
  }

  /** Milliseconds to wait before the next call may start (`Infinity`: until an answer comes in). */
  delay(now = this.clock()): number {
    return Math.max(0, this.nextSlot(now) - now);
  }

  /** Call when a request is about to be sent; returns its id for `completed`. */
  started(now = this.clock()): number {
    if (this.inFlight + 1 >= this.cap.state.cap) this.cap.filling(this.history.typicalCallMs, this.shares, now);
    const { id } = this.history.start(now);
    this.spacing.started(now);
    return id;
  }

  /**
   * Call when a request's answer is in. `rateLimit` comes from the answer's headers. Without `id`, the
   * oldest call in flight is the one that finished. `parallelLimited`: Hood answered `Retry-After: -1`.
   * `sent: false`: the slot was given back without a request (it tells nothing of Hood's time or cap).
   */
  completed(now = this.clock(), rateLimit?: ServerRateLimit, id?: number, parallelLimited = false, sent = true): void {
    const still = this.inFlight;
    const level = this.history.end(now, id, sent);
    if (sent) this.cap.answered(level, parallelLimited, this.answers.healthy, now, still);
    this.answers.serverView(now, rateLimit);
    this.answers.wake();
  }

  get typicalCallMs(): number | undefined {
    return this.history.typicalCallMs;
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

  parallelReport(): ParallelReport {
    return this.cap.report();
  }

  /** For logs and `check`: how many calls this consumer may make right now in each window. */
  headroom(now = this.clock()): { count: number; windowMs: number; available: number }[] {
    return this.shares.map((share) => {
      const recent = this.history.calls.filter((c) => c.end === undefined || c.end + share.windowMs > now).length;
      return { ...share, available: Math.max(0, share.count - recent) };
    });
  }

  get isBusy(): boolean {
    return this.inFlight > 0;
  }

  get inFlight(): number {
    return inFlightAt(this.history.calls, this.clock());
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
        return {
          startedAt: now,
          finish: (end: number, rateLimit?: ServerRateLimit, parallelLimited?: boolean, sent?: boolean) =>
            this.completed(end, rateLimit, id, parallelLimited, sent),
        };
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
}
