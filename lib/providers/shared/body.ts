/**
 * Reading webhook bodies: JSON or `application/x-www-form-urlencoded`, chosen by Content-Type and
 * sniffed when the type says nothing useful (SNS posts JSON as `text/plain`, some senders omit it).
 * Used by the verifiers (which sign decoded form parameters) and by the ingress (which maps the payload).
 */
export type BodyKind = 'json' | 'form';

export type ParsedBody =
  | { ok: true; kind: BodyKind; payload: unknown }
  | {
      ok: false;
      reason: 'empty_body' | 'unsupported_content_type' | 'invalid_utf8' | 'malformed_json' | 'malformed_form';
    };

/** Content types that carry no information about the encoding: sniff the body instead. */
const SNIFFED_TYPES = new Set(['', 'text/plain', 'application/octet-stream']);
const FORM_START_RE = /^[^=&\s]+=/u;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function firstNonSpace(text: string): string | undefined {
  const m = /\S/u.exec(text);
  return m?.[0];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** Strict UTF-8 (a BOM is dropped); undefined when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The body's encoding, or undefined when it is neither JSON nor a form. */
export function detectBodyKind(contentType: string | undefined, text: string): BodyKind | undefined {
  const type = mediaType(contentType);
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (!SNIFFED_TYPES.has(type)) return undefined;
  const first = firstNonSpace(text);
  if (first === '{' || first === '[') return 'json';
  if (FORM_START_RE.test(text)) return 'form';
  return undefined;
}

/**
 * Form parameters in body order, values decoded (`+` is a space, `%XX` is a byte), duplicates kept:
 * Twilio signs every value of a repeated parameter.
 */
export function formEntries(rawBody: Uint8Array): Array<[string, string]> {
  // Lenient decoding: a signature over mangled bytes simply fails; it must not throw.
  return [...new URLSearchParams(lenientUtf8.decode(rawBody))];
}

/**
 * THE form parser for decisions, shared by the ingress and `hood-blocker extract`: parameters as a plain
 * object of strings, where a parameter given two DIFFERENT values is left out. Such a key is ambiguous —
 * `Body=STOP&Body=thanks` is STOP to a reader that keeps the first value and "thanks" to one that keeps
 * the last — so it can never decide a block. The same value repeated is not ambiguous (and Twilio's
 * signature, which dedupes values, cannot tell it from a single one). No provider repeats keys it maps.
 */
export function formFields(text: string | Uint8Array): Record<string, string> {
  const values = new Map<string, string | null>();
  for (const [key, value] of new URLSearchParams(typeof text === 'string' ? text : lenientUtf8.decode(text))) {
    const seen = values.get(key);
    values.set(key, seen === undefined || seen === value ? value : null);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of values) {
    // defineProperty: a parameter named `__proto__` must become data, not change the prototype.
    if (value !== null)
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Form parameters as a plain object of strings; for a repeated parameter the last value wins (PHP/Django
 * semantics). For computing signatures the way providers do (Mandrill's PHP reference, Vonage's SDKs),
 * never for deciding: use `formFields`.
 */
export function formObject(rawBody: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of formEntries(rawBody)) {
    // defineProperty: a parameter named `__proto__` must become data, not change the prototype.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Parse a body as JSON or form (see module comment); `forceJson` for senders that only speak JSON (SNS). */
export function parseBody(
  rawBody: Uint8Array,
  contentType: string | undefined,
  options: { forceJson?: boolean } = {},
): ParsedBody {
  const text = decodeUtf8(rawBody);
  if (text === undefined) return { ok: false, reason: 'invalid_utf8' };
  if (text.trim() === '') return { ok: false, reason: 'empty_body' };
  const kind = options.forceJson ? 'json' : detectBodyKind(contentType, text);
  if (kind === undefined) return { ok: false, reason: 'unsupported_content_type' };
  if (kind === 'json') {
    try {
      return { ok: true, kind, payload: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, reason: 'malformed_json' };
    }
  }
  if (!FORM_START_RE.test(text.trimStart())) return { ok: false, reason: 'malformed_form' };
  return { ok: true, kind, payload: formFields(rawBody) };
}

/** Parse as a JSON object (not an array or scalar); undefined otherwise. Never throws. */
export function parseJsonObject(rawBody: Uint8Array): Record<string, unknown> | undefined {
  const text = decodeUtf8(rawBody);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
