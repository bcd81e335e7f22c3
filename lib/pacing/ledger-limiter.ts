import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RateWindow } from '../config.js';
import { AnswerState } from './answers.js';
import { inFlightBounds, type Lane, laneWindows } from './budget.js';
import type { CallTicket, ParallelReport, RateGate, ServerRateLimit } from './rate-gate.js';
import { OwnCalls } from './own-calls.js';
import { type CapBounds, type CapState, provenBy, raisedCap, steppedBack, trustedCap } from './parallel-cap.js';
import { type Plan, type PlannerConfig, plan } from './planner.js';
import { expiresAtFor, parseRateItem, type RateItem, type StoredCall, type TrustLimits } from './rate-item.js';
import { RateStore } from './rate-store.js';
import { inFlightAt } from './sliding.js';
import { waitMs } from './timer-ms.js';
import type { TuningLayer } from './tuning.js';

/**
 * One rate budget for the whole account, shared by every consumer through one DynamoDB item (`rate-item.ts`).
 *
 * A round: take the item as this container knows it (its own writes return it; a read when that is stale),
 * ask the planner (`planner.ts`, pure) what to do, and do it — claim slots with a conditional write
 * (`rate-store.ts`), wait, or read again. The sliding rule and the conditional claim make it exact: no slot is
 * ever claimed twice, a fresh container knows every call its predecessor made, and consumers scale up or down
 * without coordination. The parallel cap is learned for the whole account on the same item (`parallel-cap.ts`).
 *
 * Lanes: `live` may use the whole budget; `bulk` leaves live traffic a reserve of every window and stands back
 * while a live caller waits (`budget.ts`, the item's `lw`).
 */
export interface LedgerRateLimiterOptions {
  dynamo: Pick<DynamoDBClient, 'send'>;
  table: string;
  windows: readonly RateWindow[];
  /** `rate#` + this is the item's `pk` (one budget per Hood account). Default `hood`. */
  key?: string;
  lane?: Lane;
  /** `HOOD_MAX_IN_FLIGHT`: Hood calls in flight across all consumers, never exceeded. Default 10. */
  maxInFlight?: number;
  /** `HOOD_START_IN_FLIGHT`: the learned cap before anything was learned. Default: `maxInFlight` if set, else 4. */
  startInFlight?: number;
  /** How long a step back after `Retry-After: -1` holds before the cap may rise again. Default 5 min. */
  probeIntervalMs?: number;
  /** Percent of every window and of the parallel cap left to other clients of the account (`HOOD_RATE_HEADROOM`). */
  headroomPercent?: number;
  /** A call unanswered after this long has ended. Default 10 s. */
  requestTimeoutMs?: number;
  /** Added to every window: bounds the clock difference between containers. Default 5 ms. */
  clockSkewMs?: number;
  /**
   * Longest first wait between two reads of the item while the in-flight cap is reached (reads that keep finding
   * it full double the wait, up to four calls' time and ten calls at the sustained rate). Default 100 ms.
   */
  pollMs?: number;
  /** `CONSUMER_MAX_CONCURRENCY`: containers that may claim at once (who reads for given-back slots). Default 1. */
  consumers?: number;
  /** `HOOD_PACING_TUNING_OFF`: tuning layers turned off, to measure what each buys (`tuning.ts`). */
  tuningOff?: readonly TuningLayer[];
  clock?: () => number;
}

type Item = Record<string, AttributeValue>;

interface Waiter {
  latestStart: number;
  sleep: (ms: number) => Promise<void>;
  resolve(ticket: CallTicket | undefined): void;
  reject(error: unknown): void;
}

/** The item as this container knows it: when it learnt it, and whether it is known to be current. */
interface View {
  item: RateItem;
  at: number;
  current: boolean;
}

/** The rate item: the store that reads and writes it, and the view of it this container holds. */
class KnownItem {
  view: View | undefined;

  constructor(
    readonly store: RateStore,
    private readonly clock: () => number,
    private readonly trust: (now: number) => TrustLimits,
  ) {}

  /** The item as read or as a write returned it (`current`: known to be as it is now). */
  learn(raw: Item | undefined, current: boolean): void {
    const at = this.clock();
    this.view = { item: parseRateItem(raw, this.trust(at)), at, current };
  }

  /** An item our write returned, kept unless the view we have is newer. */
  learnIfNewer(raw: Item): void {
    const at = this.clock();
    const item = parseRateItem(raw, this.trust(at));
    if (this.view === undefined || item.version >= this.view.item.version) this.view = { item, at, current: false };
  }

  /** The item as the view shows it, or an empty one. */
  itemAt(now: number): RateItem {
    return this.view?.item ?? parseRateItem(undefined, this.trust(now));
  }
}

