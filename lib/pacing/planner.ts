import type { Lane } from './budget.js';
import { CAP_STEP_BUMP, type RateItem, type StoredCall } from './rate-item.js';
import {
  type CallMark,
  type CountWindow,
  earliestStart,
  effectiveEnd,
  inFlightAt,
  inFlightCalls,
  trimCalls,
} from './sliding.js';
import { waitMs } from './timer-ms.js';
import type { TuningLayer } from './tuning.js';

/**
 * The shared budget's decisions, without I/O: given the rate item as this container knows it, its callers
 * waiting for a slot and the time, what to do next — claim `n` slots, wait, or read the item again (or give the
 * first caller up: no slot before its latest start). The limiter (`ledger-limiter.ts`) carries the plan out.
 *
 * The guarantee is the sliding rule (`sliding.ts`) and the store's conditional claim; everything else here is
 * tuning that saves requests or time, each named in docs/pacing.md with the bench row that keeps it:
 * - batch: one claim serves every caller that may start now (up to this container's share of the room);
 * - spread turns: after claims lost to other containers, wait for one of the next few window slots, not the next;
 * - poll at the cap: read again when the oldest call in flight is expected to end, then in small steps;
 * - claim on a stale view: at our turn, claim on the item our last write returned instead of reading it first;
 * - replace our own answered call: its end and the next call go in one claim that no other container's claim
 *   can refuse for the parallel cap (the calls in flight stay as many).
 */
export interface PlannerConfig {
  /** The lane's windows (after headroom and reserve, skew added). */
  windows: readonly CountWindow[];
  lane: Lane;
  /** This container's prefix of call ids. */
  instance: string;
  requestTimeoutMs: number;
  /** Longest single wait between two reads while the in-flight cap is reached. */
  pollMs: number;
  /** Tuning layers turned off, to measure what each buys (`tuning.ts`). */
  off: ReadonlySet<TuningLayer>;
  /** Containers that may claim at once (`CONSUMER_MAX_CONCURRENCY`). */
  consumers: number;
}

/** What the limiter knows at one moment, besides its configuration. */
export interface PlanInput {
  /** The item as this container knows it, its own ends overlaid. */
  item: RateItem;
  /** The item is as it is now (just read, returned by a failed claim, or by our own write within a claim's time). */
  fresh: boolean;
  /** How old the item is (ms since it was read or returned). */
  ageMs: number;
  /** Our finished calls whose ends the item does not show yet. */
  unwrittenEnds: number;
  /**
   * Of those, the ones the item still shows in flight, far enough from their deadlines that a claim carrying
   * their ends lands before any container could count them as ended (ids, oldest first).
   */
  replaceable: readonly string[];
  /** The latest start of every caller waiting, in arrival order (the first is served first). */
  waiters: readonly number[];
  now: number;
  /** Calls in flight the account may have now (the learned cap). */
  cap: number;
  /** No call before this (a 429's pause, a window another client used up). */
  pausedUntil: number;
  /** Hood's last answer was a proper one; otherwise one call of ours at a time probes. */
  healthy: boolean;
  localInFlight: number;
  /** Typical call time and claim time of this container (ms), once known. */
  typicalCallMs: number | undefined;
  claimMs: number | undefined;
  /** Claims recently lost to other containers and reads that found the cap still full (0–8). */
  contention: number;
  /** In [0, 1): spreads containers that would otherwise act in step. */
  random: number;
}

export type Plan =
  | { kind: 'give-up' }
  | { kind: 'read' }
  /** `ms`: at most this long, and no longer than the next answer of ours (Infinity: until that answer). */
  | { kind: 'wait'; ms: number; liveWaitingUntil?: number; atCap?: boolean }
  /**
   * Claim `n` calls (the first `n` waiters) from `item`: the condition lets other containers claim `room - n`
   * calls since the item was known; `replaced`: our answered calls whose ends the claim carries and which must
   * still be in flight in the item; `drop`: calls that no longer bound anything.
   */
  | { kind: 'claim'; n: number; room: number; replaced: string[]; drop: string[]; fillsCap: boolean };

