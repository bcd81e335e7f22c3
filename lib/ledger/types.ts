import { HoodBlockerError, RetryableError } from '../errors.js';

/**
 * The durable opt-out ledger (issue 11). It never sees a contact in clear text beyond the call that
 * hashes it: every item is keyed by HMAC-SHA-256(LEDGER_HASH_KEY, canonical contact) and keeps only the
 * masked form for display; event ids are stored keyed too, and free-text labels only when they cannot be
 * a contact (issue 19).
 */

/** One line of a contact's story: a decision the pipeline took. */
export interface LedgerEvent {
  /** ISO-8601. */
  at: string;
  source: string;
  reason: string;
  /** `blocked`, `already_blocked`, `ignored`, `dead_lettered`, `retried`, `soft_bounce_counted`, `forgotten`, … */
  outcome: string;
  /** The provider's id when passed in; as stored and shown, its keyed form `e#…` (`Ledger.eventKey`). */
  eventId?: string;
}

export type LedgerStatus = 'blocked' | 'pending' | 'not_blocked';

/** What `hood-blocker why` prints (README, CLI contract): keep exactly. */
export interface LedgerStory {
  contact: string;
  status: LedgerStatus;
  hoodId?: string;
  events: LedgerEvent[];
}

export type ClaimResult =
  /** This caller holds the lease: call Hood, then `markBlocked` or `release`. */
  | { kind: 'claimed' }
  /** Blocked within LEDGER_BLOCKED_DAYS: do not call Hood. */
  | { kind: 'blocked'; hoodId?: string; blockedAt: number }
  /** Another consumer holds the lease until `leaseUntil` (epoch ms). */
  | { kind: 'pending'; leaseUntil: number };

/** One contact the ledger holds as blocked, as `blockedContacts` lists it: never in clear text. */
export interface LedgerBlockedEntry {
  /** The contact's keyed hash (`c#…`), as `contactKey` computes it: the only way to match it. */
  key: string;
  masked: string;
  /** Hood's id when Hood's answer carried one. */
  hoodId?: string;
  /** Epoch ms of the last block. */
  blockedAt: number;
}

export interface BlockedMark {
  hoodId?: string;
  event: LedgerEvent;
}

/** The webhook ingress's replay store (Mailgun tokens, Svix message ids). */
export interface ReplayStore {
  /** True when `key` was not seen within its TTL (and is now recorded); false: a replay. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forget `key`: the request that carried it failed to queue, so the provider's retry must be accepted. */
  release(key: string): Promise<void>;
}

export interface Ledger {
  /** `dynamodb` or `memory`. */
  readonly kind: 'dynamodb' | 'memory';
  /** Conditional write: take a lease on the contact unless it is blocked (recently) or leased by another. */
  claim(contact: string, leaseMs: number): Promise<ClaimResult>;
  /** After Hood's 201 (or its "already blocked" answer): blocked, with Hood's id; ends the lease. */
  markBlocked(contact: string, mark: BlockedMark): Promise<void>;
  /** Give the lease back (a retryable failure): the next delivery may claim at once. */
  release(contact: string): Promise<void>;
  /** Append a history item (expires after LEDGER_HISTORY_DAYS). */
  record(contact: string, event: LedgerEvent): Promise<void>;
  /**
   * Count one soft bounce (idempotent per `eventKey`, i.e. per sent message) and return how many distinct
   * ones fall within `periodMs` before `atMs`, this one included.
   */
  countSoftBounce(contact: string, eventKey: string, atMs: number, periodMs: number): Promise<number>;
  /** Clear the blocked state (and any lease); history is kept. False when the ledger knows nothing of it. */
  forget(contact: string, event: LedgerEvent): Promise<boolean>;
  /** The contact's story, newest event last; undefined when the ledger knows nothing of it. */
  why(contact: string): Promise<LedgerStory | undefined>;
  /** The contact's keyed hash, the key under which the ledger stores it (`c#` + HMAC of the canonical contact). */
  contactKey(contact: string): string;
  /** Every key the ledger may hold the contact under: `contactKey` first, then keys of earlier canonical forms. */
  contactKeys(contact: string): string[];
  /** A provider's event id as the ledger stores it and `why` shows it (`e#` + HMAC): never the id itself. */
  eventKey(eventId: string): string;
  /**
   * Every contact the ledger holds as blocked, a page at a time (reconcile --from ledger). On DynamoDB this
   * is a paginated Scan of the whole table (an operator's command, never the pipeline's): the keys are
   * hashes, so there is no narrower way to find them.
   */
  blockedContacts(options?: { pageSize?: number }): AsyncIterable<LedgerBlockedEntry[]>;
  /** `forget` for a contact known only by its key (from `blockedContacts`). */
  forgetKey(key: string, event: LedgerEvent): Promise<boolean>;
  /** One-time values (replay protection): conditional put with a TTL. */
  claimToken(key: string, ttlMs: number): Promise<boolean>;
  releaseToken(key: string): Promise<void>;
  close(): void;
}

/** The ledger could not be read or written (throttled, unreachable, no permission). Never a reason to drop work. */
export class LedgerUnavailableError extends RetryableError {
  constructor(operation: string, cause: unknown) {
    const name = cause instanceof Error ? cause.name : 'Error';
    // The SDK's messages name the table and the operation, never an item's key; keep only the name anyway.
    super('ledger_unavailable', `ledger ${operation} failed (${name})`, { cause });
  }
}

export function isLedgerUnavailable(error: unknown): error is LedgerUnavailableError {
  return error instanceof HoodBlockerError && error.reason === 'ledger_unavailable';
}