/** Moving averages and counters that tune the rounds (none of them bears on safety). */
class Timing {
  /** A claim's time, read to written (ms). */
  claimMs: number | undefined;
  /** A call's time, send to answer (ms). */
  typicalCallMs: number | undefined;
  /** Claims recently lost to other containers and reads that found the cap still full (0–8). */
  contention = 0;

  static average(prev: number | undefined, sample: number): number {
    return prev === undefined ? sample : prev * 0.8 + sample * 0.2;
  }
}

/** What this container knows of the parallel cap beyond the item: its evidence, a step back not yet stored. */
class CapLearning {
  /** The highest number of calls in flight at which a call of ours was answered without `-1`. */
  provenLevel = 0;
  /** `-1` answers since the last report. */
  limited = 0;
  /** A step back this container took, until its hold ends (the item may not show it: a write failed). */
  local: CapState | undefined;

  constructor(readonly bounds: CapBounds) {}

  state(item: RateItem, now: number): CapState {
    const stored = trustedCap(item.cap, this.bounds, now);
    if (this.local === undefined || this.local.holdUntil <= now) return stored;
    return stored.cap <= this.local.cap ? stored : this.local;
  }
}

export class LedgerRateLimiter implements RateGate {
  /** Records a batch runs side by side: the hard cap (the learned one holds the calls themselves). */
  readonly maxInFlight: number;
  /** The last DynamoDB error seen while writing back an end or a step back (for logs); never thrown. */
  lastError: unknown;
  private readonly known: KnownItem;
  private readonly planner: PlannerConfig;
  private readonly clock: () => number;
  /** Pauses, probing and waiters, from Hood's answers (shared with the static `Pacer`). */
  private readonly answers: AnswerState;
  /** Callers waiting for a slot, in arrival order (the first is being served), and whether a loop serves them. */
  private readonly line = { waiters: [] as Waiter[], served: false };
  private readonly own: OwnCalls;
  private readonly timing = new Timing();
  private readonly learning: CapLearning;

  constructor(options: LedgerRateLimiterOptions) {
    if (options.windows.length === 0) throw new Error('LedgerRateLimiter needs at least one window');
    const headroom = options.headroomPercent ?? 0;
    const lane = options.lane ?? 'live';
    this.own = new OwnCalls(Math.random().toString(36).slice(2, 10));
    this.planner = {
      windows: laneWindows(options.windows, lane, headroom, options.clockSkewMs ?? 5),
      lane,
      instance: this.own.instance,
      requestTimeoutMs: Math.ceil(options.requestTimeoutMs ?? 10_000),
      pollMs: Math.max(1, Math.ceil(options.pollMs ?? 100)),
      off: new Set(options.tuningOff ?? []),
      consumers: Math.max(1, options.consumers ?? 1),
    };
    this.clock = options.clock ?? (() => Date.now());
    this.known = new KnownItem(new RateStore(options.dynamo, options.table, options.key), this.clock, (now) =>
      this.trust(now),
    );
    this.answers = new AnswerState(options.windows, headroom);
    const bounds = inFlightBounds(
      options.maxInFlight ?? 10,
      options.startInFlight ?? options.maxInFlight ?? 4,
      headroom,
    );
    this.learning = new CapLearning({ ...bounds, probeIntervalMs: Math.max(1, options.probeIntervalMs ?? 300_000) });
    this.maxInFlight = bounds.ceiling;
  }

