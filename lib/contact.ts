import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
// The same full ("max") metadata `libphonenumber-js/max` binds, passed explicitly: the Lambda build turns
// this one import into a JSON.parse of the same data (scripts/build.mjs), which V8 reads faster
// than a 150 KB object literal (https://v8.dev/blog/cost-of-javascript-2019#json).
import phoneMetadata from 'libphonenumber-js/max/metadata';

export type ContactKind = 'email' | 'phone';
export type NormalisedContact =
  | { ok: true; contact: string; kind: ContactKind }
  | { ok: false; detail: string };

// RFC 5321 §4.5.3.1: local part ≤ 64 octets, path ≤ 256 octets → address ≤ 254 once the brackets are gone.
const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;
const MAX_INPUT = 512;
// Dot-atom (RFC 5322 §3.2.3) plus UTF-8 (RFC 6531 SMTPUTF8); quoted local parts are not accepted: no
// provider we map emits them, and Hood only promises to accept "a valid email".
const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/u;
const LABEL_RE = /^(?!-)[a-z0-9\u0080-\uFFFF-]{1,63}(?<!-)$/u;
const TLD_RE = /^([a-z\u0080-\uFFFF]{2,63}|xn--[a-z0-9-]{1,59})$/u;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u;
/**
 * Characters that do not show, or that reorder what is shown: every format character (category Cf: bidi
 * embeddings, overrides, isolates and marks, zero-width space/joiners, word joiner, soft hyphen, BOM, tag
 * characters), the other default-ignorable code points (Hangul fillers, variation selectors, combining
 * grapheme joiner; Unicode UAX #44 Default_Ignorable_Code_Point) and the non-ASCII spaces. None can be part
 * of a mailbox or a number, and each can make one contact look like another in a log or in Hood's UI
 * (https://www.unicode.org/reports/tr36/ "Visual Security Issues"). Letters and marks of every script stay
 * valid: internationalised addresses (RFC 6531) are not affected.
 */
const HIDDEN_RE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\u2800]/u;
const HIDDEN_DETAIL = 'contact contains invisible or bidirectional formatting characters';

/**
 * Normalise an email address or phone number to the form Hood accepts: a bare, lower-cased address,
 * or E.164. The whole address is lower-cased, not only the domain: RFC 5321 lets the local part be
 * case-sensitive, but no mailbox provider treats it so, and providers report the same recipient in
 * different cases (SES keeps the sender's case, SendGrid lowercases), which would otherwise create
 * duplicate blocked contacts in Hood.
 */
export function normaliseContact(raw: unknown): NormalisedContact {
  if (typeof raw !== 'string') return { ok: false, detail: 'contact is not a string' };
  if (raw.length > MAX_INPUT) return { ok: false, detail: 'contact is too long' };
  const value = raw.trim();
  if (value === '') return { ok: false, detail: 'contact is empty' };
  if (CONTROL_RE.test(value)) return { ok: false, detail: 'contact contains control characters' };
  // A lone surrogate cannot be encoded as UTF-8: no mailbox or number can contain one.
  if (!value.isWellFormed()) return { ok: false, detail: 'contact is not well-formed Unicode' };
  // U+FFFD is what a decoder leaves where bytes were lost: the real contact is unknown.
  if (/[\uFFFD\uFFFE\uFFFF]/u.test(value)) return { ok: false, detail: 'contact has undecodable characters' };
  if (value.includes('@')) return normaliseEmail(value);
  if (HIDDEN_RE.test(value)) return { ok: false, detail: HIDDEN_DETAIL };
  return normalisePhone(value);
}

export function normaliseEmail(input: string): NormalisedContact {
  let value = input.trim();
  // `"Jane Doe" <jane@example.com>` or `Jane <jane@example.com>` (Resend data.to, mail headers).
  const angle = /<([^<>]*)>\s*$/u.exec(value);
  if (angle) value = angle[1]!.trim();
  if (/^mailto:/iu.test(value)) value = value.slice(7);
  // Checked on the address only: a display name may hold an emoji ZWJ sequence, and is never the contact.
  if (HIDDEN_RE.test(value)) return { ok: false, detail: HIDDEN_DETAIL };
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return { ok: false, detail: 'not an email address' };
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).toLowerCase().replace(/\.$/u, '');
  if (local.length > MAX_LOCAL) return { ok: false, detail: 'email local part is longer than 64 characters' };
  if (!LOCAL_RE.test(local)) return { ok: false, detail: 'email local part has characters an address cannot have' };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL_RE.test(l)) || !TLD_RE.test(labels[labels.length - 1]!)) {
    return { ok: false, detail: 'email domain is not a valid host name' };
  }
  const contact = `${local.toLowerCase()}@${domain}`;
  if (contact.length > MAX_ADDRESS) return { ok: false, detail: 'email address is longer than 254 characters' };
  return { ok: true, contact, kind: 'email' };
}

