import { createHmac } from 'node:crypto';
import { decodeUtf8, detectBodyKind, formObject } from '../shared/body.js';
import {
  checkTimestamp,
  fail,
  header,
  type RequestHeaders,
  safeEqualStrings,
  type TimestampWindow,
  type VerifyFailure,
} from '../shared/verify.js';
import { ReplayCache } from '../shared/replay.js';

/**
 * Mailgun webhook signature (Mailgun docs "Securing Webhooks"):
 * hex(HMAC-SHA256(signingKey, timestamp + token)) == signature, all three taken from the body:
 * `{"signature": {timestamp, token, signature}, "event-data": {…}}` (JSON webhooks), or top-level form
 * fields for legacy (pre-2018) form-encoded webhooks.
 *
 * The digest does NOT cover the event data, so a captured signature block could be stapled to any body.
 * Two defences, as Mailgun recommends: each token is accepted once (per warm instance, `ReplayCache`) and
 * the timestamp must be recent.
 *
 * Why the window is 9 hours and not 5 minutes: Mailgun retries every answer except 200 and 406 on a
 * schedule of 10m, 10m, 15m, 30m, 1h, 2h, 4h (Mailgun docs user_manual.rst "Webhooks"), and a retry resends
 * the ORIGINAL signature block (PostHog #103057 citing Hookdeck's Mailgun reference; beyondcode/
 * laravel-mailbox #93 saw first deliveries arrive minutes late under load). The ingress answers 503 when
 * the queue is down precisely so that the provider retries; with a 5-minute window every such retry would
 * be rejected and the opt-out lost. 9 hours covers the whole 8h05m schedule plus Mailgun's queueing.
 * Future timestamps get only 5 minutes (clock skew).
 */
export const MAILGUN_DEFAULT_WINDOW: TimestampWindow = { maxAgeMs: 9 * 3_600_000, maxFutureMs: 5 * 60_000 };
const MAX_TOKEN_LENGTH = 256;
const HEX_SHA256_RE = /^[0-9a-f]{64}$/iu;

/** Tokens seen by this instance; module level so that it survives warm invocations. */
export const mailgunReplayCache = new ReplayCache({
  maxEntries: 50_000,
  ttlMs: MAILGUN_DEFAULT_WINDOW.maxAgeMs + MAILGUN_DEFAULT_WINDOW.maxFutureMs,
});

export interface MailgunVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  signingKey: string;
  nowMs: number;
  window?: TimestampWindow;
  /** `false`: the caller claims the returned token itself (the ingress, through a ReplayStore). */
  replayCache?: ReplayCache | false;
}

/** On success the token is returned so that the caller can release it if it ends up answering 5xx. */
export type MailgunVerifyResult = { ok: true; token: string } | VerifyFailure;

interface SignatureBlock {
  timestamp: unknown;
  token: unknown;
  signature: unknown;
}

function signatureBlock(rawBody: Buffer, contentType: string | undefined): SignatureBlock | undefined {
  const text = decodeUtf8(rawBody);
  if (text === undefined) return undefined;
  const kind = detectBodyKind(contentType, text);
  if (kind === 'form') {
    const form = formObject(rawBody);
    return { timestamp: form.timestamp, token: form.token, signature: form.signature };
  }
  if (kind !== 'json') return undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const block: unknown = (body as Record<string, unknown>).signature;
    if (typeof block !== 'object' || block === null) return undefined;
    const { timestamp, token, signature } = block as Record<string, unknown>;
    return { timestamp, token, signature };
  } catch {
    return undefined;
  }
}

export function mailgunSignature(signingKey: string, timestamp: string, token: string): string {
  return createHmac('sha256', signingKey)
    .update(timestamp + token, 'utf8')
    .digest('hex');
}

export function verifyMailgun(input: MailgunVerifyInput): MailgunVerifyResult {
  const block = signatureBlock(input.rawBody, header(input.headers, 'content-type'));
  if (block === undefined || block.signature === undefined || block.signature === null || block.signature === '') {
    return fail('missing_signature');
  }
  const { token, signature } = block;
  // Mailgun sends the timestamp as a string of digits; accept a JSON integer too, since its text is the same.
  const timestamp =
    typeof block.timestamp === 'number' && Number.isSafeInteger(block.timestamp)
      ? String(block.timestamp)
      : block.timestamp;
  if (typeof signature !== 'string' || !HEX_SHA256_RE.test(signature)) return fail('malformed_signature');
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return fail('malformed_signature');
  if (timestamp !== undefined && typeof timestamp !== 'string') return fail('malformed_timestamp');
  const fresh = checkTimestamp(timestamp, input.nowMs, input.window ?? MAILGUN_DEFAULT_WINDOW);
  if (!fresh.ok) return fresh;
  if (!safeEqualStrings(signature.toLowerCase(), mailgunSignature(input.signingKey, timestamp!, token)))
    return fail('bad_signature');
  // Only authentic tokens are recorded, so an attacker cannot fill the cache to evict real ones.
  if (input.replayCache === false) return { ok: true, token };
  const cache = input.replayCache ?? mailgunReplayCache;
  if (cache.has(token, input.nowMs)) return fail('replayed');
  cache.add(token, input.nowMs);
  return { ok: true, token };
}