  acquire(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<CallTicket | undefined> {
    return new Promise<CallTicket | undefined>((resolve, reject) => {
      this.line.waiters.push({ latestStart, sleep, resolve, reject });
      if (!this.line.served) void this.serve();
    });
  }

  /** One loop at a time serves the line, until it is empty. */
  private async serve(): Promise<void> {
    this.line.served = true;
    while (this.queue.length > 0) {
      try {
        await this.round();
      } catch (error) {
        this.queue.shift()?.reject(error);
      }
    }
    this.line.served = false;
    await this.flushEnds();
  }

  private get queue(): Waiter[] {
    return this.line.waiters;
  }

  /** Longer ago than this, nothing about a call matters any more. */
  private get forgetAfterMs(): number {
    return Math.max(...this.planner.windows.map((w) => w.windowMs)) + this.planner.requestTimeoutMs;
  }

  /**
   * A claim replacing an answered call must land before any container counts that call as ended by its deadline:
   * a quarter of the request timeout (2.5 s by default) is far more than a DynamoDB write with its retries takes.
   */
  private get replaceMarginMs(): number {
    return this.planner.requestTimeoutMs / 4;
  }

  private trust(now: number): TrustLimits {
    return {
      now,
      requestTimeoutMs: this.planner.requestTimeoutMs,
      longestMs: this.forgetAfterMs - this.planner.requestTimeoutMs,
    };
  }

  /** One step towards serving the first caller in line. */
  private async round(): Promise<void> {
    if (this.known.view === undefined) this.known.learn(await this.known.store.read(), true);
    const view = this.known.view!;
    const now = this.clock();
    const item = this.planner.off.has('own-answer') ? view.item : this.own.overlay(view.item, now, this.forgetAfterMs);
    const cap = this.learning.state(view.item, now);
    // The answers the plan knows of: one that comes in while we write before waiting must still wake us.
    const answered = this.answers.answered;
    const next = plan(this.planner, {
      item,
      fresh: view.current || now - view.at <= (this.timing.claimMs ?? 0),
      ageMs: now - view.at,
      unwrittenEnds: this.own.unwrittenCount,
      replaceable: this.planner.off.has('own-answer')
        ? []
        : this.own.replaceableIn(view.item, now, this.replaceMarginMs),
      waiters: this.queue.map((w) => w.latestStart),
      now,
      cap: cap.cap,
      pausedUntil: this.answers.pausedUntil,
      healthy: this.answers.healthy,
      localInFlight: this.own.inFlight,
      typicalCallMs: this.timing.typicalCallMs,
      claimMs: this.timing.claimMs,
      contention: this.timing.contention,
      random: Math.random(),
    });
    switch (next.kind) {
      case 'read':
        this.known.view = undefined;
        return;
      case 'give-up':
        this.queue.shift()!.resolve(undefined);
        return;
      case 'wait':
        return this.wait(next, view, answered);
      case 'claim':
        return this.claim(next, view, item, cap, now);
    }
  }

  private async wait(next: Extract<Plan, { kind: 'wait' }>, view: View, answered: number): Promise<void> {
    if (next.liveWaitingUntil !== undefined) await this.known.store.markLiveWaiting(next.liveWaitingUntil);
    // The item as it is shows the cap full and none of our calls will free a slot: poll less often. (With a call
    // in flight we poll only where no other container reads for given-back slots: then not less often.)
    if (next.atCap && view.current && this.own.inFlight === 0 && !this.planner.off.has('poll-backoff'))
      this.timing.contention = Math.min(8, this.timing.contention + 1);
    // Other containers may need our ends before our next claim would carry them.
    await this.flushEnds();
    view.current = false;
    const sleep = this.queue[0]!.sleep;
    // One of our own answers frees a slot at once; another container's only shows in the item.
    await Promise.race([
      Number.isFinite(next.ms) ? sleep(next.ms) : new Promise(() => undefined),
      this.answers.changed(answered),
    ]);
  }

  private async claim(
    next: Extract<Plan, { kind: 'claim' }>,
    view: View,
    item: RateItem,
    cap: CapState,
    now: number,
  ): Promise<void> {
    const began = this.clock();
    const mine = Array.from({ length: next.n }, () =>
      this.own.next(now, this.planner.requestTimeoutMs, this.planner.lane),
    );
    const ends = this.own.pendingIn(view.item, next.drop);
    const evidence = {
      provenLevel: this.learning.provenLevel,
      latencyMs: this.timing.typicalCallMs,
      windows: this.planner.windows,
      demand: next.fillsCap,
    };
    const raised =
      this.learning.local && this.learning.local.holdUntil > now
        ? undefined
        : raisedCap(cap, evidence, this.learning.bounds, now);
    const out = await this.known.store.claim({
      item: view.item,
      room: next.room,
      mine,
      ends,
      replaced: next.replaced,
      drop: [...next.drop, ...view.item.ignored],
      lane: this.planner.lane,
      cap: raised,
      expiresAt: expiresAtFor(now, this.trust(now), (raised ?? cap).holdUntil),
    });
    if (!out.ok) {
      // Another container claimed since the item we planned on: plan again on the item as it is (DynamoDB returns
      // it with the failure; a local DynamoDB does not, and the next round reads), after a short random pause so
      // that containers racing for one slot fall out of step.
      if (out.item === undefined) this.known.view = undefined;
      else this.known.learn(out.item, true);
      this.timing.contention = Math.min(8, this.timing.contention + 1);
      await this.queue[0]!.sleep(waitMs(Math.random() * Math.max(1, this.planner.pollMs * 0.05)));
      return;
    }
    this.own.written(ends);
    this.known.learn(out.item, false);
    this.timing.claimMs = Timing.average(this.timing.claimMs, this.clock() - began);
    this.timing.contention = Math.max(0, this.timing.contention - 1);
    this.own.inFlight += mine.length;
    const before = inFlightAt(item.calls, now);
    mine.forEach((call, i) => {
      const level = before + i + 1;
      this.queue.shift()!.resolve({
        startedAt: now,
        finish: (end, rateLimit, parallelLimited, sent) =>
          this.finish(call, level, end, rateLimit, parallelLimited, sent),
      });
    });
  }

  private async finish(
    call: StoredCall,
    level: number,
    end: number,
    rateLimit?: ServerRateLimit,
    parallelLimited = false,
    sent = true,
  ): Promise<void> {
    const ended = { ...call, end: Math.min(Math.max(Math.ceil(end), call.start), call.deadline) };
    // Calls in flight at this answer, itself included, as far as this container knows.
    const view = this.known.view;
    const known = view ? this.own.overlay(view.item, end, this.forgetAfterMs).calls : [];
    const still = Math.max(1, inFlightAt(known, end) + (known.some((c) => c.id === call.id) ? 0 : 1));
    // A slot given back without a request tells nothing of Hood's time or cap.
    if (sent) this.timing.typicalCallMs = Timing.average(this.timing.typicalCallMs, ended.end - call.start);
    this.own.ended(ended);
    this.answers.serverView(end, rateLimit);
    if (parallelLimited) await this.stepBack(level, ended.end);
    else if (this.answers.healthy && sent)
      this.learning.provenLevel = Math.max(this.learning.provenLevel, provenBy(level, still));
    this.answers.wake();
    // Our callers in line take the end with their next claim (or write it before they wait); alone, write it now.
    if (this.queue.length === 0) await this.flushEnds();
  }

  /** Hood answered `-1`: the cap steps back, for the whole account, before the answer frees its slot. */
  private async stepBack(level: number, now: number): Promise<void> {
    this.learning.limited += 1;
    this.learning.provenLevel = 0;
    const stepped = steppedBack(this.learning.state(this.known.itemAt(now), now), level, this.learning.bounds, now);
    this.learning.local = stepped;
    try {
      const out = await this.known.store.stepBack(stepped, expiresAtFor(now, this.trust(now), stepped.holdUntil));
      if (out.ok) this.known.learn(out.item, false);
    } catch (error) {
      this.lastError = error;
    }
  }

  /**
   * Writes the ends the item does not show yet (claims carry them when they can), one write at a time: a slot
   * given back at once (its ticket finished as it is handed out) used to meet the line's own flush and write its
   * end twice.
   */
  private async flushEnds(): Promise<void> {
    while (this.own.writing) await this.own.writing;
    if (!this.own.hasUnwritten) return;
    this.own.writing = this.writeEnds().finally(() => {
      this.own.writing = undefined;
    });
    await this.own.writing;
  }

  /** All in one request; when that fails because one of the calls was trimmed meanwhile, one request each. */
  private async writeEnds(): Promise<void> {
    const ends = this.own.all();
    // `ends-one-write` turned off (to measure what one write saves): straight to one request each.
    if (ends.length === 1 || !this.planner.off.has('ends-one-write')) {
      try {
        const out = await this.known.store.writeEnds(ends);
        if (out.ok) return this.endsWritten(ends, out.item);
        if (ends.length === 1) return this.endsWritten(ends, undefined);
      } catch (error) {
        // DynamoDB unreachable: for other containers the calls count as in flight until their deadlines, which
        // only ever delays later calls; our next claim carries the ends.
        this.lastError = error;
        return;
      }
    }
    for (const call of ends) {
      try {
        const out = await this.known.store.writeEnd(call);
        // Written, or trimmed already (it no longer bounds anything): either way done.
        this.endsWritten([call], out.ok ? out.item : undefined);
      } catch (error) {
        this.lastError = error;
      }
    }
  }

  private endsWritten(ends: readonly StoredCall[], item: Item | undefined): void {
    this.own.written(ends);
    if (item) this.known.learnIfNewer(item);
  }

  get typicalCallMs(): number | undefined {
    return this.timing.typicalCallMs;
  }

  succeeded(): void {
    this.answers.succeeded();
  }

  failed(): void {
    this.answers.failed();
  }

  rateLimited(retryAfterMs: number | undefined, now = this.clock()): number {
    return this.answers.rateLimited(retryAfterMs, now);
  }

  parallelReport(): ParallelReport {
    const now = this.clock();
    const report = {
      learnedCap: this.learning.state(this.known.itemAt(now), now).cap,
      parallelLimited: this.learning.limited,
    };
    this.learning.limited = 0;
    return report;
  }

  /** Calls in flight across the account, as the item says (for logs and tests). */
  async inFlightNow(): Promise<number> {
    const now = this.clock();
    return inFlightAt(parseRateItem(await this.known.store.read(), this.trust(now)).calls, now);
  }
}
