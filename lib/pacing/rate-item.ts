import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { mapOf, numberOf, numberValue, textOf, textValue, wholeNumberOf } from '../ledger/attribute-values.js';
import type { Lane } from './budget.js';
import type { CapState } from './parallel-cap.js';
import type { CallMark } from './sliding.js';

/**
 * The rate item: one DynamoDB item per Hood account (`pk` = `rate#<key>`, `sk` = `calls`) that every consumer of
 * the shared budget reads and claims on.
 *
 * | attribute | what |
 * |---|---|
 * | `v` (N) | calls claimed so far (a claim adds its calls; a step back of the cap adds `CAP_STEP_BUMP`) |
 * | `c` (M) | per call id (`<container>.<n>`): `s` start, `d` deadline, `e` end once answered, `l` lane (absent: live) |
 * | `lw` (N) | a live caller waits for a slot until then (ms): bulk callers stand back |
 * | `pc` (M) | the learned parallel cap: `n` cap, `ok` highest cap that drew no `-1`, `h` hold until (ms) |
 * | `expiresAt` (N) | epoch seconds, the table's TTL attribute: the item goes once nothing in it matters |
 *
 * `pc` is new in this release; containers of the previous release ignore it and keep the other attributes'
 * meaning, so both can share the item during a deploy.
 *
 * What is read is not trusted blindly (a role that may write the item could stuff it): a call's end and
 * deadline are capped at its start plus our request timeout (no call holds a slot longer than ours could),
 * a call that starts further in the future than `FUTURE_START_TOLERANCE_MS` is ignored (and dropped by the
 * next claim), `lw` further than a window plus a timeout from now is ignored, and a counter that is not a whole number
 * within `0..MAX_SANE_VERSION` (a counter of calls never gets near it) marks the item `corrupt`: the next claim
 * replaces it, conditioned on the exact value read, and restarts the counter at `RESET_VERSION` (above every
 * honest counter, so a claim prepared on a view from before cannot pass its condition).
 */
export interface StoredCall extends CallMark {
  id: string;
  lane: Lane;
}

export interface RateItem {
  /** `v`; 0 when there is no item. */
  version: number;
  calls: StoredCall[];
  liveWaitUntil: number;
  /** `pc` as stored (trust it through `trustedCap`); undefined when absent. */
  cap: Partial<CapState> | undefined;
  /** Entries ignored as untrustworthy: the next claim removes them. */
  ignored: string[];
  /** `v` or `c` cannot be claimed on: the next claim replaces the item, conditioned on `seen`. */
  corrupt: boolean;
  /** Whether an item exists at all. */
  exists: boolean;
  /** `v` exactly as stored (for the condition of a replacing write); undefined when absent. */
  seen: AttributeValue | undefined;
}

export const RATE_ITEM_SK = 'calls';

/** A start this far past our clock cannot come from a container's clock (they differ by milliseconds). */
export const FUTURE_START_TOLERANCE_MS = 1000;

/** Added to `v` by a step back of the cap: claims read before it (room ≤ this) then fail and read again. */
export const CAP_STEP_BUMP = 100;

/** 2^49: ten calls a second would take a million years to count this far. */
export const MAX_SANE_VERSION = 2 ** 49;
export const RESET_VERSION = 2 ** 48;

export const EMPTY_ITEM: RateItem = {
  version: 0,
  calls: [],
  liveWaitUntil: 0,
  cap: undefined,
  ignored: [],
  corrupt: false,
  exists: false,
  seen: undefined,
};

export interface TrustLimits {
  now: number;
  /** Our request timeout: no call lasts longer. */
  requestTimeoutMs: number;
  /** The longest window (with skew): a live caller never waits longer than that plus a timeout. */
  longestMs: number;
}

/** The item as read, with what cannot be trusted set aside (see the module comment). */
export function parseRateItem(item: Record<string, AttributeValue> | undefined, limits: TrustLimits): RateItem {
  if (!item) return EMPTY_ITEM;
  const { now, requestTimeoutMs } = limits;
  const calls: StoredCall[] = [];
  const ignored: string[] = [];
  const map = mapOf(item.c);
  for (const [id, value] of Object.entries(map ?? {})) {
    const m = mapOf(value) ?? {};
    const start = numberOf(m.s);
    if (start === undefined || start > now + FUTURE_START_TOLERANCE_MS || !id.includes('.')) {
      ignored.push(id);
      continue;
    }
    const latest = start + requestTimeoutMs;
    const deadline = Math.min(Math.max(numberOf(m.d) ?? latest, start), latest);
    const end = numberOf(m.e);
    calls.push({
      id,
      start,
      deadline,
      end: end === undefined ? undefined : Math.min(Math.max(end, start), latest),
      lane: textOf(m.l) === 'bulk' ? 'bulk' : 'live',
    });
  }
  const version = wholeNumberOf(item.v, 0, MAX_SANE_VERSION);
  const pc = mapOf(item.pc);
  return {
    version: version ?? 0,
    calls,
    liveWaitUntil: liveWaitOf(numberOf(item.lw), limits),
    cap: pc ? { cap: numberOf(pc.n), proven: numberOf(pc.ok), holdUntil: numberOf(pc.h) } : undefined,
    ignored,
    corrupt: version === undefined || (item.c !== undefined && map === undefined),
    exists: true,
    seen: item.v,
  };
}

/**
 * A live caller marks the slot it waits for, never more than a window (and a timeout) away; a mark further out
 * is not one (re-read later it would still be as far away, and bulk would stand back for good): ignored.
 */
function liveWaitOf(lw: number | undefined, limits: TrustLimits): number {
  return lw !== undefined && lw <= limits.now + limits.longestMs + limits.requestTimeoutMs ? lw : 0;
}

/**
 * A call's entry in `c`. A live call stores no `l` (absent reads as live, in every release): the item holds up
 * to a window's count of calls and a write is billed per KB of it. `d` stays although it is mostly the start
 * plus the timeout: containers of the previous release skip an entry without one.
 */
export function callEntry(call: StoredCall): AttributeValue {
  const m: Record<string, AttributeValue> = { s: numberValue(call.start), d: numberValue(call.deadline) };
  if (call.lane !== 'live') m.l = textValue(call.lane);
  if (call.end !== undefined) m.e = numberValue(call.end);
  return { M: m };
}

export function capEntry(cap: CapState): AttributeValue {
  return {
    M: { n: numberValue(cap.cap), ok: numberValue(cap.proven), h: numberValue(Math.ceil(cap.holdUntil)) },
  };
}

/**
 * `expiresAt` for a write at `now`: a minute after every call in it stops mattering (its deadline plus the
 * longest window), and never before a held cap's probe interval ends (the cap is the account's memory of a `-1`).
 */
export function expiresAtFor(now: number, limits: Omit<TrustLimits, 'now'>, holdUntil = 0): number {
  return Math.ceil(Math.max(now + limits.longestMs + limits.requestTimeoutMs, holdUntil) / 1000) + 60;
}
