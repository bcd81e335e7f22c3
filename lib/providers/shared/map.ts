import { normaliseContact, redactContacts } from '../../contact.js';
import { bound, clean } from '../../description.js';
import { byContactAndReason, withoutRepeatedBlocks } from '../../dedupe.js';
import type { BlockDecision, Decision, IgnoreDecision, Reason, RejectDecision, RejectReason } from '../../types.js';

/**
 * Small, total helpers every mapper uses to read untrusted payloads. None of them throws for any input:
 * payloads are attacker-controlled and may be anything JSON or a form body can express (and more, when a
 * caller hands over an already-parsed object), so nothing here calls `String()` or a template literal on
 * a value whose type it has not checked (an object without a prototype has no `toString`).
 */
export type JsonRecord = Record<string, unknown>;

/**
 * The slice of the policy a mapper needs. Which reasons actually block (`BLOCK_REASONS`) is applied
 * afterwards by the policy gate (`gateDecisions`), so that a mapper always says what an event *is*, not what to do.
 */
export interface MappingPolicy {
  /** Upper-cased opt-out keywords, matched against the whole trimmed SMS body (`SMS_OPT_OUT_KEYWORDS`). */
  smsOptOutKeywords: ReadonlySet<string>;
}

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string, or a finite number/boolean rendered as one (form bodies and JSON disagree on types). */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** `text` trimmed; empty becomes undefined. */
export function trimmed(value: unknown): string | undefined {
  const t = text(value)?.trim();
  return t === undefined || t === '' ? undefined : t;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function has(record: JsonRecord, key: string): boolean {
  return Object.hasOwn(record, key);
}

// Provider detail kept short: buildDescription adds label, source, event id and time within Hood's 255.
export const MAX_DETAIL = 120;
/**
 * The most of one free-form provider text (an SMTP reply, a bounce diagnostic, a reason) that any rule
 * reads. SMTP limits a reply line to 512 octets (RFC 5321 §4.5.3.1.5); a few continuation lines fit. Every
 * expression in the mappers is linear in its input (each file says why), and this cap bounds the constant:
 * a 100 KB body costs what its first 2 KB cost.
 */
export const MAX_PROVIDER_TEXT = 2048;
// Log details are built by `detail` (≤ MAX_DETAIL); anything longer is cut before it is scanned for contacts.
const MAX_LOG_DETAIL = 1024;
// NormalisedMessageSchema caps eventId at 512: a decision must survive being re-queued as a message.
const MAX_EVENT_ID = 512;
// Rejected raw contacts are kept for the dead-letter reason, bounded (RFC 5321 path + slack).
const MAX_RAW_CONTACT = 320;

/**
 * The first `max` UTF-16 units of `value`, never ending in half a surrogate pair: what a rule reads of a
 * free-form provider text (MAX_PROVIDER_TEXT).
 */
export function capped(value: string, max = MAX_PROVIDER_TEXT): string {
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** Short, single-line provider detail for the Hood description: parts joined with ": ", cleaned, bounded. */
export function detail(...parts: Array<string | undefined>): string | undefined {
  const joined = parts
    // Cut before cleaning: only the first MAX_DETAIL code points survive, whatever the part's length.
    .map((p) => (p === undefined ? '' : clean(capped(p, MAX_DETAIL * 8))))
    .filter((p) => p !== '')
    .join(': ');
  return joined === '' ? undefined : bound(joined, MAX_DETAIL);
}

/** First usable identifier among the candidates (strings or numbers), bounded. */
export function eventIdOf(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    const t = trimmed(c);
    if (t !== undefined) return clean(capped(t, MAX_EVENT_ID * 4)).slice(0, MAX_EVENT_ID) || undefined;
  }
  return undefined;
}

const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

function isoFromMs(ms: number): string | undefined {
  // toISOString throws RangeError outside ±8.64e15 ms and emits "+275760-…" years the queue schema refuses.
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  return new Date(ms).toISOString();
}

/**
 * Unix time in seconds (SendGrid, Mailgun floats, SparkPost strings) or milliseconds (Brevo `ts_epoch`):
 * anything above 1e11 cannot be seconds (year 5138), so it is read as milliseconds.
 */
export function isoFromUnix(value: unknown): string | undefined {
  const t = trimmed(value);
  if (t === undefined || !/^\d+(\.\d+)?$/u.test(t)) return undefined;
  const n = Number(t);
  return isoFromMs(n > 1e11 ? n : n * 1000);
}

/**
 * An ISO-8601 / RFC 3339 timestamp with a zone. A zone-less "YYYY-MM-DD HH:MM:SS" is only accepted when
 * the provider documents it as UTC (`assumeUtc`); otherwise `Date.parse` would read it in the host's zone.
 */
export function isoFromDate(value: unknown, assumeUtc = false): string | undefined {
  const t = trimmed(value);
  if (t === undefined || t.length > 64) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/iu.exec(t);
  if (!m) return undefined;
  const zone = m[3] ?? (assumeUtc ? 'Z' : undefined);
  if (zone === undefined) return undefined;
  // V8 parses at most millisecond precision reliably; Postmark sends 7 fractional digits.
  const time = m[2]!.replace(/(\.\d{3})\d+$/u, '$1');
  // ECMAScript's date-time format wants "+hh:mm"; RFC 822-style "+hhmm" gets its colon.
  return isoFromMs(Date.parse(`${m[1]}T${time}${zone.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/u, '$1:$2')}`));
}

/** Either form: an ISO string, or unix seconds/milliseconds. */
export function isoFrom(value: unknown, assumeUtc = false): string | undefined {
  return isoFromDate(value, assumeUtc) ?? isoFromUnix(value);
}

export interface BlockExtras {
  description?: string | undefined;
  eventId?: string | undefined;
  occurredAt?: string | undefined;
}

function rawContact(raw: unknown): string | undefined {
  const t = text(raw);
  if (t === undefined) return undefined;
  // Do not leave half a surrogate pair at the cut.
  return capped(t, MAX_RAW_CONTACT);
}

/**
 * A log detail, bounded before it is scanned for contacts to mask. A longer text loses its tail and the
 * partial word at the cut, so that no fragment of an address or number escapes the masking.
 */
function logDetail(why: string): string {
  if (why.length <= MAX_LOG_DETAIL) return redactContacts(why);
  const cut = capped(why, MAX_LOG_DETAIL);
  let end = cut.length;
  while (end > 0 && !/\s/u.test(cut.charAt(end - 1))) end--;
  return `${redactContacts(cut.slice(0, end))}…`;
}

/**
 * A block decision for `raw` when it normalises to an address or E.164 number, otherwise the
 * `invalid_contact` reject that dead-letters it (docs/outcomes.md: never block a short code or sender ID).
 */
export function block(
  raw: unknown,
  reason: Reason,
  source: string,
  extras: BlockExtras = {},
): BlockDecision | RejectDecision {
  const n = normaliseContact(raw);
  if (!n.ok) {
    const what = raw === undefined || raw === null ? 'event names no recipient' : n.detail;
    // The detail is logged and becomes a dead-letter attribute: reject() masks provider text that quotes
    // the rejected input (an SMTP diagnostic naming the address). The raw value itself stays only in
    // `contact` (the dead letter's body, for `dlq redrive`), never in a detail.
    return reject('invalid_contact', source, detail(what, extras.description), {
      contact: rawContact(raw),
      eventId: extras.eventId,
    });
  }
  const decision: BlockDecision = { action: 'block', contact: n.contact, reason, source };
  if (extras.description !== undefined) decision.description = extras.description;
  if (extras.eventId !== undefined) decision.eventId = extras.eventId;
  if (extras.occurredAt !== undefined) decision.occurredAt = extras.occurredAt;
  return decision;
}

/**
 * Ignore and reject details are logged (and attached to dead letters), so any address or number that
 * provider text quotes in them is masked here, once for every mapper ("contacts masked in logs").
 */
export function ignore(reason: string, source: string, why?: string, eventId?: string): IgnoreDecision {
  const decision: IgnoreDecision = { action: 'ignore', reason, source };
  if (why !== undefined) decision.detail = logDetail(why);
  if (eventId !== undefined) decision.eventId = eventId;
  return decision;
}

/**
 * A re-subscription (opt-in) by `raw`: an ignore, never a block, that carries who opted in when `raw` normalises
 * to an address or number (the webhook queues it for a human: Hood cannot unblock through its API).
 */
export function optIn(
  raw: unknown,
  reason: string,
  source: string,
  why?: string,
  extras: { eventId?: string | undefined; occurredAt?: string | undefined } = {},
): IgnoreDecision {
  const decision = ignore(reason, source, why, extras.eventId);
  const n = normaliseContact(raw);
  if (n.ok)
    decision.optIn =
      extras.occurredAt === undefined ? { contact: n.contact } : { contact: n.contact, occurredAt: extras.occurredAt };
  return decision;
}

export function reject(
  reason: RejectReason,
  source: string,
  why?: string,
  extras: { contact?: string | undefined; eventId?: string | undefined } = {},
): RejectDecision {
  const decision: RejectDecision = { action: 'reject', reason, source };
  if (why !== undefined) decision.detail = logDetail(why);
  if (extras.contact !== undefined) decision.contact = extras.contact;
  if (extras.eventId !== undefined) decision.eventId = extras.eventId;
  return decision;
}

/** The first block per (contact, reason) of one payload (lib/dedupe.ts says why this key). */
export function dedupe(decisions: Decision[]): Decision[] {
  return withoutRepeatedBlocks(decisions, byContactAndReason);
}

/**
 * A payload that is an array is a batch: map each element. An empty batch still yields a decision, so
 * that every message is accounted for (docs/outcomes.md: nothing is dropped silently).
 */
export function eachEvent(payload: unknown, source: string, mapOne: (event: unknown) => Decision[]): Decision[] {
  if (!Array.isArray(payload)) return mapOne(payload);
  if (payload.length === 0) return [ignore('empty_batch', source, 'the payload is an empty array')];
  return payload.flatMap((event) => mapOne(event));
}

/** Whole-body, case-insensitive keyword match (Twilio Advanced Opt-Out: "Stop" opts out, "Stop please" does not). */
export function optOutKeyword(body: unknown, policy: MappingPolicy): string | undefined {
  const t = trimmed(body)?.toUpperCase();
  return t !== undefined && policy.smsOptOutKeywords.has(t) ? t : undefined;
}

/** Adds `eventId` to decisions that have none (an envelope's id stands in for a payload without one). */
export function withEventId(decisions: Decision[], eventId: string | undefined): Decision[] {
  if (eventId === undefined) return decisions;
  return decisions.map((d) => (d.eventId === undefined ? { ...d, eventId } : d));
}

/**
 * ARF feedback types (RFC 5965 §7.3, RFC 6430, RFC 6591; IANA registry
 * https://www.iana.org/assignments/marf-parameters/marf-parameters.xhtml) that are not a recipient's
 * complaint: `auth-failure` is the receiving system's SPF/DKIM/DMARC failure report about the sender, and
 * `virus` a content report. `not-spam` is the opposite of a complaint and is handled on its own.
 */
const SYSTEM_FEEDBACK_TYPES = new Set(['auth-failure', 'virus']);

export function isSystemFeedbackType(type: string | undefined): boolean {
  return type !== undefined && SYSTEM_FEEDBACK_TYPES.has(type.toLowerCase());
}
