import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RateWindow } from '../config.js';
import type { CallTicket, Lane, RateGate, ServerRateLimit } from './pacer.js';
import { type CallMark, type CountWindow, earliestStart, effectiveEnd, inFlightAt, trimCalls } from './sliding.js';
import { AnswerState } from './answers.js';
import { waitMs } from './timer-ms.js';

/**
 * One rate budget for the whole account, shared by every consumer through one DynamoDB item.
 *
 * The item (`pk` = `rate#<key>`, `sk` = `calls`) holds the calls that can still bound a new one (those in
 * flight and the `count` latest finished, map `c`) and a count of the calls claimed (`v`). A consumer reads
 * it (strongly consistent), applies the sliding rule of `sliding.ts` to the account's windows, and claims
 * with a conditional write: no more calls claimed since its read than the room it saw leaves beside its own
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * So no slot is ever claimed twice, a fresh container knows every call its predecessor made, and scaling
 * consumers up or down needs no coordination. The answer's end is written into the call's own entry (the
 * call stops counting as in flight), which never conflicts with a claim. The cap on calls in flight
 * (`HOOD_MAX_IN_FLIGHT`) is exact too.
 *
 * Few requests per call: containers waiting for the next slot take turns instead of all reading the item
 * for it (`turnSlot`); one write claims for every caller of a container that may start now; the item our
 * own writes return (`ReturnValues`) and a failed claim returns (`ReturnValuesOnConditionCheckFailure`)
 * spare reads.
 *
 * Lanes: `live` may use the whole budget. `bulk` (imports, backfills) never takes what live traffic would
 * use: it leaves `liveReservePercent` of every window (at least one call) to live traffic at all times,
 * and while any live caller is waiting for a slot (it marks the item `lw` = until when, once bulk calls are in
 * the item) bulk takes none.
 *
 * The item expires (`expiresAt`, epoch seconds, the table's TTL attribute) a window after its last write.
 */
export interface LedgerRateLimiterOptions {
  dynamo: Pick<DynamoDBClient, 'send'>;
  table: string;
  windows: readonly RateWindow[];
  /** `rate#` + this is the item's `pk` (one budget per Hood account). Default `hood`. */
  key?: string;
  lane?: Lane;
  /** Hood calls in flight across all consumers (`HOOD_MAX_IN_FLIGHT`). Default 4. */
  maxInFlight?: number;
  /** Percent of every window left to other clients of the account (`HOOD_RATE_HEADROOM`). */
  headroomPercent?: number;
  /** Percent of every window (at least one call) bulk traffic always leaves to live traffic. Default 10. */
  liveReservePercent?: number;
  /** A call unanswered after this long has ended. Default 10 s. */
  requestTimeoutMs?: number;
  /** Added to every window: bounds the clock difference between containers. Default 5 ms. */
  clockSkewMs?: number;
  /** Longest single wait between two reads of the item while the in-flight cap is reached. Default 100 ms. */
  pollMs?: number;
  clock?: () => number;
}

interface StoredCall extends CallMark {
  id: string;
  lane: Lane;
}

interface Waiter {
  latestStart: number;
  sleep: (ms: number) => Promise<void>;
  resolve(ticket: CallTicket | undefined): void;
  reject(error: unknown): void;
}

interface State {
  version: number;
  calls: StoredCall[];
  liveWaitUntil: number;
  /** Returned with a failed claim: the item as it is, as good as a read. */
  current?: boolean;
  /** When a write of ours returned it (clock ms). */
  at?: number;
}

const SK = 'calls';

export class LedgerRateLimiter implements RateGate {
  readonly maxInFlight: number;
  private readonly dynamo: Pick<DynamoDBClient, 'send'>;
  private readonly table: string;
  private readonly pk: string;
  private readonly lane: Lane;
  private readonly windows: CountWindow[];
  private readonly keep: number;
  private readonly longestMs: number;
  private readonly requestTimeoutMs: number;
  private readonly headroomPercent: number;
  private readonly pollMs: number;
  /** Random delay that spreads containers racing for one slot: a quarter of the tightest spacing, whole ms or less. */
  private readonly jitterMs: number;
  private readonly clock: () => number;
  /** Pauses, probing and waiters, from Hood's answers (shared with the static `Pacer`). */
  private readonly answers: AnswerState;
  private localInFlight = 0;
  private seq = 0;
  private readonly instance = Math.random().toString(36).slice(2, 10);
  private commands: typeof import('@aws-sdk/client-dynamodb') | undefined;

