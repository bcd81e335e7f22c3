import { createHmac } from 'node:crypto';
import { checkTimestamp, decodeBase64, fail, header, type RequestHeaders, safeEqual, symmetricWindow, VERIFIED, type VerifyResult } from '../shared/verify.js';

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
  const fresh = checkTimestamp(timestamp, input.nowMs, symmetricWindow(input.toleranceMs ?? SVIX_DEFAULT_TOLERANCE_MS));
  if (!fresh.ok) return fresh;
  const key = svixKey(input.secret);
  if (key === undefined) return fail('invalid_key');
  const expected = svixSignature(key, id, timestamp!, input.rawBody);
  let sawV1 = false;
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    sawV1 = true;
    const given = decodeBase64(entry.slice(comma + 1));
    if (given !== undefined && safeEqual(given, expected)) matched = true;
  }
  if (matched) return VERIFIED;
  return fail(sawV1 ? 'bad_signature' : 'malformed_signature');
}
