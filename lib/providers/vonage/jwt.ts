import { createHash, createHmac, randomUUID } from 'node:crypto';
import {
  fail,
  type RequestHeaders,
  safeEqualStrings,
  type TimestampWindow,
  VERIFIED,
  type VerifyResult,
} from '../shared/verify.js';

/**
 * Vonage signed webhooks of the Messages API (developer.vonage.com "Signed webhooks", Messages API concepts):
 * `Authorization: Bearer <JWT>`, the JWT signed with HS256 and the account's signature secret (the same
 * secret as the SMS API's `sig`; "the signature method drop down does not affect the method used for signing
 * Messages API webhooks, SHA-256 is always used"), its claims carrying `payload_hash`, the SHA-256 hex of the
 * body. @vonage/jwt `verifySignature` checks the token as jsonwebtoken does with `algorithms: ['RS256',
 * 'HS256']` (signature, then `exp` and `nbf` when present); payload_hash is left to the caller.
 *
 * Here, stricter than that and on purpose:
 * - only `alg: HS256` (a signature secret is a shared key: RS256 would need a public key we do not have,
 *   and `none` or any other algorithm is refused before anything else is read);
 * - `payload_hash` is required and must be the hash of the raw body: it is what binds the body to the
 *   token (Vonage calls the check optional because TLS protects the body in transit; here it also stops a
 *   captured token from carrying another body);
 * - `iat` is required and must lie in the Vonage window: Vonage retries a webhook answered 429/5xx for
 *   24 hours (Vonage API Support, "How long does Vonage retry inbound messages for the SMS, Messages and
 *   Dispatch APIs?") and does not document that a retry is signed anew, so the window is the SMS API's
 *   25 hours (lib/providers/vonage/verify.ts says why). A replay inside it repeats the same signed body:
 *   the same opt-out, which is idempotent.
 */
export const VONAGE_JWT_ALGORITHM = 'HS256';

export interface VonageJwtVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  signatureSecret: string;
  nowMs: number;
  window: TimestampWindow;
}

const BEARER_RE = /^\s*bearer(?:\s+(\S*))?\s*$/iu;

/** The request names the Bearer scheme (case-insensitive, RFC 9110 §11.1): a Messages API signed webhook. */
export function hasBearerToken(headers: RequestHeaders): boolean {
  const value = headers.authorization;
  return typeof value === 'string' && /^\s*bearer(?:\s|$)/iu.test(value);
}

/** The token of `Authorization: Bearer <token>`; undefined when there is none or it is not one word. */
export function vonageBearerToken(headers: RequestHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  return BEARER_RE.exec(value)?.[1] || undefined;
}

const SEGMENT_RE = /^[A-Za-z0-9_-]+$/u;

function jsonSegment(segment: string): Record<string, unknown> | undefined {
  if (!SEGMENT_RE.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    return isObject ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function hs256(secret: string, signingInput: string): string {
  return createHmac('sha256', secret).update(signingInput, 'utf8').digest('base64url');
}

/** SHA-256 hex of the raw body, as Vonage puts it in `payload_hash`. */
export function vonagePayloadHash(rawBody: Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

/**
 * A claim that is a NumericDate (RFC 7519 §2: seconds, may be fractional); jsonwebtoken refuses other
 * types for `exp` and `nbf` as "invalid … value".
 */
function numericDate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function verifyVonageJwt(input: VonageJwtVerifyInput): VerifyResult {
  const token = vonageBearerToken(input.headers);
  if (token === undefined) return fail(hasBearerToken(input.headers) ? 'malformed_signature' : 'missing_signature');
  const parts = token.split('.');
  if (parts.length !== 3) return fail('malformed_signature');
  const [encodedHeader, encodedClaims, signature] = parts as [string, string, string];
  const header = jsonSegment(encodedHeader);
  if (header === undefined || !SEGMENT_RE.test(signature)) return fail('malformed_signature');
  // The algorithm is fixed here, never taken from the token: `none`, RS256 and HS512 are all refused.
  if (header.alg !== VONAGE_JWT_ALGORITHM) return fail('unsupported_signature_version');
  // jws compares the base64url text of the signature (constant time), so must we: no other spelling.
  const expected = hs256(input.signatureSecret, `${encodedHeader}.${encodedClaims}`);
  if (!safeEqualStrings(signature, expected)) return fail('bad_signature');
  const claims = jsonSegment(encodedClaims);
  if (claims === undefined) return fail('malformed_message');

  const nowS = Math.floor(input.nowMs / 1000);
  if (claims.exp !== undefined || claims.nbf !== undefined) {
    const exp = claims.exp === undefined ? Number.POSITIVE_INFINITY : numericDate(claims.exp);
    const nbf = claims.nbf === undefined ? Number.NEGATIVE_INFINITY : numericDate(claims.nbf);
    if (exp === undefined || nbf === undefined) return fail('malformed_timestamp');
    // As jsonwebtoken: expired from the second `exp` names; not yet valid before `nbf`.
    if (nowS >= exp || nbf > nowS) return fail('stale_timestamp');
  }
  if (claims.iat === undefined) return fail('missing_timestamp');
  const iat = numericDate(claims.iat);
  if (iat === undefined) return fail('malformed_timestamp');
  const ageMs = input.nowMs - iat * 1000;
  if (ageMs > input.window.maxAgeMs || -ageMs > input.window.maxFutureMs) return fail('stale_timestamp');

  const hash = claims.payload_hash;
  if (typeof hash !== 'string' || hash === '') return fail('malformed_message');
  if (!safeEqualStrings(hash.toLowerCase(), vonagePayloadHash(input.rawBody))) return fail('bad_signature');
  return VERIFIED;
}

export interface VonageJwtToSign {
  rawBody: Buffer | string;
  signatureSecret: string;
  nowMs: number;
  /** Extra claims (Vonage adds `api_key`, `application_id`, `iss: "Vonage"`). */
  claims?: Record<string, unknown>;
}

/**
 * A Messages API webhook token as Vonage makes one: HS256 over `{iat, jti, iss, payload_hash, …}` with
 * the signature secret. For `send-test` and the tests (the verifier above never uses it).
 */
export function signVonageJwt(input: VonageJwtToSign): string {
  const rawBody = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody;
  const header = { alg: VONAGE_JWT_ALGORITHM, typ: 'JWT' };
  const claims = {
    iat: Math.floor(input.nowMs / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: vonagePayloadHash(rawBody),
    ...input.claims,
  };
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${segment(header)}.${segment(claims)}`;
  return `${signingInput}.${hs256(input.signatureSecret, signingInput)}`;
}
