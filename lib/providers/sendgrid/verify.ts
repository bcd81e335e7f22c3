import { createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import {
  checkTimestamp,
  decodeBase64,
  fail,
  header,
  type RequestHeaders,
  symmetricWindow,
  VERIFIED,
  type VerifyResult,
} from '../shared/verify.js';

/**
 * SendGrid Signed Event Webhook: ECDSA P-256 / SHA-256 over the timestamp header's bytes followed by the
 * raw body bytes, DER signature in base64 (SendGrid docs
 * getting-started-event-webhook-security-features.md; sendgrid-nodejs packages/eventwebhook). SendGrid
 * says the payload "must be used in its raw bytes form": the body ends in CRLF and batches have CRLF
 * between events, so re-serialised JSON never verifies.
 */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/**
 * SendGrid publishes no tolerance. Ten minutes absorbs clock skew and SendGrid's own queueing delay;
 * the timestamp is part of the signed bytes, so an attacker cannot refresh it.
 */
export const SENDGRID_DEFAULT_TOLERANCE_MS = 10 * 60_000;

export interface SendgridVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  /** The account's verification key: base64 DER SubjectPublicKeyInfo (as SendGrid shows it) or PEM. */
  publicKey: string | KeyObject;
  nowMs: number;
  toleranceMs?: number;
}

let lastKey: { text: string; key: KeyObject | undefined } | undefined;

/**
 * Parse the verification key; undefined when it is not an EC P-256 public key. The handler calls this
 * at cold start so that a mangled SENDGRID_WEBHOOK_PUBLIC_KEY fails loudly instead of rejecting every event.
 */
export function loadSendgridPublicKey(text: string): KeyObject | undefined {
  if (lastKey?.text === text) return lastKey.key;
  let key: KeyObject | undefined;
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('-----BEGIN')) {
      // A PEM pasted into an environment variable often arrives with literal "\n" for its line breaks.
      key = createPublicKey({ key: trimmed.replace(/\\n/gu, '\n'), format: 'pem' });
    } else {
      const der = decodeBase64(trimmed.replace(/\s+/gu, ''));
      key = der ? createPublicKey({ key: der, format: 'der', type: 'spki' }) : undefined;
    }
  } catch {
    key = undefined;
  }
  if (key && !(key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'))
    key = undefined;
  // One entry is enough: an account has one key, and it is the same string on every request.
  lastKey = { text, key };
  return key;
}

export function verifySendgrid(input: SendgridVerifyInput): VerifyResult {
  const signature = header(input.headers, SENDGRID_SIGNATURE_HEADER);
  const timestamp = header(input.headers, SENDGRID_TIMESTAMP_HEADER);
  if (signature === undefined) return fail('missing_signature');
  // The timestamp is checked before the (comparatively expensive) ECDSA verification.
  const fresh = checkTimestamp(
    timestamp,
    input.nowMs,
    symmetricWindow(input.toleranceMs ?? SENDGRID_DEFAULT_TOLERANCE_MS),
  );
  if (!fresh.ok) return fresh;
  const der = decodeBase64(signature);
  if (der === undefined) return fail('malformed_signature');
  const key = typeof input.publicKey === 'string' ? loadSendgridPublicKey(input.publicKey) : input.publicKey;
  if (key === undefined) return fail('invalid_key');
  try {
    const signed = Buffer.concat([Buffer.from(timestamp!, 'utf8'), input.rawBody]);
    return verifySignature('sha256', signed, { key, dsaEncoding: 'der' }, der) ? VERIFIED : fail('bad_signature');
  } catch {
    // OpenSSL rejects some malformed DER signatures by throwing rather than returning false.
    return fail('bad_signature');
  }
}
