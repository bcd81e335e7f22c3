import { createHmac } from 'node:crypto';
import { normaliseContact, previousContactForms } from '../contact.js';
import type { LedgerEvent, LedgerStatus } from './types.js';

/**
 * Item keys. Every contact becomes HMAC-SHA-256(LEDGER_HASH_KEY, "contact:" + canonical contact): a
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
/** Event ids as stored: `e#` + a keyed hash of the provider's id (never the id itself). */
export const EVENT_ID_PREFIX = 'e#';
/** A source, reason or outcome that could hold a contact: `k#` + a keyed hash instead. */
export const KEYED_LABEL_PREFIX = 'k#';
/**
 * `v` of a history item written through `storableEvent` (keyed event id, checked labels). Items without
 * it were written before issue 19 and may quote a contact: `why` shows them through the same function,
 * and `hood-blocker ledger-rekey` rewrites them.
 */
export const HISTORY_FORMAT = 2;

/** The canonical form (lib/contact.ts) of what the caller passed, so one person is one key whoever asks. */
function canonical(contact: string): string {
  const n = normaliseContact(contact);
  return n.ok ? n.contact : contact;
}

export class LedgerKeys {
  readonly #key: Buffer;
  constructor(hashKey: string | Buffer) {
    this.#key = typeof hashKey === 'string' ? Buffer.from(hashKey, 'utf8') : hashKey;
  }

  #mac(domain: string, value: string): string {
    return createHmac('sha256', this.#key).update(`${domain}:${value}`, 'utf8').digest('base64url');
  }

  contact(contact: string): string {
    return `${CONTACT_PREFIX}${this.#mac('contact', canonical(contact))}`;
  }

  /**
   * Every key the ledger may hold this contact under, the current one first: items written before the
   * canonical form changed (an IDN domain kept as its U-label) are still found, and never migrated by
   * guessing (a key cannot be turned back into its contact).
   */
  contactKeys(contact: string): string[] {
    const current = canonical(contact);
    return [current, ...previousContactForms(current)].map((form) => `${CONTACT_PREFIX}${this.#mac('contact', form)}`);
  }

  /** A provider's event id as the ledger stores and shows it (`why`): keyed, so it can never quote a contact. */
  eventId(eventId: string): string {
    return `${EVENT_ID_PREFIX}${this.#mac('event-id', eventId).slice(0, 22)}`;
  }

  /** A free-text label (a caller-chosen `source`) that may hold a contact, keyed. */
  label(text: string): string {
    return `${KEYED_LABEL_PREFIX}${this.#mac('label', text).slice(0, 16)}`;
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

/**
 * The one door of every event into the ledger (history items of both ledgers, and `why` reading items
 * written before it existed): what comes out holds no contact in any form (issue 19 item 8).
 * - `eventId` is keyed (`e#…`): provider ids are built from raw fields (an SES Subscription id quotes
 *   `"Jane Doe" <Jane.Doe@Example.com>`, an app's id may hold a number), so none is stored as given;
 *   `why` shows the keyed id, and the same provider id always gives the same one.
 * - `source`, `reason` and `outcome` are kept when they are labels (`ses`, `import:sendgrid`, `hard_bounce`)
 *   and keyed (`k#…`) when they could be a contact: a generic webhook's caller chooses `source` freely.
 * - `at` is a time, re-written from its parse (the write time when it does not parse).
 */
export function storableEvent(
  keys: LedgerKeys,
  contact: string | undefined,
  event: LedgerEvent,
  nowMs: number,
): LedgerEvent {
  const atMs = Date.parse(event.at);
  const at = new Date(Number.isFinite(atMs) ? atMs : nowMs).toISOString();
  const clues = contact === undefined || contact === '' ? [] : contactClues(canonical(contact));
  const label = (text: string) => (isPlainLabel(text, clues) ? text : keys.label(text));
  const out: LedgerEvent = {
    at,
    source: label(event.source),
    reason: label(event.reason),
    outcome: label(event.outcome),
  };
  if (event.eventId !== undefined && event.eventId !== '') out.eventId = keys.eventId(event.eventId);
  return out;
}

/**
 * A label that cannot be a contact: a short identifier (letters, digits and `_ . : / -`, no space, so no
 * display name; no `@`, so no address), with fewer than 7 digits (no phone number), not quoting the item's
 * own contact (its local part or its digits) in any case.
 */
function isPlainLabel(text: string, clues: readonly string[]): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_.:/-]{0,63}$/u.test(text)) return false;
  if ((text.match(/\d/gu)?.length ?? 0) >= 7) return false;
  const lower = text.toLowerCase();
  return !clues.some((clue) => lower.includes(clue));
}

/** Pieces of a canonical contact that must not appear in a stored label: its local part, its digits. */
function contactClues(contact: string): string[] {
  const at = contact.lastIndexOf('@');
  if (at > 0) {
    const local = contact.slice(0, at);
    return [contact, ...([...local].length >= 3 ? [local] : [])];
  }
  const digits = contact.replace(/\D/gu, '');
  return digits.length >= 7 ? [digits.slice(-7)] : [];
}

/** Outcomes after which the event is still on its way (the next delivery will decide). */
const IN_FLIGHT_OUTCOMES = new Set(['retried', 'deferred', 'ledger_unavailable']);

export function statusOf(
  state: { blockedAt?: number; leaseUntil?: number } | undefined,
  events: readonly LedgerEvent[],
  nowMs: number,
): LedgerStatus {
  if (state?.blockedAt !== undefined) return 'blocked';
  if (state?.leaseUntil !== undefined && state.leaseUntil > nowMs) return 'pending';
  const last = events.at(-1);
  if (last !== undefined && IN_FLIGHT_OUTCOMES.has(last.outcome)) return 'pending';
  return 'not_blocked';
}

export const DAY_MS = 86_400_000;
