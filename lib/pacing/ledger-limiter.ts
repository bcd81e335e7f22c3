import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RateWindow } from '../config.js';
import type { CallTicket, Lane, RateGate, ServerRateLimit } from './pacer.js';
import { type CallMark, type CountWindow, earliestStart, inFlightAt, inFlightCalls, trimCalls } from './sliding.js';
import { AnswerState } from './answers.js';
import { waitMs } from './timer-ms.js';

/**
 * One rate budget for the whole account, shared by every consumer through one DynamoDB item.
 *
 * The item (`pk` = `rate#<key>`, `sk` = `calls`) holds the calls that can still bound a new one (those in
 * flight and the `count` latest finished, map `c`) and a count of claims (`v`). A consumer reads it (strongly consistent), applies
 * the sliding rule of `sliding.ts` to the account's windows, and claims a slot with a conditional write on
 * the version it read (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html):
 * two consumers can never claim the same slot, a fresh container knows every call its predecessor made,
 * and scaling consumers up or down needs no coordination. The answer's end is written into the call's own
 * entry (the call stops counting as in flight), which never conflicts with a claim. The cap on calls in flight (`HOOD_MAX_IN_FLIGHT`) is exact too.
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

interface State {
  version: number;
  calls: StoredCall[];
  liveWaitUntil: number;
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
  private tail: Promise<void> = Promise.resolve();
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
  }

  acquire(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<CallTicket | undefined> {
    const run = this.tail.then(() => this.claim(latestStart, sleep));
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async claim(latestStart: number, sleep: (ms: number) => Promise<void>): Promise<CallTicket | undefined> {
    for (;;) {
      if (!this.answers.healthy && this.localInFlight >= 1) {
        // Probing after a failure (or at cold start): one call of ours at a time until Hood answers properly.
        await this.answers.changed();
        continue;
      }
      const state = await this.read();
      const now = this.clock();
      let slot = Math.max(now, this.answers.pausedUntil, earliestStart(state.calls, this.windows, now, this.maxInFlight));
      if (this.lane === 'bulk' && state.liveWaitUntil > now) slot = Math.max(slot, state.liveWaitUntil);
      slot = Number.isFinite(slot) ? Math.ceil(slot) : slot;
      // A finite slot past the latest start, or no slot (the in-flight cap) and the latest start reached.
      if (slot > latestStart && (Number.isFinite(slot) || now >= latestStart)) return undefined;
      if (slot > now) {
        // Only when bulk traffic is about (a bulk call in the item): live-only traffic saves the write. A bulk
        // container that starts meanwhile still leaves live traffic its reserve of every window.
        const bulkAbout = state.calls.some((c) => c.lane === 'bulk');
        if (this.lane === 'live' && bulkAbout && Number.isFinite(slot) && state.liveWaitUntil < slot) await this.markLiveWaiting(state, slot);
        // Never past the latest start: the caller then gives the work back in time.
        const wait = Math.min(this.waitBeforeReading(state.calls, slot, now), waitMs(Math.max(1, latestStart - now)));
        // One of our own answers frees a slot at once; another container's only shows in the item.
        await Promise.race([sleep(wait), this.answers.changed()]);
        continue;
      }
      const id = `${this.instance}.${(this.seq += 1)}`;
      const call: StoredCall = { id, start: now, deadline: now + this.requestTimeoutMs, lane: this.lane };
      const kept = new Set(trimCalls([...state.calls, call], this.keep, now, this.longestMs).map((c) => c.id));
      const drop = state.calls.filter((c) => !kept.has(c.id)).map((c) => c.id);
      if (await this.write(state.version, call, drop, now)) {
        this.contention = Math.max(0, this.contention - 1);
        this.localInFlight += 1;
        return { startedAt: now, finish: (end, rateLimit) => this.finish(id, end, rateLimit, now) };
      }
      // Another consumer claimed since our read: read again, after a short random pause so that consumers
      // racing for the same slot fall out of step instead of colliding round after round.
      this.contention = Math.min(8, this.contention + 1);
      await sleep(waitMs(Math.random() * Math.max(this.jitterMs, 1)));
    }
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
  private waitBeforeReading(calls: readonly CallMark[], slot: number, now: number): number {
    // Up to a quarter of the tightest spacing late, at random: containers waiting for the same slot then
    // do not all read and race to claim it at once (the losers' writes fail and cost a read each).
    if (Number.isFinite(slot)) return waitMs(Math.min(slot - now + Math.random() * this.jitterMs, this.longestMs));
    const inFlight = inFlightCalls(calls, now);
    const expected = this.typicalCallMs ?? this.pollMs;
    // Jittered, so containers waiting for the same slot do not read (and then race to claim) in step.
    // Each claim lost to another container (a conflict) widens the step, each claim won narrows it again: the
    // more containers poll for the same freed slot, the less often each reads.
    const step = Math.min(this.pollMs, Math.max(5, expected / 20) * (1 + this.contention)) * (0.5 + Math.random());
    const oldestStart = inFlight.length > 0 ? Math.min(...inFlight.map((c) => c.start)) : now;
    return waitMs(Math.max(step, oldestStart + expected - now));
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
    try {
      const { UpdateItemCommand } = await this.sdk();
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: SK } },
          UpdateExpression: 'SET #c.#id.#e = :e',
          ConditionExpression: 'attribute_exists(#c.#id)',
          ExpressionAttributeNames: { '#c': 'c', '#id': id, '#e': 'e' },
          ExpressionAttributeValues: { ':e': { N: String(Math.ceil(end)) } },
        }),
      );
    } catch (error) {
      // Trimmed already (it no longer bounds anything) or DynamoDB unreachable: the call then counts as
      // in flight until its deadline, which only ever delays later calls.
      if (!isConditionFailure(error)) this.lastError = error;
    }
    this.answers.serverView(end, rateLimit);
    this.answers.wake();
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
   * Claim: add our call (and drop calls that no longer bound anything) if no other claim happened since our
   * read (`v` counts claims only). An answer written back meanwhile does not conflict: it only turns a call
   * in flight into a finished one, which makes our reading the more cautious one, and this update leaves
   * the other calls' entries as they are.
   */
  private async write(version: number, call: StoredCall, drop: string[], now: number): Promise<boolean> {
    const { PutItemCommand, UpdateItemCommand } = await this.sdk();
    const entry: AttributeValue = { M: { s: { N: String(call.start) }, d: { N: String(call.deadline) }, l: { S: call.lane } } };
    const expiresAt: AttributeValue = { N: String(Math.ceil((now + this.longestMs + this.requestTimeoutMs) / 1000) + 60) };
    try {
      if (version === 0) {
        await this.dynamo.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: { S: this.pk }, sk: { S: SK }, v: { N: '1' }, c: { M: { [call.id]: entry } }, lw: { N: '0' }, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      }
      const names: Record<string, string> = { '#c': 'c', '#v': 'v', '#new': call.id, '#x': 'expiresAt' };
      drop.forEach((id, i) => (names[`#d${i}`] = id));
      const values: Record<string, AttributeValue> = { ':call': entry, ':v': { N: String(version) }, ':one': { N: '1' }, ':x': expiresAt };
      let update = 'SET #c.#new = :call, #v = #v + :one, #x = :x';
      if (this.lane === 'live') {
        // A live call got its slot: bulk may use what is free again (a live caller still waiting marks it anew).
        names['#lw'] = 'lw';
        values[':zero'] = { N: '0' };
        update += ', #lw = :zero';
      }
      if (drop.length > 0) update += ` REMOVE ${drop.map((_, i) => `#c.#d${i}`).join(', ')}`;
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: SK } },
          UpdateExpression: update,
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** A live caller is waiting for a slot until `until`: bulk callers stand back until then. */
  private async markLiveWaiting(state: State, until: number): Promise<void> {
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
    void state;
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
