/**
 * The one encoder for everything put on SQS: every message body and every String attribute value passes
 * through it (lib/queue/sqs.ts applies it to each entry, whoever built it), so no character can make SQS
 * refuse a message.
 *
 * SQS accepts only `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF` in a body or a String
 * attribute (Amazon SQS API Reference, SendMessage "MessageBody" and "MessageAttributeValue"); a single
 * other character — U+FFFE, U+FFFF, a lone surrogate, a C0 control — fails the whole SendMessageBatch. The
 * local emulator (fauxqs) refuses every character beyond U+FFFF as well, which real SQS accepts. The output
 * here keeps only what both accept, `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD`, and writes every other
 * UTF-16 code unit (each half of an emoji's surrogate pair included) as a six-character `\uXXXX` escape.
 *
 * In JSON text that rewrite is exact: JSON allows none of those characters outside a string literal, and
 * inside one `\uXXXX` stands for that very code unit, so `JSON.parse` returns the same value — lone
 * surrogates and emoji included — and keys, numbers and order stay byte for byte. Text that is not JSON
 * (a raw record being dead-lettered) gets the same escapes, which a reader can still follow.
 */

/** One code unit outside what both SQS and fauxqs accept (no `u` flag: surrogates are matched one by one). */
// eslint-disable-next-line no-control-regex
const NOT_PORTABLE_RE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g;
// eslint-disable-next-line no-control-regex
const NOT_PORTABLE_TEST_RE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/;
/** Printable ASCII and the three whitespace controls: the fallback for a body SQS refused anyway. */
// eslint-disable-next-line no-control-regex
const NOT_ASCII_RE = /[^\t\n\r\u0020-\u007E]/g;

/** `\uXXXX`, lower-case hex as JSON.stringify writes it. */
function escapeUnit(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Whether SQS and fauxqs both accept every character of `text` as it is. */
export function isPortable(text: string): boolean {
  return !NOT_PORTABLE_TEST_RE.test(text);
}

/** `text` with every character SQS or fauxqs would refuse written as `\uXXXX` (exact for JSON text; see above). */
export function portableText(text: string): string {
  return isPortable(text) ? text : text.replace(NOT_PORTABLE_RE, escapeUnit);
}

/**
 * A value as a message body: JSON that SQS and fauxqs always accept and that `JSON.parse` turns back into
 * the same value. JSON.stringify already escapes C0 controls and lone surrogates (ES2019 well-formed
 * stringify) but leaves U+FFFE, U+FFFF and astral characters as they are; `portableText` escapes those.
 */
export function encodeJsonBody(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('a message body must be a JSON value');
  return portableText(text);
}

/**
 * A body in printable ASCII only: every other code unit as `\uXXXX`. Equally exact for JSON text, and what
 * an entry SQS refused is dead-lettered as, so that its second try cannot fail for the same character.
 */
export function asciiText(text: string): string {
  return text.replace(NOT_ASCII_RE, escapeUnit);
}

/**
 * An attribute value SQS and fauxqs accept: refused characters as `\uXXXX` text, at most `maxChars`
 * characters, cut between characters (never inside a surrogate pair or an escape).
 */
export function encodeAttribute(value: string, maxChars: number): string {
  if (value.length <= maxChars && isPortable(value)) return value;
  let out = '';
  for (const point of value) {
    const piece = portableText(point);
    if (out.length + piece.length > maxChars) break;
    out += piece;
  }
  return out;
}

/** SQS's size limit for one message and for one SendMessageBatch, body and attributes together (256 KiB). */
export const SQS_MAX_MESSAGE_BYTES = 262_144;

/**
 * A message's size as SQS counts it against the limit: the body's UTF-8 bytes plus, for each attribute, its
 * name, its data type and its value (Amazon SQS Developer Guide, "Amazon SQS message attributes").
 */
export function messageBytes(body: string, attributes: Readonly<Record<string, string>> = {}): number {
  let n = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes))
    n += Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value, 'utf8');
  return n;
}

/** The longest prefix of an (escaped) body that fits `maxBytes`, cut before an escape, never inside one. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // Back to the first byte of a character (continuation bytes are 10xxxxxx): none is cut in half.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  const cut = bytes.subarray(0, end).toString('utf8');
  const partialEscape = /\\(?:u[0-9a-fA-F]{0,3})?$/u.exec(cut);
  return partialEscape ? cut.slice(0, partialEscape.index) : cut;
}
