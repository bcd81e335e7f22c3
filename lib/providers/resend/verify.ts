import { createHmac } from 'node:crypto';
import {
  checkTimestamp,
  decodeBase64,
  fail,
  header,
  type RequestHeaders,
  safeEqualStrings,
  symmetricWindow,
  VERIFIED,
  type VerifyResult,
} from '../shared/verify.js';

/**
 * Svix signatures, used by Resend (svix/svix-webhooks javascript/src/
 * webhook.ts): base64(HMAC-SHA256(base64decode(secret without `whsec_`), `${id}.${timestamp}.${body}`)).
 * `svix-signature` is a space-separated list of `<version>,<signature>`; any `v1` entry may match (Svix
 * sends several while a secret is being rotated). The Standard Webhooks names `webhook-id`,
 * `webhook-timestamp`, `webhook-signature` are accepted aliases. Svix signs every delivery attempt anew,
 * so the library's 5-minute window does not reject retries.
 */
export const SVIX_DEFAULT_TOLERANCE_MS = 5 * 60_000;
const SECRET_PREFIX = 'whsec_';

export interface SvixVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  /** `whsec_<base64>` as shown in the Resend dashboard (the prefix is optional). */
  secret: string;
  nowMs: number;
  toleranceMs?: number;
}

/** The HMAC key inside a `whsec_` secret; undefined when it is not base64 (checked at cold start too). */
export function svixKey(secret: string): Buffer | undefined {
  const trimmed = secret.trim();
  return decodeBase64(trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed);
}

export function svixSignature(key: Buffer, id: string, timestamp: string, rawBody: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(rawBody).digest();
}

export function verifySvix(input: SvixVerifyInput): VerifyResult {
  const id = header(input.headers, 'svix-id') ?? header(input.headers, 'webhook-id');
  const timestamp = header(input.headers, 'svix-timestamp') ?? header(input.headers, 'webhook-timestamp');
  const signatures = header(input.headers, 'svix-signature') ?? header(input.headers, 'webhook-signature');
  if (signatures === undefined || id === undefined) return fail('missing_signature');
  // Svix compares whole seconds (`Math.floor(Date.now() / 1000)`, standardwebhooks verifyTimestamp): a message
  // exactly at the window's edge is accepted for the whole of that second, here too.
  const nowMs = Math.floor(input.nowMs / 1000) * 1000;
  const fresh = checkTimestamp(timestamp, nowMs, symmetricWindow(input.toleranceMs ?? SVIX_DEFAULT_TOLERANCE_MS));
  if (!fresh.ok) return fresh;
  const key = svixKey(input.secret);
  if (key === undefined) return fail('invalid_key');
  // Compared as Svix compares: the base64 text of each `v1` entry against the expected one (its
  // `version,signature` split on commas), so that no other spelling of the same bytes is accepted.
  const expected = svixSignature(key, id, timestamp!, input.rawBody).toString('base64');
  let sawV1 = false;
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const [version, given] = entry.split(',');
    if (version !== 'v1' || given === undefined) continue;
    sawV1 = true;
    if (safeEqualStrings(given, expected)) matched = true;
  }
  if (matched) return VERIFIED;
  return fail(sawV1 ? 'bad_signature' : 'malformed_signature');
}
