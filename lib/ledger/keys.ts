import { createHmac } from 'node:crypto';
import { maskContact } from '../contact.js';
import type { LedgerEvent, LedgerStatus } from './types.js';

/**
 * Item keys. Every contact becomes HMAC-SHA-256(LEDGER_HASH_KEY, "contact:" + normalised contact): a
 * plain hash of an address or a phone number is reversed by a dictionary in minutes, a keyed one is
 * not without the key (which lives in Secrets Manager and never in the table). The prefixes keep the
 * kinds of item apart in one table: `c#` contacts, `r#` replay tokens (`rate#` belongs to the
 * distributed rate limiter).
 */
export const CONTACT_PREFIX = 'c#';
export const TOKEN_PREFIX = 'r#';
export const STATE_SK = 'state';
export const HISTORY_SK_PREFIX = 'h#';
export const SOFT_BOUNCE_SK_PREFIX = 'sb#';
export const TOKEN_SK = 'token';

export class LedgerKeys {
  readonly #key: Buffer;
  constructor(hashKey: string | Buffer) {
    this.#key = typeof hashKey === 'string' ? Buffer.from(hashKey, 'utf8') : hashKey;
  }

  #mac(domain: string, value: string): string {
    return createHmac('sha256', this.#key).update(`${domain}:${value}`, 'utf8').digest('base64url');
  }

  contact(contact: string): string {
    return `${CONTACT_PREFIX}${this.#mac('contact', contact)}`;
  }

  token(key: string): string {
    return `${TOKEN_PREFIX}${this.#mac('token', key)}`;
  }

  /** A sent message's identity for the soft-bounce count (provider event ids may be long or personal). */
  softBounce(eventKey: string): string {
    return `${SOFT_BOUNCE_SK_PREFIX}${this.#mac('event', eventKey).slice(0, 32)}`;
  }
}

/** History sort key: time first (so a query returns the story in order), then a random tie-breaker. */
export function historySk(atMs: number, random: string): string {
  return `${HISTORY_SK_PREFIX}${String(Math.max(0, Math.floor(atMs))).padStart(14, '0')}#${random}`;
}

/** An event as stored: an event id that quotes the contact (own apps do that) keeps only the masked form. */
export function storableEvent(contact: string | undefined, event: LedgerEvent): LedgerEvent {
  const out: LedgerEvent = { at: event.at, source: event.source, reason: event.reason, outcome: event.outcome };
  if (event.eventId !== undefined && event.eventId !== '') {
    // Without the contact (an item known only by its key) there is nothing to mask: the caller wrote the id.
    const quotes = contact !== undefined && contact !== '' && event.eventId.includes(contact);
    out.eventId = (quotes ? event.eventId.split(contact).join(maskContact(contact)) : event.eventId).slice(0, 512);
  }
  return out;
}

/** Outcomes after which the event is still on its way (the next delivery will decide). */
const IN_FLIGHT_OUTCOMES = new Set(['retried', 'deferred', 'ledger_unavailable']);

export function statusOf(state: { blockedAt?: number; leaseUntil?: number } | undefined, events: readonly LedgerEvent[], nowMs: number): LedgerStatus {
  if (state?.blockedAt !== undefined) return 'blocked';
  if (state?.leaseUntil !== undefined && state.leaseUntil > nowMs) return 'pending';
  const last = events.at(-1);
  if (last !== undefined && IN_FLIGHT_OUTCOMES.has(last.outcome)) return 'pending';
  return 'not_blocked';
}

export const DAY_MS = 86_400_000;