export function plan(config: PlannerConfig, input: PlanInput): Plan {
  const { item, now } = input;
  const latestStart = input.waiters[0];
  if (latestStart === undefined) return { kind: 'give-up' };
  // Probing after a failure (or at cold start): one call of ours at a time until Hood answers properly.
  if (!input.healthy && input.localInFlight >= 1) return { kind: 'wait', ms: Number.POSITIVE_INFINITY };
  const slot = slotFor(config, input);
  // At the cap, only the item tells when another container's call has ended: read it. A view older than the
  // longest window tells nothing worth a claim. Otherwise a view that is not current is claimed on as it is:
  // the claim's condition counts every call claimed since as in flight within the room this view leaves, so it
  // is exact, and when it fails DynamoDB returns the item as it is (as good as a read).
  if (!input.fresh && (!Number.isFinite(slot) || input.ageMs > longestMs(config) || config.off.has('stale-view')))
    return { kind: 'read' };
  // A finite slot past the latest start, or no slot (the in-flight cap) and the latest start reached.
  if (slot > latestStart && (Number.isFinite(slot) || now >= latestStart)) return { kind: 'give-up' };
  const untilLatest = waitMs(Math.max(1, latestStart - now));
  if (slot > now) {
    // Only when bulk traffic is about (a bulk call in the item): live-only traffic saves the write.
    const bulkAbout = item.calls.some((c) => c.lane === 'bulk');
    const mark = config.lane === 'live' && bulkAbout && Number.isFinite(slot) && item.liveWaitUntil < slot;
    const wait = Math.min(waitBeforeReading(config, input, slot), untilLatest);
    if (mark) return { kind: 'wait', ms: wait, liveWaitingUntil: slot };
    return Number.isFinite(slot) ? { kind: 'wait', ms: wait } : { kind: 'wait', ms: wait, atCap: true };
  }
  const room = roomAt(config, input);
  const replacing = replacementsFor(config, input, room);
  const active = activeContainers(config, input);
  // Our share of the room: every container in line (up to the room) gets its part in the same moment. When we
  // replace our own answered calls, just as many: the rest of the room is left to the others.
  const share =
    replacing.length > 0
      ? replacing.length
      : config.off.has('batch')
        ? 1
        : Math.max(1, Math.floor(room / Math.min(active, room)));
  let n = 0;
  for (const latest of input.waiters) {
    if (n > 0 && (n >= share || !input.healthy || now > latest)) break;
    n += 1;
  }
  const replaced = replacing.slice(0, n);
  return {
    kind: 'claim',
    n,
    room: replaced.length > 0 ? replacementRoom(config, input, n) : room,
    replaced,
    drop: dropFor(config, item.calls, n, now, replaced),
    fillsCap: inFlightAt(item.calls, now) + n >= input.cap,
  };
}

/**
 * Our answered calls that the next claim may replace: live calls only (bulk keeps live traffic's reserve of the
 * cap, which no replacement checks), while Hood answers properly, and only while the item cannot show more in
 * flight than the cap (after a step back it may, until calls end). Other containers count these calls as in
 * flight (their ends are not in the item), so no claim of theirs used the slots; a claim that writes each end
 * with one new call leaves the calls in flight as many, whatever they claimed since. The store checks that
 * each is still in flight in the item (`RateStore.claim`).
 */
function replacementsFor(config: PlannerConfig, input: PlanInput, room: number): readonly string[] {
  if (config.lane !== 'live' || !input.healthy || input.replaceable.length === 0 || config.off.has('replace'))
    return [];
  if (inFlightAt(input.item.calls, input.now) + input.unwrittenEnds > input.cap) return [];
  return input.replaceable.slice(0, room);
}

/**
 * The room for a claim of `n` calls that replace as many of ours: the windows' rule alone (the cap is kept by
 * the replacement itself), at most `CAP_STEP_BUMP - 1` beyond our calls, so that a step back of the cap since
 * the item was known still makes the claim fail.
 */
function replacementRoom(config: PlannerConfig, input: PlanInput, n: number): number {
  return roomAt(config, { ...input, cap: Number.POSITIVE_INFINITY }, n + CAP_STEP_BUMP - 1);
}

/** The spacing of calls at the sustained rate (the longest window's). */
function turnMs(config: PlannerConfig): number {
  return Math.max(...config.windows.map((w) => w.windowMs / Math.max(1, w.count)));
}

function longestMs(config: PlannerConfig): number {
  return Math.max(...config.windows.map((w) => w.windowMs));
}

/** Random delay spreading containers racing for one slot: a quarter of the tightest spacing, at most a fifth of a poll. */
function jitterMs(config: PlannerConfig): number {
  return Math.min(config.pollMs * 0.2, Math.min(...config.windows.map((w) => w.windowMs / Math.max(1, w.count))) / 4);
}

/** The earliest start the item allows us (whole ms), `Infinity` at the in-flight cap. */
export function slotFor(
  config: PlannerConfig,
  input: Pick<PlanInput, 'item' | 'now' | 'pausedUntil' | 'cap'>,
  calls: readonly CallMark[] = input.item.calls,
): number {
  const { item, now } = input;
  let slot = Math.max(now, input.pausedUntil, earliestStart(calls, config.windows, now, input.cap));
  if (config.lane === 'bulk' && item.liveWaitUntil > now) slot = Math.max(slot, item.liveWaitUntil);
  return Number.isFinite(slot) ? Math.ceil(slot) : slot;
}

