import { TtlSet } from '../../ttl-set.js';

/**
 * Recently seen one-time values (Mailgun tokens): the project's one bounded TTL set. Per instance, so it
 * narrows replays rather than excluding them (the timestamp window bounds the rest).
 */
export { TtlSet as ReplayCache };

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
export function memoryReplayStore(cache: TtlSet, now: () => number): ReplayStore {
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
