import type { Lane } from './budget.js';
import type { RateItem, StoredCall } from './rate-item.js';

/**
 * This container's own calls, as far as the rate item does not know them yet: how many are in flight, and the
 * ends of finished ones not yet written. Our own callers may use a slot our answer frees at once (they know the
 * end before the item does); other containers learn it from the item, which only makes them more cautious.
 */
export class OwnCalls {
  inFlight = 0;
  private seq = 0;
  /** Finished calls whose ends the item may not show yet, by id. */
  private readonly unwritten = new Map<string, StoredCall>();
  /**
   * The write of ends in progress, if any: one at a time, so that an answer that comes in while the line's loop
   * flushes does not write the same ends a second time.
   */
  writing: Promise<void> | undefined;

  constructor(readonly instance: string) {}

  /** A new call of ours, claimed at `now`. */
  next(now: number, requestTimeoutMs: number, lane: Lane): StoredCall {
    this.seq += 1;
    return { id: `${this.instance}.${this.seq}`, start: now, deadline: now + requestTimeoutMs, lane };
  }

  ended(call: StoredCall): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.unwritten.set(call.id, call);
  }

  /** The item with the ends of our calls it does not show yet; ends too old to matter are forgotten. */
  overlay(item: RateItem, now: number, forgetAfterMs: number): RateItem {
    if (this.unwritten.size === 0) return item;
    for (const [id, call] of this.unwritten) if (call.end! + forgetAfterMs < now) this.unwritten.delete(id);
    return {
      ...item,
      calls: item.calls.map((c) =>
        c.end === undefined && this.unwritten.has(c.id) ? { ...c, end: this.unwritten.get(c.id)!.end } : c,
      ),
    };
  }

  /** Unwritten ends of calls the item still holds (a claim may carry them); the others no longer matter. */
  pendingIn(item: RateItem, drop: readonly string[]): StoredCall[] {
    const held = new Set(item.calls.filter((c) => c.end === undefined).map((c) => c.id));
    const dropped = new Set(drop);
    for (const id of this.unwritten.keys()) if (!held.has(id) || dropped.has(id)) this.unwritten.delete(id);
    return [...this.unwritten.values()];
  }

  /**
   * Our answered calls that `item` still shows in flight, with at least `marginMs` left before their deadlines
   * (a claim carrying their ends may replace them: see `planner.ts`), oldest first.
   */
  replaceableIn(item: RateItem, now: number, marginMs: number): string[] {
    return item.calls
      .filter((c) => c.end === undefined && this.unwritten.has(c.id) && c.deadline - now >= marginMs)
      .sort((a, b) => a.start - b.start)
      .map((c) => c.id);
  }

  get hasUnwritten(): boolean {
    return this.unwritten.size > 0;
  }

  get unwrittenCount(): number {
    return this.unwritten.size;
  }

  /** Every unwritten end, for a write of their own. */
  all(): StoredCall[] {
    return [...this.unwritten.values()];
  }

  /** These ends are in the item now (or never need to be). */
  written(calls: readonly StoredCall[]): void {
    for (const c of calls) if (this.unwritten.get(c.id) === c) this.unwritten.delete(c.id);
  }
}