/**
 * How many calls could start now, as the item stood when read (each counted as in flight, never ending).
 * Whatever other containers claimed since is at most as permissive as that, so a claim stays within the
 * rule as long as their calls and ours together fit this room (see `RateStore.claim`). Bounded by the cap.
 */
export function roomAt(
  config: PlannerConfig,
  input: Pick<PlanInput, 'item' | 'now' | 'pausedUntil' | 'cap'>,
  limit = input.cap,
): number {
  const calls: CallMark[] = [...input.item.calls];
  let room = 0;
  while (room < limit && slotFor(config, input, calls) <= input.now) {
    calls.push({ start: input.now, deadline: Number.POSITIVE_INFINITY });
    room += 1;
  }
  return room;
}

/** Entries a claim of `n` calls at `now` removes: they no longer bound anything (and those not trusted). */
function dropFor(
  config: PlannerConfig,
  calls: readonly StoredCall[],
  n: number,
  now: number,
  replaced: readonly string[],
): string[] {
  const placed: (CallMark & { id: string })[] = [
    ...calls,
    ...Array.from({ length: n }, (_, i) => ({ id: `\u0000${i}`, start: now, deadline: now + config.requestTimeoutMs })),
  ];
  const keep = Math.max(...config.windows.map((w) => w.count));
  const kept = new Set(trimCalls(placed, keep, now, longestMs(config)).map((c) => c.id));
  // A replaced call's end is written by the claim (it is among the newest ends anyway).
  return calls.filter((c) => !kept.has(c.id) && !replaced.includes(c.id)).map((c) => c.id);
}

/**
 * The containers claiming now, ours included: those with a call claimed within one round of turns (one turn per
 * container, plus one). The room a claim of ours may take is split between them (`batch`).
 */
export function activeContainers(config: PlannerConfig, input: Pick<PlanInput, 'item' | 'now'>): number {
  const latest = new Map<string, number>();
  for (const c of input.item.calls) {
    const who = containerOf(c.id);
    latest.set(who, Math.max(latest.get(who) ?? Number.NEGATIVE_INFINITY, c.start));
  }
  const activeSince = input.now - turnMs(config) * (latest.size + 1);
  let active = 1;
  for (const [who, at] of latest) if (who !== config.instance && at >= activeSince) active += 1;
  return active;
}

/** The container a call id belongs to (its prefix before the first dot: `OwnCalls.next`). */
function containerOf(id: string): string {
  return id.slice(0, id.indexOf('.'));
}

/** The calls, each still in flight given the end it is expected at: its start plus the typical call time. */
function withExpectedEnds(calls: readonly CallMark[], now: number, typicalMs: number): CallMark[] {
  return calls.map((c) =>
    effectiveEnd(c, now) === Number.POSITIVE_INFINITY ? { ...c, end: Math.max(now, c.start + typicalMs) } : c,
  );
}

/**
 * At the cap: when the item's calls in flight are expected to leave a slot (each taking as long as ours take),
 * the windows' rule applied too. Only when to read: a claim is still checked against the item as it is.
 */
export function expectedFreeAt(config: PlannerConfig, input: PlanInput): number {
  const { now } = input;
  const calls = withExpectedEnds(input.item.calls, now, input.typicalCallMs ?? config.pollMs);
  const ends = calls
    .map((c) => effectiveEnd(c, now))
    .filter((e) => e > now)
    .sort((x, y) => y - x);
  const capFree = ends.length >= input.cap ? ends[input.cap - 1]! : now;
  return Math.max(input.pausedUntil, now, capFree, earliestStart(calls, config.windows, now));
}

/**
 * When to read for a slot another container may give back: when one of their calls in flight is expected to end
 * (its start plus the typical call time), if any is still to come (a call past that time is late, and then reads
 * fall back to widening steps). With k other containers holding calls, every container at the cap picks one of the
 * next k ends at random, so each end draws about one read from all of them together, not one from each.
 */
function foreignEndToWatch(config: PlannerConfig, input: PlanInput, typicalMs: number): number | undefined {
  const mine = `${config.instance}.`;
  const others = new Set<string>();
  const ends: number[] = [];
  for (const c of inFlightCalls(input.item.calls, input.now)) {
    if (c.id.startsWith(mine)) continue;
    others.add(containerOf(c.id));
    if (c.start + typicalMs > input.now) ends.push(c.start + typicalMs);
  }
  if (ends.length === 0) return undefined;
  ends.sort((a, b) => a - b);
  return ends[Math.floor(Math.min(ends.length, others.size) * input.random)] ?? ends[0];
}