/**
 * E.164 via libphonenumber-js. Numbers only need to be *possible* (right length for the country code),
 * not *valid* against the library's range metadata: that metadata lags real allocations, and an opt-out
 * must never be dropped because a range looks unassigned (README "Contact normalisation").
 * A number must carry its country code (`+` or `00`): `(917) 555-0100` read as international would be
 * +91 75…, a stranger in another country blocked and the real opt-out lost. Providers that document
 * international numbers without `+` (Vonage `msisdn`) add it in their own mapper.
 */
export function normalisePhone(input: string): NormalisedContact {
  let value = input.trim().replace(/^tel:/iu, '');
  if (HIDDEN_RE.test(value)) return { ok: false, detail: HIDDEN_DETAIL };
  if (/[A-Za-z]/u.test(value)) return { ok: false, detail: 'not a phone number (alphanumeric sender ID)' };
  if (!/^\+?[\d\s().\-/]+$/u.test(value)) return { ok: false, detail: 'not a phone number' };
  if (value.startsWith('00')) value = `+${value.slice(2)}`;
  if (!value.startsWith('+')) return { ok: false, detail: 'phone number without a country code: write it in international form (+ and country code)' };
  const digits = value.replace(/\D/gu, '');
  // Short codes (3–6 digits) and service numbers are senders, not people: never block them.
  if (digits.length < 8) return { ok: false, detail: 'too short for an E.164 number (short code?)' };
  if (digits.length > 15) return { ok: false, detail: 'longer than 15 digits (E.164 maximum)' };
  const parsed = parsePhoneNumberFromString(`+${digits}`, phoneMetadata);
  if (!parsed) return { ok: false, detail: 'not a phone number' };
  if (!parsed.isPossible()) return { ok: false, detail: 'not a possible number for its country code' };
  return { ok: true, contact: parsed.number, kind: 'phone' };
}

/**
 * Mask a contact for logs: enough to recognise it when you already know it, not to harvest it. Also
 * called on raw input that failed validation (`x@y.z John Smith +1 415 555 0100`), so it keeps at most
 * one leading letter or digit of each side, and a top-level domain only when it is plainly one: nothing
 * after the `@` beyond that can leak into a log.
 */
export function maskContact(contact: string): string {
  const at = contact.lastIndexOf('@');
  if (at > 0) {
    const local = contact.slice(0, at);
    const domain = contact.slice(at + 1);
    const dot = domain.lastIndexOf('.');
    const tld = dot >= 0 && /^\.[a-z]{2,24}$/iu.test(domain.slice(dot)) ? domain.slice(dot).toLowerCase() : '';
    return `${visibleFirst(local)}***@${visibleFirst(domain)}***${tld}`;
  }
  const digits = contact.replace(/\D/gu, '');
  if (digits.length <= 6) return '***';
  return `${contact.trimStart().startsWith('+') ? '+' : ''}${digits.slice(0, 2)}${'*'.repeat(Math.max(3, digits.length - 4))}${digits.slice(-2)}`;
}

/** The first code point when it is a letter or digit; otherwise `*` (never a control or bidi character). */
function visibleFirst(text: string): string {
  const first = text.codePointAt(0);
  if (first === undefined) return '';
  const ch = String.fromCodePoint(first);
  return /^[\p{L}\p{N}]$/u.test(ch) ? ch : '*';
}

// Provider text (bounce diagnostics, validation details) can quote an address or a number: mask them.
const EMAIL_IN_TEXT_RE = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/gu;
// `+` and digits, or a bare run of 8+ digits (Vonage omits the +); SMTP codes like "550 5.1.1" stay readable.
const PHONE_IN_TEXT_RE = /\+\d[\d ().-]{6,}\d|\b\d{8,15}\b/gu;

/** Free text safe to log or attach to a dead letter: every address and number inside it masked. */
export function redactContacts(text: string): string {
  return text.replace(EMAIL_IN_TEXT_RE, (m) => maskContact(m)).replace(PHONE_IN_TEXT_RE, (m) => maskContact(m));
}
