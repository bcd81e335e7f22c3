/**
 * A bounded set of recently seen one-time values (Mailgun tokens) with a time-to-live. Insertion order
 * of a Map is the eviction order: when full, the oldest entry goes first. Kept at module level by its
 * users so that it survives warm Lambda invocations; it is per instance, so it narrows replays rather
 * than excluding them (the timestamp window bounds the rest).
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(options: { maxEntries: number; ttlMs: number }) {
    this.#maxEntries = Math.max(1, Math.floor(options.maxEntries));
    this.#ttlMs = Math.max(0, options.ttlMs);
  }

  get size(): number {
    return this.#seen.size;
  }

  /** True when `key` was recorded less than the TTL ago. */
  has(key: string, nowMs: number): boolean {
    const expiresAt = this.#seen.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt <= nowMs) {
      this.#seen.delete(key);
      return false;
    }
    return true;
  }

  /** Record `key`; evicts expired entries from the old end, then the oldest while over capacity. */
  add(key: string, nowMs: number): void {
    this.#seen.delete(key);
    this.#seen.set(key, nowMs + this.#ttlMs);
    for (const [oldest, expiresAt] of this.#seen) {
      if (this.#seen.size <= this.#maxEntries && expiresAt > nowMs) break;
      this.#seen.delete(oldest);
    }
  }

  /** Forget `key`, e.g. when the request that carried it was answered 5xx and will be retried. */
  delete(key: string): void {
    this.#seen.delete(key);
  }

  clear(): void {
    this.#seen.clear();
  }
}

/**
 * Single-use claims on one-time values (Mailgun tokens), behind an interface so that a store shared by
 * every container (a DynamoDB conditional put) can replace the per-instance memory one.
 * - `claim` resolves true when the key was free (and is now claimed for `ttlMs`), false when it was
 *   already claimed: the request is a replay.
 * - `release` frees a claim whose request was answered 4xx/5xx before anything was queued, so that the
 *   provider's retry of the same request is not refused as a replay.
 */
export interface ReplayStore {
  claim(key: string, ttlMs: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

/** A ReplayStore over a per-instance ReplayCache (its own TTL applies; `ttlMs` is honoured by shared stores). */
export function memoryReplayStore(cache: ReplayCache, now: () => number): ReplayStore {
  return {
    claim: async (key) => {
      const nowMs = now();
      if (cache.has(key, nowMs)) return false;
      cache.add(key, nowMs);
      return true;
    },
    release: async (key) => {
      cache.delete(key);
    },
  };
}
