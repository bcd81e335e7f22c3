import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Shared vocabulary of the signature verifiers. Every verifier is a pure function over the exact raw
 * body bytes and the (lower-cased) request headers; it never throws, whatever it is given, and answers
 * `{ ok: true }` or `{ ok: false, reason }`. The reason is safe to return to the caller and to log: it
 * names what was wrong, never a secret or an expected value.
 */
export type VerifyFailureReason =
  | 'missing_signature'
  | 'missing_credentials'
  | 'bad_credentials'
  | 'malformed_signature'
  | 'bad_signature'
  | 'missing_timestamp'
  | 'malformed_timestamp'
  | 'stale_timestamp'
  | 'replayed'
  | 'invalid_key'
  | 'malformed_message'
  | 'unsupported_signature_version'
  | 'untrusted_certificate_url'
  | 'certificate_unavailable'
  | 'topic_not_allowed'
  /** Signed with a kind of secret this deployment does not hold (Twilio: a shared key, or the Auth Token). */
  | 'secret_not_configured';

export interface VerifyFailure {
  ok: false;
  reason: VerifyFailureReason;
}
export interface VerifySuccess {
  ok: true;
}
export type VerifyResult = VerifySuccess | VerifyFailure;

/** Request headers with lower-cased names (API Gateway HTTP API v2 already lower-cases them). */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

export const VERIFIED: VerifySuccess = Object.freeze({ ok: true });

export function fail(reason: VerifyFailureReason): VerifyFailure {
  return { ok: false, reason };
}

/** A header value, trimmed; empty counts as absent. */
export function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Constant-time comparison of two byte strings. `timingSafeEqual` throws on different lengths, so the
 * length is checked first; the length of a signature is public (it is fixed by the algorithm).
 */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function safeEqualStrings(given: string, expected: string): boolean {
  return safeEqual(Buffer.from(given, 'utf8'), Buffer.from(expected, 'utf8'));
}

/**
 * Constant-time comparison of a presented credential (password, bearer token) with the configured one.
 * Both sides are hashed first so that neither the comparison time nor the early length check tells an
 * attacker anything about the secret's length.
 */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

/** Strict base64 (Node's decoder silently skips garbage, which would hide a mangled header). */
export function decodeBase64(value: string): Buffer | undefined {
  if (value.length === 0 || !BASE64_RE.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

/** How far a signed timestamp may lie from our clock. */
export interface TimestampWindow {
  /** How old the signed timestamp may be. */
  maxAgeMs: number;
  /** How far in the future it may be (clock skew between the provider and us). */
  maxFutureMs: number;
}

export function symmetricWindow(toleranceMs: number): TimestampWindow {
  return { maxAgeMs: toleranceMs, maxFutureMs: toleranceMs };
}

const UNIX_SECONDS_RE = /^\d{1,12}$/u;

/** Check a Unix-seconds timestamp (as the provider sent it: a decimal string) against the window. */
export function checkTimestamp(value: string | undefined, nowMs: number, window: TimestampWindow): VerifyResult {
  if (value === undefined || value === '') return fail('missing_timestamp');
  if (!UNIX_SECONDS_RE.test(value)) return fail('malformed_timestamp');
  const ageMs = nowMs - Number(value) * 1000;
  if (!Number.isFinite(ageMs) || ageMs > window.maxAgeMs || -ageMs > window.maxFutureMs) return fail('stale_timestamp');
  return VERIFIED;
}