/**
 * Containers waiting for a window slot all sleep until the same one and race for it: one claim wins, each of the
 * others is refused (a billed write that returns the item), and they race again for the next. After claims
 * lost (`contention`), a container takes one of the next min(active containers, 2^contention) slots at random,
 * each counted as taken by a call of the typical time: about one claim per slot. A slot nobody took is still free
 * when the next container wakes (it claims at once), so the cost is a delay, never a slot.
 */
function spreadTurn(config: PlannerConfig, input: PlanInput, slot: number): number {
  if (input.contention === 0 || config.off.has('spread-turns')) return slot;
  const turn = Math.floor(input.random * Math.min(activeContainers(config, input), 2 ** input.contention));
  if (turn === 0) return slot;
  const typical = input.typicalCallMs ?? typicalInItem(input.item) ?? config.pollMs;
  const calls = withExpectedEnds(input.item.calls, input.now, typical);
  let at = slot;
  for (let i = 0; i < turn; i += 1) {
    calls.push({ start: at, deadline: at + config.requestTimeoutMs, end: at + typical });
    const next = Math.max(at, earliestStart(calls, config.windows, at));
    if (!Number.isFinite(next) || next - input.now > longestMs(config)) break;
    at = next;
  }
  return at;
}

/** A container without answers of its own yet: the calls' time the item shows (mean of its answered calls). */
function typicalInItem(item: RateItem): number | undefined {
  const answered = item.calls.filter((c) => c.end !== undefined);
  if (answered.length === 0) return undefined;
  return answered.reduce((sum, c) => sum + (c.end! - c.start), 0) / answered.length;
}

/**
 * How long to wait before reading the item again when the slot is not now. A finite slot is exact (ends only
 * move it earlier by turning "never" into a time, claims only later, and then our claim fails and we read):
 * sleep until it (after claims lost, one of the next few: `spreadTurn`), a little late at random. An infinite slot (the in-flight cap) ends with an answer that
 * only shows in the item: with a call of ours in flight, wait for its answer (where containers can outnumber the
 * cap); where they cannot, read when another container's call is expected to end; otherwise read when the oldest
 * call is expected to end, then in steps of 1/20 of a call's time, doubled by each claim lost to other containers
 * and each read that found the cap still full.
 */
export function waitBeforeReading(config: PlannerConfig, input: PlanInput, slot: number): number {
  const { now } = input;
  if (Number.isFinite(slot)) {
    const target = spreadTurn(config, input, slot);
    return waitMs(Math.min(target - now + input.random * jitterMs(config), longestMs(config)));
  }
  if (config.off.has('poll-at-cap')) return config.pollMs;
  const backoff = !config.off.has('poll-backoff');
  // A call of ours in flight: its answer frees a slot for us (and wakes us). Someone must read for slots that other
  // containers give back: when there can be more containers than calls in flight, those with none do; otherwise
  // (every container may hold a slot) we do.
  if (input.localInFlight > 0 && backoff && config.consumers > input.cap) return Number.POSITIVE_INFINITY;
  const expected = input.typicalCallMs ?? (backoff ? typicalInItem(input.item) : undefined) ?? config.pollMs;
  const first = Math.min(config.pollMs, Math.max(5, expected / 20));
  // Every container may hold a slot: one comes free only when another container's call ends with no caller of its
  // own to replace it (the end of its batch). Read when one of their calls is expected to end, a claim's time or
  // two after it (its end is written by then), whether we hold calls or not: about one read per call elsewhere.
  if (backoff && config.consumers <= input.cap) {
    const next = foreignEndToWatch(config, input, expected);
    if (next !== undefined)
      return waitMs(Math.min(longestMs(config), next - now + (input.claimMs ?? first) * (1 + input.random)));
  }
  // Containers that answer calls replace them (`replacementsFor`): a read that finds the cap full again says the
  // slots are taken for a while. Each doubles the step (`contention`), up to four calls' time, and no longer than
  // the sustained rate takes for ten calls (4 s at 150/min): a slot given back is not left idle longer.
  const widest = backoff ? Math.max(first, Math.min(4 * expected, 10 * turnMs(config))) : config.pollMs;
  const step = Math.min(widest, first * 2 ** input.contention) * (0.5 + input.random);
  return waitMs(Math.min(longestMs(config), Math.max(step, expectedFreeAt(config, input) - now)));
}