  constructor(options: LedgerRateLimiterOptions) {
    if (options.windows.length === 0) throw new Error('LedgerRateLimiter needs at least one window');
    this.dynamo = options.dynamo;
    this.table = options.table;
    this.pk = `rate#${options.key ?? 'hood'}`;
    this.lane = options.lane ?? 'live';
    this.clock = options.clock ?? (() => Date.now());
    this.headroomPercent = Math.min(90, Math.max(0, options.headroomPercent ?? 0));
    const skew = Math.max(0, Math.ceil(options.clockSkewMs ?? 5));
    const reserve = Math.min(100, Math.max(0, options.liveReservePercent ?? 10));
    this.answers = new AnswerState(options.windows, this.headroomPercent);
    this.windows = options.windows.map(({ count, windowMs }) => {
      const ours = Math.max(1, Math.floor((count * (100 - this.headroomPercent)) / 100));
      const lane = this.lane === 'bulk' ? ours - Math.max(1, Math.ceil((ours * reserve) / 100)) : ours;
      return { count: lane, windowMs: windowMs + skew };
    });
    this.keep = Math.max(...options.windows.map((w) => w.count));
    this.longestMs = Math.max(...this.windows.map((w) => w.windowMs));
    this.maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 4));
    this.requestTimeoutMs = Math.ceil(options.requestTimeoutMs ?? 10_000);
    this.pollMs = Math.max(1, Math.ceil(options.pollMs ?? 100));
    this.jitterMs = Math.min(this.pollMs * 0.2, Math.min(...this.windows.map((w) => w.windowMs / w.count)) / 4);
    this.turnMs = Math.max(...this.windows.map((w) => w.windowMs / Math.max(1, w.count)));
  }

  /** The spacing of calls at the sustained rate (the longest window's): one turn, for `turnSlot`. */
  private readonly turnMs: number;
  /** Moving average of a claim's time, read to written (ms); undefined before the first. */
  private claimMs: number | undefined;
  /** The item's version when we last stood back for containers ahead in line (see `claim`). */
  private deferredAt = -1;
  /** The item as our own latest write returned it (`ReturnValues: ALL_NEW`), until a claim uses it. */
  private cached: State | undefined;

  private remember(state: State): void {
    if (this.cached === undefined || state.version >= this.cached.version) this.cached = { ...state, at: this.clock() };
  }

  acquire(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<CallTicket | undefined> {
    return new Promise<CallTicket | undefined>((resolve, reject) => {
      this.queue.push({ latestStart, sleep, resolve, reject });
      if (this.queue.length === 1) void this.serve();
    });
  }

  /** Callers waiting for a slot, in arrival order; the first is being served. */
  private readonly queue: Waiter[] = [];

  private async serve(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      try {
        // Resolves the head (and the callers behind it that the same write let start).
        const served = await this.claim(head.latestStart, head.sleep);
        if (served === 0) {
          this.queue.shift();
          head.resolve(undefined);
        }
      } catch (error) {
        this.queue.shift();
        head.reject(error);
      }
    }
  }

  /** Claims a slot for the first caller in line (and any behind it that may start now too): how many were served, 0 when none before the first's latest start. */
  private async claim(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<number> {
    for (;;) {
      if (!this.answers.healthy && this.localInFlight >= 1) {
        // Probing after a failure (or at cold start): one call of ours at a time until Hood answers properly.
        await this.answers.changed();
        continue;
      }
      // The item as our own last write returned it, when there is one: it tells how long to sleep without a
      // read. Claiming from it (the slot is now) or waiting at the in-flight cap needs the item as it is.
      const cached = this.cached;
      this.cached = undefined;
      const readAt = this.clock();
      let state = this.withOwnEnds(cached ?? (await this.read()), readAt);
      let now = this.clock();
      let slot = this.slotFor(state, now);
      // Returned by our own write a moment ago (less than a claim takes; e.g. the answer that just freed the
      // slot we are after) it is as fresh as a read would be.
      const fresh = cached !== undefined && (cached.current === true || now - (cached.at ?? Number.NEGATIVE_INFINITY) <= (this.claimMs ?? 0));
      if (cached !== undefined && !fresh && !(Number.isFinite(slot) && slot > now)) {
        state = this.withOwnEnds(await this.read(), now);
        now = this.clock();
        slot = this.slotFor(state, now);
      }
      // A finite slot past the latest start, or no slot (the in-flight cap) and the latest start reached.
      if (slot > latestStart && (Number.isFinite(slot) || now >= latestStart)) return 0;
      if (slot > now) {
        // Only when bulk traffic is about (a bulk call in the item): live-only traffic saves the write. A bulk
        // container that starts meanwhile still leaves live traffic its reserve of every window.
        const bulkAbout = state.calls.some((c) => c.lane === 'bulk');
        if (this.lane === 'live' && bulkAbout && Number.isFinite(slot) && state.liveWaitUntil < slot) await this.markLiveWaiting(slot);
        // Never past the latest start: the caller then gives the work back in time.
        const wait = Math.min(this.waitBeforeReading(state, slot, now), waitMs(Math.max(1, latestStart - now)));
        // One of our own answers frees a slot at once; another container's only shows in the item.
        await Promise.race([sleep(wait), this.answers.changed()]);
        continue;
      }
      // Room now, but containers that claimed longer ago than we did are in line for it: when they would
      // take it all (one call each), wait for our turn instead of racing them for it. Again only once the
      // line has moved (a claim since): a container ahead that does not claim meanwhile (it had no more
      // work) is not waited for twice.
      const room = this.room(state, now);
      const { ahead, active } = this.line(state, now);
      if (ahead >= room && state.version !== this.deferredAt) {
        this.deferredAt = state.version;
        // Long enough for the containers ahead to read and claim (they are about to, if they have work),
        // never longer than our turn: an idle container ahead costs a moment, not its turn.
        const grace = (this.claimMs ?? this.pollMs) * (ahead - room + 1);
        const wait = Math.min(waitMs(Math.min(this.turnSlot(state, slot, now, ahead) - now, grace) + Math.random() * this.jitterMs), waitMs(Math.max(1, latestStart - now)));
        await Promise.race([sleep(wait), this.answers.changed()]);
        continue;
      }
      // Our share of the room: every container in line (up to the room) gets its part in the same moment,
      // and claims that fit the room together all succeed (see `write`).
      const share = Math.max(1, Math.floor(room / Math.min(active, room)));
      // The callers queued behind the first that may start now as well share this one write: a burst costs
      // one write per few calls, not one each, and fewer writes race for the item. The share never exceeds
      // the room (each call counted against the windows and the cap as if the ones before it had started).
      const calls: StoredCall[] = [...state.calls];
      const mine: StoredCall[] = [];
      for (const waiter of this.queue) {
        if (mine.length > 0 && (mine.length >= share || !this.answers.healthy || now > waiter.latestStart)) break;
        const call: StoredCall = { id: `${this.instance}.${(this.seq += 1)}`, start: now, deadline: now + this.requestTimeoutMs, lane: this.lane };
        calls.push(call);
        mine.push(call);
      }
      const kept = new Set(trimCalls(calls, this.keep, now, this.longestMs).map((c) => c.id));
      const drop = state.calls.filter((c) => !kept.has(c.id)).map((c) => c.id);
      if (await this.write(state.version, mine, room, drop, now)) {
        const took = this.clock() - readAt;
        this.claimMs = this.claimMs === undefined ? took : this.claimMs * 0.8 + took * 0.2;
        this.contention = Math.max(0, this.contention - 1);
        this.localInFlight += mine.length;
        for (const call of mine) this.queue.shift()!.resolve({ startedAt: now, finish: (end, rateLimit) => this.finish(call.id, end, rateLimit, now) });
        return mine.length;
      }
      // Another consumer claimed since our read: read again, after a short random pause so that consumers
      // racing for the same slot fall out of step instead of colliding round after round.
      this.contention = Math.min(8, this.contention + 1);
      await sleep(waitMs(Math.random() * Math.max(this.jitterMs, 1)));
    }
  }

  /**
   * How many calls could start now, as the item stood when read (each counted as in flight, never ending).
   * Whatever other containers claimed since is at most as permissive as that, so a claim stays within the
   * rule as long as their calls and ours together fit this room (see `write`). Bounded by the cap.
   */
  private room(state: State, now: number): number {
    const calls: CallMark[] = [...state.calls];
    let room = 0;
    while (room < this.maxInFlight && this.slotFor({ ...state, calls: calls as StoredCall[] }, now) <= now) {
      calls.push({ start: now, deadline: Number.POSITIVE_INFINITY });
      room += 1;
    }
    return room;
  }

  /** The earliest start the item allows us (whole ms), `Infinity` at the in-flight cap. */
  private slotFor(state: State, now: number): number {
    let slot = Math.max(now, this.answers.pausedUntil, earliestStart(state.calls, this.windows, now, this.maxInFlight));
    if (this.lane === 'bulk' && state.liveWaitUntil > now) slot = Math.max(slot, state.liveWaitUntil);
    return Number.isFinite(slot) ? Math.ceil(slot) : slot;
  }

  /**
   * This container's place in line: the containers claiming now (a claim within one round of turns, plus
   * one), and how many of them claimed longer ago than we did (a container new to the item comes last).
   */
  private line(state: State, now: number): { ahead: number; active: number } {
    const latest = new Map<string, number>();
    for (const c of state.calls) {
      const who = c.id.slice(0, c.id.indexOf('.'));
      latest.set(who, Math.max(latest.get(who) ?? Number.NEGATIVE_INFINITY, c.start));
    }
    const mine = latest.get(this.instance) ?? Number.POSITIVE_INFINITY;
    const activeSince = now - this.turnMs * (latest.size + 1);
    let ahead = 0;
    let active = 1;
    for (const [who, at] of latest) {
      if (who === this.instance || at < activeSince) continue;
      active += 1;
      if (at < mine) ahead += 1;
    }
    return { ahead, active };
  }

  /**
   * When it is this container's turn to read again (for a window slot, or at the cap). Every container waiting for the next
   * slot would otherwise wake for it together: one claims it, the others have read the item for nothing
   * and aim at the following slot, together again — a read per waiting container per call. Instead the
   * containers take turns, in the order of their latest claims as the item shows them (the one that
   * claimed longest ago first; a container new to the item last): the r-th in line sleeps until the r-th
   * next slot, found by the same sliding rule with the r calls before it placed (each expected to take as
   * long as this container's calls take). This only decides when to read: a claim is still checked
   * against the item as it is, so a turn misjudged costs a read or a little time, never a slot too many.
   */
  private turnSlot(state: State, slot: number, now: number, ahead = this.line(state, now).ahead): number {
    if (ahead === 0 && Number.isFinite(slot)) return slot;
    // Calls in flight end, we expect, as long after their start as ours take; so do the turns before ours.
    const typical = this.typicalCallMs ?? this.pollMs;
    const calls: CallMark[] = state.calls.map((c) => (effectiveEnd(c, now) === Number.POSITIVE_INFINITY ? { ...c, end: Math.max(now, c.start + typical) } : c));
    const next = (from: number): number => {
      // The windows' rule, and the in-flight cap: the first moment after `from` with fewer than the cap in flight.
      const ends = calls.map((c) => effectiveEnd(c, now)).filter((e) => e > from).sort((x, y) => y - x);
      const capFree = ends.length >= this.maxInFlight ? ends[this.maxInFlight - 1]! : from;
      return Math.max(from, capFree, earliestStart(calls, this.windows, now));
    };
    let turn = Number.isFinite(slot) ? slot : Math.max(this.answers.pausedUntil, next(now));
    for (let i = 0; i < ahead; i += 1) {
      calls.push({ start: turn, end: turn + typical, deadline: turn + this.requestTimeoutMs });
      turn = next(turn);
    }
    return turn;
  }

  /**
   * How long to wait before reading the item again when the slot is not now. A finite slot is exact: a call
   * in flight that ends only turns an "ends never" into an end later than every finished one, which leaves
   * the `count`-th largest end where it was, and other containers' claims can only move it later (our
   * conditional write then fails and we read again) — so sleep until it. An infinite slot (the in-flight
   * cap) ends with another container's answer, which only shows in the item: read again when the oldest
   * call in flight is expected to end (from the answer times this container has seen), then every 1/20 of
   * that time. A fixed poll would cost up to a whole interval per freed slot, throughput lost at the cap.
   */
  private waitBeforeReading(state: State, slot: number, now: number): number {
    // Up to a quarter of the tightest spacing late, at random: containers that misjudge their turns alike
    // then do not all read and race to claim one slot at once (the losers' writes fail and cost a read each).
    if (Number.isFinite(slot)) return waitMs(Math.min(this.turnSlot(state, slot, now) - now + Math.random() * this.jitterMs, this.longestMs));
    const expected = this.typicalCallMs ?? this.pollMs;
    // Jittered, so containers waiting for the same slot do not read (and then race to claim) in step.
    // Each claim lost to another container (a conflict) widens the step, each claim won narrows it again: the
    // more containers poll for the same freed slot, the less often each reads.
    const step = Math.min(this.pollMs, Math.max(5, expected / 20) * (1 + this.contention)) * (0.5 + Math.random());
    // Our turn at the cap: when as many calls in flight as there are containers ahead of us (and one) are
    // expected to have ended.
    return waitMs(Math.min(this.longestMs, Math.max(step, this.turnSlot(state, slot, now) - now)));
  }

  /** Claims recently lost to other containers (0–8): widens the polling step at the in-flight cap. */
  private contention = 0;

  /** Moving average of this container's call durations (send to answer), ms; undefined before the first. */
  private typicalCallMs: number | undefined;

  private async finish(id: string, end: number, rateLimit?: ServerRateLimit, startedAt?: number): Promise<void> {
    this.localInFlight = Math.max(0, this.localInFlight - 1);
    if (startedAt !== undefined && end >= startedAt) {
      const took = end - startedAt;
      this.typicalCallMs = this.typicalCallMs === undefined ? took : this.typicalCallMs * 0.8 + took * 0.2;
    }
    // Our own callers may use the slot at once: they know this end before the item does (other containers
    // learn it from the item, which only makes them the more cautious meanwhile).
    this.ownEnds.set(id, Math.ceil(end));
    this.answers.serverView(end, rateLimit);
    this.answers.wake();
    try {
      const { UpdateItemCommand } = await this.sdk();
      const out = await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: SK } },
          UpdateExpression: 'SET #c.#id.#e = :e',
          ConditionExpression: 'attribute_exists(#c.#id)',
          ExpressionAttributeNames: { '#c': 'c', '#id': id, '#e': 'e' },
          ExpressionAttributeValues: { ':e': { N: String(Math.ceil(end)) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (out.Attributes) this.remember(parseState(out.Attributes));
      this.ownEnds.delete(id);
    } catch (error) {
      // Trimmed already (it no longer bounds anything) or DynamoDB unreachable: for other containers the
      // call then counts as in flight until its deadline, which only ever delays later calls.
      if (isConditionFailure(error)) this.ownEnds.delete(id);
      else this.lastError = error;
    }
  }

  /** Ends of our own calls not yet written to the item (or whose write failed), by call id. */
  private readonly ownEnds = new Map<string, number>();

  /** The item with the ends of our own calls that it does not show yet. */
  private withOwnEnds(state: State, now: number): State {
    if (this.ownEnds.size === 0) return state;
    for (const [id, end] of this.ownEnds) if (end + this.longestMs + this.requestTimeoutMs < now) this.ownEnds.delete(id);
    return { ...state, calls: state.calls.map((c) => (c.end === undefined && this.ownEnds.has(c.id) ? { ...c, end: this.ownEnds.get(c.id) } : c)) };
  }

  /** The last DynamoDB error seen while writing back an end (for logs); never thrown. */
  lastError: unknown;

  succeeded(): void {
    this.answers.succeeded();
  }

  failed(): void {
    this.answers.failed();
  }

  rateLimited(retryAfterMs: number | undefined, now = this.clock()): number {
    return this.answers.rateLimited(retryAfterMs, now);
  }

  private async sdk(): Promise<typeof import('@aws-sdk/client-dynamodb')> {
    this.commands ??= await import('@aws-sdk/client-dynamodb');
    return this.commands;
  }

  private async read(): Promise<State> {
    const { GetItemCommand } = await this.sdk();
    const out = await this.dynamo.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: this.pk }, sk: { S: SK } }, ConsistentRead: true }),
    );
    return parseState(out.Item);
  }

  /**
   * Claim: add our calls (and drop calls that no longer bound anything) if, since our read, other containers
   * claimed no more calls than the room we saw leaves beside ours (`v` counts the calls claimed). Their calls
   * count as in flight, never ending, in that room — the most cautious view of them — so ours still keep every
   * window and the cap (concurrent claims that fit together both succeed; in a burst several containers share
   * the room without a failed write each). An answer written back meanwhile does not conflict: it only turns
   * a call in flight into a finished one, which makes our reading the more cautious one, and this update
   * leaves the other calls' entries as they are.
   */
  private async write(version: number, mine: readonly StoredCall[], room: number, drop: string[], now: number): Promise<boolean> {
    const { PutItemCommand, UpdateItemCommand } = await this.sdk();
    const entry = (call: StoredCall): AttributeValue => ({ M: { s: { N: String(call.start) }, d: { N: String(call.deadline) }, l: { S: call.lane } } });
    const expiresAt: AttributeValue = { N: String(Math.ceil((now + this.longestMs + this.requestTimeoutMs) / 1000) + 60) };
    try {
      if (version === 0) {
        await this.dynamo.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: { S: this.pk }, sk: { S: SK }, v: { N: String(mine.length) }, c: { M: Object.fromEntries(mine.map((call) => [call.id, entry(call)])) }, lw: { N: '0' }, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.remember({ version: mine.length, calls: [...mine], liveWaitUntil: 0 });
        return true;
      }
      const names: Record<string, string> = { '#c': 'c', '#v': 'v', '#x': 'expiresAt' };
      const values: Record<string, AttributeValue> = { ':v': { N: String(version + Math.max(0, room - mine.length)) }, ':m': { N: String(mine.length) }, ':x': expiresAt };
      const sets = mine.map((call, i) => {
        names[`#n${i}`] = call.id;
        values[`:n${i}`] = entry(call);
        return `#c.#n${i} = :n${i}`;
      });
      drop.forEach((id, i) => (names[`#d${i}`] = id));
      let update = `SET ${sets.join(', ')}, #v = #v + :m, #x = :x`;
      if (this.lane === 'live') {
        // A live call got its slot: bulk may use what is free again (a live caller still waiting marks it anew).
        names['#lw'] = 'lw';
        values[':zero'] = { N: '0' };
        update += ', #lw = :zero';
      }
      if (drop.length > 0) update += ` REMOVE ${drop.map((_, i) => `#c.#d${i}`).join(', ')}`;
      const out = await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: SK } },
          UpdateExpression: update,
          ConditionExpression: '#v <= :v',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          // The item after our claim, free of read capacity: the next claim's wait needs no read.
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (out.Attributes) this.remember(parseState(out.Attributes));
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // DynamoDB returns the item as it is with the failure (`ReturnValuesOnConditionCheckFailure`): the
      // next round needs no read. (The local DynamoDB used in tests does not, and the next round reads.)
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (item !== undefined) this.cached = { ...parseState(item), current: true };
      return false;
    }
  }

  /** A live caller is waiting for a slot until `until`: bulk callers stand back until then. */
  private async markLiveWaiting(until: number): Promise<void> {
    const { UpdateItemCommand } = await this.sdk();
    try {
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: SK } },
          UpdateExpression: 'SET #lw = :u',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#lw) OR #lw < :u)',
          ExpressionAttributeNames: { '#lw': 'lw' },
          ExpressionAttributeValues: { ':u': { N: String(Math.ceil(until)) } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Calls in flight across the account, as the item says (for logs and tests). */
  async inFlightNow(): Promise<number> {
    return inFlightAt((await this.read()).calls, this.clock());
  }
}

function isConditionFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

function num(v: AttributeValue | undefined): number | undefined {
  if (v === undefined || !('N' in v) || v.N === undefined) return undefined;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : undefined;
}

function parseState(item: Record<string, AttributeValue> | undefined): State {
  if (!item) return { version: 0, calls: [], liveWaitUntil: 0 };
  const calls: StoredCall[] = [];
  const map = item.c && 'M' in item.c ? (item.c.M ?? {}) : {};
  for (const [id, value] of Object.entries(map)) {
    const m = value && 'M' in value ? (value.M ?? {}) : {};
    const start = num(m.s);
    const deadline = num(m.d);
    if (start === undefined || deadline === undefined) continue;
    const lane: Lane = m.l && 'S' in m.l && m.l.S === 'bulk' ? 'bulk' : 'live';
    calls.push({ id, start, deadline, end: num(m.e), lane });
  }
  return { version: num(item.v) ?? 0, calls, liveWaitUntil: num(item.lw) ?? 0 };
}
