import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RateWindow } from '../../lib/config.js';

/**
 * What `check` shows of the shared rate budget: the one ledger item (`pk` = `rate#hood`, `sk` = `calls`)
 * the consumers claim Hood calls through (lib/pacing/ledger-limiter.ts). Read only; pure apart from the
 * caller's GetItem, so it is table-tested.
 */
export const RATE_ITEM_KEY = { pk: { S: 'rate#hood' }, sk: { S: 'calls' } } as const;

export interface BudgetState {
  /** Calls started inside each configured window, tightest window first. */
  windows: { count: number; windowMs: number; used: number }[];
  inFlight: number;
  /** Epoch ms of the latest call start; undefined when the item holds none. */
  lastCallAt: number | undefined;
  /** A live caller waits for a slot until then (bulk traffic holds back meanwhile). */
  liveWaitingUntil: number | undefined;
}

export function readBudget(
  item: Record<string, AttributeValue> | undefined,
  windows: readonly RateWindow[],
  now: number,
): BudgetState {
  const calls: { start: number; deadline: number; end: number | undefined }[] = [];
  const map = item?.c && 'M' in item.c ? (item.c.M ?? {}) : {};
  for (const value of Object.values(map)) {
    const m = value && 'M' in value ? (value.M ?? {}) : {};
    const start = num(m.s);
    const deadline = num(m.d);
    if (start !== undefined && deadline !== undefined) calls.push({ start, deadline, end: num(m.e) });
  }
  const lw = num(item?.lw);
  return {
    windows: [...windows]
      .sort((a, b) => a.windowMs - b.windowMs)
      .map((w) => ({ ...w, used: calls.filter((c) => c.start > now - w.windowMs && c.start <= now).length })),
    inFlight: calls.filter((c) => c.end === undefined && c.deadline > now && c.start <= now).length,
    lastCallAt: calls.length === 0 ? undefined : Math.max(...calls.map((c) => c.start)),
    liveWaitingUntil: lw !== undefined && lw > now ? lw : undefined,
  };
}

/** One line: `2 of 10 in the last 1 s, 40 of 150 in the last 1 min; 1 in flight; last call 3 s ago`. */
export function describeBudget(state: BudgetState, now: number): string {
  const parts = state.windows.map((w) => `${w.used} of ${w.count} in the last ${windowText(w.windowMs)}`);
  const last =
    state.lastCallAt === undefined
      ? 'no recent call'
      : `last call ${Math.max(0, Math.round((now - state.lastCallAt) / 1000))} s ago`;
  const waiting = state.liveWaitingUntil === undefined ? '' : '; a live opt-out is waiting for a slot (bulk held back)';
  return `${parts.join(', ')}; ${state.inFlight} in flight; ${last}${waiting}`;
}

function windowText(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

function num(v: AttributeValue | undefined): number | undefined {
  if (v === undefined || !('N' in v) || v.N === undefined) return undefined;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : undefined;
}
