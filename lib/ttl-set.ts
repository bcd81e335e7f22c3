/**
 * The one bounded set with a time-to-live: recently seen one-time values (Mailgun tokens, the webhook's
 * replay cache) and contacts the consumer blocked recently (its RecentContacts). Insertion order of a Map
 * is the eviction order: adding evicts expired entries from the old end, then the oldest while over
 * capacity, so memory stays flat under any traffic. Per instance: kept at module level by its users so it
 * survives warm Lambda invocations, and no more than a cache.
 */
export class TtlSet {
  readonly #expiresAt = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(options: { maxEntries: number; ttlMs: number }) {
    this.#maxEntries = Math.max(1, Math.floor(options.maxEntries));
    this.#ttlMs = Math.max(0, options.ttlMs);
  }

  get size(): number {
    return this.#expiresAt.size;
  }

  /** True when `key` was added less than the TTL before `nowMs`. */
  has(key: string, nowMs: number): boolean {
    const expiresAt = this.#expiresAt.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt <= nowMs) {
      this.#expiresAt.delete(key);
      return false;
    }
    return true;
  }

  /** Record `key` at `nowMs` (re-adding refreshes its age and makes it the newest). */
  add(key: string, nowMs: number): void {
    this.#expiresAt.delete(key);
    this.#expiresAt.set(key, nowMs + this.#ttlMs);
    for (const [oldest, expiresAt] of this.#expiresAt) {
      if (this.#expiresAt.size <= this.#maxEntries && expiresAt > nowMs) break;
      this.#expiresAt.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#expiresAt.delete(key);
  }

  clear(): void {
    this.#expiresAt.clear();
  }
}
