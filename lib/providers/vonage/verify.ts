import { createHash, createHmac } from 'node:crypto';
import { decodeUtf8, detectBodyKind, formObject } from '../shared/body.js';
import {
  checkTimestamp,
  fail,
  type RequestHeaders,
  safeEqualStrings,
  type TimestampWindow,
  type VerifyFailure,
} from '../shared/verify.js';

/**
 * Vonage SMS API signed messages (https://developer.vonage.com/en/getting-started/concepts/signing-messages;
 * vonage-node-sdk packages/sms/lib/sms.ts `verifySignature`):
 * drop `sig`; for the remaining parameters in sorted order append `&key=value` with `&` and `=` in values
 * replaced by `_`; then `md5hash` = MD5(string + secret), or HMAC-md5/sha1/sha256/sha512(secret, string);
 * hex, compared case-insensitively. The algorithm is an account setting we are not told, so it is
 * recognised by the digest length (32 hex: md5hash or HMAC-MD5, 40: SHA-1, 64: SHA-256, 128: SHA-512).
 *
 * Why the default window is 25 hours and not 5 minutes: `timestamp` is "the time when Vonage started to
 * push this inbound message" (developer.vonage.com/messaging/sms/guides/inbound-sms), so it does not change
 * when Vonage "keeps resending it for the next 24 hours" after a non-200 answer. The ingress answers 503
 * on queue trouble so that Vonage retries; a 5-minute window would turn every such retry into a lost
 * STOP. The signature covers every parameter, so a replay inside the window can only repeat the
 * identical opt-out, which is idempotent.
 */
export const VONAGE_DEFAULT_WINDOW: TimestampWindow = { maxAgeMs: 25 * 3_600_000, maxFutureMs: 5 * 60_000 };

export const VONAGE_SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type VonageSignatureMethod = (typeof VONAGE_SIGNATURE_METHODS)[number];
type Algorithm = VonageSignatureMethod;

export interface VonageVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  signatureSecret: string;
  nowMs: number;
  window?: TimestampWindow;
  /**
   * VONAGE_SIGNATURE_METHOD: the one method the account is set to (Dashboard → Settings → signature
   * method). Unset: any method, recognised by the digest's length, which lets a 32-hex signature be
   * tried as both md5hash and HMAC-MD5.
   */
  method?: VonageSignatureMethod;
}

/**
 * On success, the signed parameters (every one a scalar the signature covers, `sig` removed): the ONLY
 * thing the ingress maps, so that an unsigned nested value (`from: {number}`) never names a contact.
 */
export type VonageVerifyResult = { ok: true; params: Record<string, string> } | VerifyFailure;
const BY_LENGTH: Record<number, readonly Algorithm[]> = {
  32: ['md5hash', 'md5'],
  40: ['sha1'],
  64: ['sha256'],
  128: ['sha512'],
};
const HEX_RE = /^[0-9a-f]+$/iu;
const LENGTH_OF: Record<Algorithm, number> = { md5hash: 32, md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/** Parameters from a form or a JSON object body; scalars become strings, nested values are not signed. */
function vonageParams(rawBody: Buffer, contentType: string | undefined): Record<string, string> | undefined {
  const text = decodeUtf8(rawBody);
  if (text === undefined) return undefined;
  const kind = detectBodyKind(contentType, text);
  // Signed as PHP/the SDKs read a form: a repeated key keeps its last value, and the ingress maps exactly
  // these signed values, so an earlier unsigned duplicate never reaches a mapper.
  if (kind === 'form') return formObject(rawBody);
  if (kind !== 'json') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      Object.defineProperty(out, key, { value: String(value), enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

export function vonageSignedString(params: Readonly<Record<string, string>>): string {
  let signed = '';
  for (const key of Object.keys(params).sort()) {
    if (key === 'sig') continue;
    signed += `&${key}=${params[key]!.replace(/[&=]/gu, '_')}`;
  }
  return signed;
}

export function vonageSignature(
  algorithm: Algorithm,
  secret: string,
  params: Readonly<Record<string, string>>,
): string {
  const signed = vonageSignedString(params);
  if (algorithm === 'md5hash')
    return createHash('md5')
      .update(signed + secret, 'utf8')
      .digest('hex');
  return createHmac(algorithm, secret).update(signed, 'utf8').digest('hex');
}

export function verifyVonage(input: VonageVerifyInput): VonageVerifyResult {
  // The body's own first character decides JSON or form, never the unsigned Content-Type header.
  const params = vonageParams(input.rawBody, undefined);
  const given = params?.sig;
  if (params === undefined || given === undefined || given === '') return fail('missing_signature');
  const algorithms =
    input.method === undefined
      ? BY_LENGTH[given.length]
      : given.length === LENGTH_OF[input.method]
        ? [input.method]
        : undefined;
  if (algorithms === undefined || !HEX_RE.test(given)) return fail('malformed_signature');
  const fresh = checkTimestamp(params.timestamp, input.nowMs, input.window ?? VONAGE_DEFAULT_WINDOW);
  if (!fresh.ok) return fresh;
  let matched = false;
  for (const algorithm of algorithms) {
    if (safeEqualStrings(given.toLowerCase(), vonageSignature(algorithm, input.signatureSecret, params)))
      matched = true;
  }
  if (!matched) return fail('bad_signature');
  const signed: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (key !== 'sig')
      Object.defineProperty(signed, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { ok: true, params: signed };
}
