import { domainToASCII, domainToUnicode } from 'node:url';
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
// The same full ("max") metadata `libphonenumber-js/max` binds, passed explicitly: the Lambda build turns
// this one import into a JSON.parse of the same data (scripts/build.mjs), which V8 reads faster
// than a 150 KB object literal (https://v8.dev/blog/cost-of-javascript-2019#json).
import phoneMetadata from 'libphonenumber-js/max/metadata';

export type ContactKind = 'email' | 'phone';
export type NormalisedContact = { ok: true; contact: string; kind: ContactKind } | { ok: false; detail: string };

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
 * Trims ASCII white space only. `String.prototype.trim` also drops the BOM and the non-ASCII spaces at either
 * end, so a contact with U+FEFF or U+00A0 before it passed while one with U+200B did not: every hidden
 * character, at either end as anywhere else, now makes the contact invalid (a file's leading BOM is dropped
 * where the file is read, `cli/shared/csv.ts`).
 */
export function trimAscii(value: string): string {
  // A scan, not `/^\s+|\s+$/`: that regex retries the trailing class at every run of spaces, quadratic on long
  // provider text (test/review/mapper-redos.test.ts).
  let start = 0;
  let end = value.length;
  while (start < end && isAsciiSpace(value.charCodeAt(start))) start += 1;
  while (end > start && isAsciiSpace(value.charCodeAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

/** Tab, line feed, vertical tab, form feed, carriage return, space. */
function isAsciiSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * Normalise an email address or phone number to its one canonical form: the form Hood is sent, the ledger
 * keys, NEVER_BLOCK compares and `why`/`forget` look up, so that one person is one key everywhere.
 * An address: the bare address in Unicode NFC, lower-cased, its domain as the A-label (punycode) that
 * UTS #46 ToASCII gives (https://www.unicode.org/reports/tr46/; node's `url.domainToASCII`). A number: E.164.
 * The whole address is lower-cased, not only the domain: RFC 5321 lets the local part be case-sensitive,
 * but no mailbox provider treats it so, and providers report the same recipient in different cases (SES
 * keeps the sender's case, SendGrid lowercases), which would otherwise create duplicate blocked contacts.
 */
export function normaliseContact(raw: unknown): NormalisedContact {
  if (typeof raw !== 'string') return { ok: false, detail: 'contact is not a string' };
  if (raw.length > MAX_INPUT) return { ok: false, detail: 'contact is too long' };
  const value = trimAscii(raw);
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

const ASCII_RE = /[\u0000-\u007F]/u;
const NON_ASCII_RE = /[^\u0000-\u007F]/gu;
const ASCII_ONLY_RE = /[^\u0000-\u007F]/u;

/**
 * True for a non-ASCII character that some normalisation or case mapping turns into ASCII (or into
 * nothing): the Kelvin sign K (U+212A) lower-cases to `k` and is `K` under NFC, `İ` (U+0130) lower-cases to
 * `i` + a combining dot, `ſ` (U+017F) upper-cases to `S`, `ß` to `SS`, full-width `ｊ` is `j` under NFKC,
 * `。` (U+3002) is a label dot under UTS #46. An address holding one could be read, by us or by anyone
 * after us (Hood, a mailbox provider), as an ASCII address that belongs to someone else. Computed from the
 * runtime's own Unicode tables (no list to fall behind): NFC, NFKC, lower- and upper-casing (and each
 * after the other, which is what case folding amounts to), and the UTS #46 mapping IDNA applies to domains.
 */
export function foldsIntoAscii(ch: string): boolean {
  if (!ASCII_ONLY_RE.test(ch)) return false;
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  const forms = [
    ch.normalize('NFC'),
    ch.normalize('NFKC'),
    lower,
    upper,
    lower.toUpperCase(),
    upper.toLowerCase(),
    lower.normalize('NFKC'),
    upper.normalize('NFKC'),
    lower.normalize('NFC'),
  ];
  if (forms.some((f) => ASCII_RE.test(f))) return true;
  // UTS #46 maps (or drops) characters inside a label. Between hyphens (nothing composes with `-`), ASCII
  // that was not there, or the character gone, is a fold. '' = not allowed in a domain at all.
  const mapped = domainToUnicode(`a-${ch}-a.example`);
  return mapped !== '' && (mapped === 'a--a.example' || mapped.replace(NON_ASCII_RE, '') !== 'a--a.example');
}

/** True when `text` (or the U-label of an A-label in it) holds a character that folds into ASCII. */
export function holdsFoldingCharacter(text: string): boolean {
  const decoded = (label: string) =>
    label.toLowerCase().startsWith('xn--') ? domainToUnicode(`${label}.example`) : label;
  return firstFoldingCharacter(text.split(/[@.]/u).map(decoded).join(' ')) !== undefined;
}

/** The first character of `text` that folds into ASCII, as `U+XXXX`, or undefined. */
function firstFoldingCharacter(text: string): string | undefined {
  for (const match of text.matchAll(NON_ASCII_RE)) {
    if (foldsIntoAscii(match[0])) return `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

const ASCII_LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/u;
const ASCII_TLD_RE = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/u;

export function normaliseEmail(input: string): NormalisedContact {
  let value = trimAscii(input);
  // `"Jane Doe" <jane@example.com>` or `Jane <jane@example.com>` (Resend data.to, mail headers).
  const angle = /<([^<>]*)>\s*$/u.exec(value);
  if (angle) value = trimAscii(angle[1]!);
  if (/^mailto:/iu.test(value)) value = value.slice(7);
  // Checked on the address only: a display name may hold an emoji ZWJ sequence, and is never the contact.
  if (HIDDEN_RE.test(value)) return { ok: false, detail: HIDDEN_DETAIL };
  // On the address as it came, before any normalisation could hide it (issue 19 item 3).
  const folding = firstFoldingCharacter(value);
  if (folding !== undefined) return { ok: false, detail: foldingDetail(folding) };
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return { ok: false, detail: 'not an email address' };
  const local = value.slice(0, at).normalize('NFC').toLowerCase().normalize('NFC');
  const unicodeDomain = value
    .slice(at + 1)
    .normalize('NFC')
    .toLowerCase()
    .normalize('NFC')
    .replace(/\.$/u, '');
  if (local.length > MAX_LOCAL) return { ok: false, detail: 'email local part is longer than 64 characters' };
  if (!LOCAL_RE.test(local)) return { ok: false, detail: 'email local part has characters an address cannot have' };
  const unicodeLabels = unicodeDomain.split('.');
  const unicodeTld = unicodeLabels.at(-1)!;
  if (unicodeLabels.length < 2 || !unicodeLabels.every((l) => LABEL_RE.test(l)) || !TLD_RE.test(unicodeTld)) {
    return { ok: false, detail: 'email domain is not a valid host name' };
  }
  // '' when UTS #46 refuses the name (a character IDNA disallows, a broken A-label).
  const domain = domainToASCII(unicodeDomain);
  const labels = domain.split('.');
  const sameLabels = labels.length === unicodeLabels.length && labels.every((l) => ASCII_LABEL_RE.test(l));
  if (domain === '' || !sameLabels || !ASCII_TLD_RE.test(labels.at(-1)!)) {
    return { ok: false, detail: 'email domain is not a valid internationalised domain name (UTS #46)' };
  }
  const contact = `${local}@${domain}`;
  if (contact.length > MAX_ADDRESS) return { ok: false, detail: 'email address is longer than 254 characters' };
  // Lower-casing and NFC may give characters of their own, and an A-label that came in holds the U-label
  // it stands for (`xn--fa-hia.de` is `faß.de`): the canonical form passes the same test, decoded.
  const after = firstFoldingCharacter(`${local}@${domainToUnicode(domain)}`);
  if (after !== undefined) return { ok: false, detail: foldingDetail(after) };
  return { ok: true, contact, kind: 'email' };
}

function foldingDetail(codePoint: string): string {
  return (
    `email address has a character (${codePoint}) that case mapping or Unicode normalisation turns into ASCII: ` +
    "it could stand for another person's address"
  );
}

/**
 * Earlier canonical forms of a canonical contact that the ledger may hold keys for: until issue 19, an
 * internationalised domain was kept as its lower-cased U-label (`jane@bücher.de`), now it is the A-label
 * (`jane@xn--bcher-kva.de`). Empty when the contact has no other form.
 */
export function previousContactForms(contact: string): string[] {
  const at = contact.lastIndexOf('@');
  if (at <= 0 || !/(^|\.)xn--/u.test(contact.slice(at + 1))) return [];
  const unicode = domainToUnicode(contact.slice(at + 1));
  return unicode === '' || unicode === contact.slice(at + 1) ? [] : [`${contact.slice(0, at)}@${unicode}`];
}

/**
 * Digits and plus signs other than ASCII `0-9` and `+`: full-width `０-９` and `＋`, Arabic-Indic and every
 * other script's digits (`\p{Nd}`), superscripts and other numerals (`\p{No}`), math digits. libphonenumber-js
 * reads full-width and (Extended) Arabic-Indic digits as 0-9 and refuses the rest; we read none of them:
 * providers send numbers in ASCII (E.164), so such a number was typed or forged, and refusing it keeps
 * the number that would be blocked exactly the one the event shows. It is dead-lettered (`invalid_contact`)
 * with this reason and can be re-sent written with 0-9.
 */
const NON_ASCII_NUMERAL_RE = /(?![0-9])[\p{N}\uFF0B\u2795\uFE62\u207A\u208A]/u;
const NON_ASCII_NUMERAL_DETAIL =
  'phone number has digits or a plus sign other than ASCII 0-9 and + (full-width or another script): write it with 0-9';

/**
 * E.164 via libphonenumber-js. Numbers only need to be *possible* (right length for the country code),
 * not *valid* against the library's range metadata: that metadata lags real allocations, and an opt-out
 * must never be dropped because a range looks unassigned (docs/configuration.md "Contacts").
 * A number must carry its country code (`+` or `00`): `(917) 555-0100` read as international would be
 * +91 75…, a stranger in another country blocked and the real opt-out lost. Providers that document
 * international numbers without `+` (Vonage `msisdn`) add it in their own mapper.
 */
export function normalisePhone(input: string): NormalisedContact {
  let value = trimAscii(input).replace(/^tel:/iu, '');
  if (HIDDEN_RE.test(value)) return { ok: false, detail: HIDDEN_DETAIL };
  if (NON_ASCII_NUMERAL_RE.test(value)) return { ok: false, detail: NON_ASCII_NUMERAL_DETAIL };
  if (/[A-Za-z]/u.test(value)) return { ok: false, detail: 'not a phone number (alphanumeric sender ID)' };
  if (!/^\+?[\d\s().\-/]+$/u.test(value)) return { ok: false, detail: 'not a phone number' };
  if (value.startsWith('00')) value = `+${value.slice(2)}`;
  if (!value.startsWith('+'))
    return {
      ok: false,
      detail: 'phone number without a country code: write it in international form (+ and country code)',
    };
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
// Matches start only where a run of address characters starts (the lookbehind): one attempt per run, so
// a 100 KB run without `@` costs linear time, not a scan from each of its characters. The domain is a
// host name (letters of any script, digits, hyphens, at least one dot): `x@{…}` or `@[redacted]` are not.
const EMAIL_IN_TEXT_RE = /(?<![^\s<>"'(),;:[\]])[^\s<>"'(),;:[\]]+@[\p{L}\p{M}\p{N}_-]+(?:\.[\p{L}\p{M}\p{N}_-]+)+/gu;
// A number written with separators, `+` or `(` first or not: `+1 415 555 0100`, `(415) 555-0100`,
// `14155550100`. Dates, times and IPv4 addresses are matched first (the `keep` group) so that they stay
// readable and never join a number beside them; SMTP codes like `550 5.1.1` have too few digits to count.
const KEEP_IN_TEXT = [
  String.raw`\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?`, // 2026-01-05, 2026-01-05T10:22:33.5
  String.raw`\d{1,2}[./]\d{1,2}[./]\d{4}`, // 05.01.2026, 5/1/2026
  String.raw`\d{1,2}:\d{2}(?::\d{2})?`, // 10:22:33
  String.raw`\d{1,3}(?:\.\d{1,3}){3}`, // 192.0.2.10
].join('|');
const NUMBER_IN_TEXT_RE = new RegExp(
  String.raw`(?<![\w.+-])(?:(?<keep>${KEEP_IN_TEXT})(?!\d|[.:-]\d)|\+?\(?\d(?:[ ().\/-]{0,2}\d)+\)?)(?!\w)`,
  'gu',
);

/** A match of NUMBER_IN_TEXT_RE masked when it can be a phone number: 7+ digits after `+`, 8+ without. */
function maskNumber(match: string, ...rest: unknown[]): string {
  const groups = rest.at(-1) as { keep?: string } | undefined;
  if (groups?.keep !== undefined) return match;
  const digits = match.replace(/\D/gu, '').length;
  return digits < (match.startsWith('+') ? 7 : 8) ? match : maskContact(match);
}

/** Free text safe to log or attach to a dead letter: every address and number inside it masked. */
export function redactContacts(text: string): string {
  return text.replace(EMAIL_IN_TEXT_RE, (m) => maskContact(m)).replace(NUMBER_IN_TEXT_RE, maskNumber);
}

/**
 * Text that answers a request about `contact` (Hood's 400 message), safe to log: the contact masked in
 * every form an echo can take — as sent, in another case, its domain as U-label or A-label, URL-encoded,
 * its local part alone, a number's digits with any separators, with or without its country code — and
 * then every other address and number as `redactContacts` masks them.
 */
export function redactEchoedContact(text: string, contact: string): string {
  return redactContacts(maskEchoesOf(text, contact));
}

/** Only `contact`'s own forms masked (for an identifier, such as a trace id, that other digits may be part of). */
export function maskEchoesOf(text: string, contact: string): string {
  let out = text;
  for (const form of echoForms(contact)) out = out.replace(form, (m) => maskContact(m));
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

function echoForms(contact: string): RegExp[] {
  const n = normaliseContact(contact);
  const canonical = n.ok ? n.contact : contact.trim();
  if (canonical === '') return [];
  if (!n.ok || n.kind === 'email') {
    const at = canonical.lastIndexOf('@');
    const local = at > 0 ? canonical.slice(0, at) : canonical;
    const domain = at > 0 ? canonical.slice(at + 1) : '';
    const domains = [...new Set([domain, domainToUnicode(domain)].filter((d) => d !== ''))];
    const whole = [contact.trim(), canonical, ...domains.map((d) => `${local}@${d}`)];
    const encoded = whole.map((w) => encodeURIComponent(w));
    const forms = [...whole, ...encoded].map((w) => new RegExp(escapeRegExp(w), 'giu'));
    // The local part alone (`mailbox jane.doe unknown`), when it is long enough not to be a common word piece.
    if ([...local].length >= 3) {
      forms.push(new RegExp(`(?<![\\p{L}\\p{N}._%+-])${escapeRegExp(local)}(?![\\p{L}\\p{N}_%+-])`, 'giu'));
    }
    return forms;
  }
  // A number: its digits with any run of separators between them, with or without the country code.
  const digits = canonical.replace(/\D/gu, '');
  const national = nationalNumber(canonical);
  const spread = (d: string) => new RegExp(`\\+?${[...d].join('[^\\p{L}\\d]{0,3}')}`, 'gu');
  return [spread(digits), ...(national !== undefined && national.length >= 6 ? [spread(national)] : [])];
}

function nationalNumber(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164, phoneMetadata)?.nationalNumber;
}
