import { type KeyObject, verify as verifySignature, X509Certificate } from 'node:crypto';
import { parseJsonObject } from '../shared/body.js';
import { decodeBase64, fail, type VerifyFailure } from '../shared/verify.js';

/**
 * Amazon SNS message signatures for HTTPS subscriptions (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html;
 * aws/aws-php-sns-message-validator src/MessageValidator.php):
 * SignatureVersion "1" = SHA1withRSA, "2" = SHA256withRSA, over `key\nvalue\n` for a fixed list of keys
 * in byte order, with the public key of the X.509 certificate at SigningCertURL.
 *
 * - The string to sign is built from the RAW parsed JSON, never from a schema's output: zod strips
 *   undeclared keys, and a missing SubscribeURL made every confirmation fail for PostHog (peers.md A.1 #3).
 * - The certificate URL is pinned before anything is fetched: exactly
 *   `https://sns.<region of the TopicArn>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem`, the only
 *   form SNS uses (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html: "verify that you have received the message
 *   from Amazon SNS" by checking the certificate URL). A looser host pattern let `sns.s3.amazonaws.com`
 *   (an S3 bucket named "sns") serve an attacker's certificate.
 * - Only the signed fields leave this module (`envelope`): anything else in the body (an unsigned
 *   `Records` array, `MessageAttributes`, `UnsubscribeURL`) is attacker-controlled and must not reach a mapper.
 * - A valid signature only proves that SOME topic signed the message: anyone can point their own topic at
 *   this URL and SNS will sign the SubscriptionConfirmation (PostHog #61644, anymail's SES webhook comment).
 *   So the TopicArn must be allow-listed, and that is checked first: an unknown topic costs no fetch and
 *   is never confirmed.
 * - No timestamp window: SNS keeps the publish time across delivery retries and the signature covers the
 *   whole message, so a replay can only repeat an identical (idempotent) block request.
 */
export const SNS_HOST_RE = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/u;
const TOPIC_ARN_RE = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[\w-]+$/u;
// An AWS region name (eu-west-1, us-gov-west-1, cn-north-1): never `s3`, `s3-website` or another service.
const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/u;
const CERT_PATH_RE = /^\/SimpleNotificationService-[0-9a-f]{1,64}\.pem$/iu;

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_KEYS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;
const OPTIONAL_KEYS = new Set<string>(['Subject']);
const MESSAGE_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const ALGORITHMS: Record<string, string> = { '1': 'sha1', '2': 'sha256' };

export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

/** A verified SNS message: its type and topic, and the envelope rebuilt from the signed fields only (for mapping). */
export interface VerifiedSnsMessage {
  type: SnsMessageType;
  topicArn: string;
  messageId: string;
  subscribeUrl: string | undefined;
  envelope: Record<string, string>;
}

export type SnsVerifyResult = { ok: true; message: VerifiedSnsMessage } | VerifyFailure;

/** Resolves the public key of a (pinned) certificate URL; may reject (network), never asked for an unpinned URL. */
export type CertificateKeyResolver = (url: string) => Promise<KeyObject>;

export interface SnsVerifyInput {
  rawBody: Buffer;
  allowedTopicArns: readonly string[];
  getCertificateKey: CertificateKeyResolver;
}

/** The region of an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`), or undefined. */
export function topicRegion(topicArn: string): string | undefined {
  return TOPIC_ARN_RE.exec(topicArn)?.[1];
}

/** The SNS host of a region: `sns.<region>.amazonaws.com`, `.com.cn` in the China regions. */
function snsHost(region: string): string {
  return `sns.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * True only for `https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem` (no
 * credentials, port, query or fragment); with `region`, only that region's host.
 */
export function isSnsCertificateUrl(value: unknown, region?: string): value is string {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (
    url.protocol !== 'https:' ||
    url.username !== '' ||
    url.password !== '' ||
    url.port !== '' ||
    url.search !== '' ||
    url.hash !== ''
  )
    return false;
  if (value !== `https://${url.hostname}${url.pathname}`) return false;
  const hostRegion = /^sns\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/u.exec(url.hostname)?.[1];
  if (hostRegion === undefined || !REGION_RE.test(hostRegion) || url.hostname !== snsHost(region ?? hostRegion))
    return false;
  return CERT_PATH_RE.test(url.pathname);
}

/** True for `https://sns.<region>.amazonaws.com[.cn]/…` with no credentials and no explicit port; with `region`, that region's host only. */
export function isSnsUrl(value: unknown, options: { pemPath?: boolean; region?: string } = {}): value is string {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '') return false;
  if (options.region !== undefined ? url.hostname !== snsHost(options.region) : !SNS_HOST_RE.test(url.hostname))
    return false;
  return options.pemPath ? url.pathname.endsWith('.pem') : true;
}

/** The canonical string SNS signs, or undefined when a required field is missing or not a string. */
export function snsStringToSign(message: Readonly<Record<string, unknown>>): string | undefined {
  const keys = message.Type === 'Notification' ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  let out = '';
  for (const key of keys) {
    const value = message[key];
    if (value === undefined || value === null) {
      // "Subject … If no Subject was specified, then this name-value pair does not appear" (Amazon SNS Developer Guide); captures also show null.
      if (OPTIONAL_KEYS.has(key)) continue;
      return undefined;
    }
    if (typeof value !== 'string') return undefined;
    out += `${key}\n${value}\n`;
  }
  return out;
}

/** Parse a PEM certificate into its public key (used by the certificate cache). */
export function certificatePublicKey(pem: string): KeyObject {
  return new X509Certificate(pem).publicKey;
}

export async function verifySns(input: SnsVerifyInput): Promise<SnsVerifyResult> {
  const message = parseJsonObject(input.rawBody);
  if (message === undefined) return fail('malformed_message');
  const {
    Type: type,
    TopicArn: topicArn,
    MessageId: messageId,
    Signature: signature,
    SignatureVersion: version,
  } = message;
  if (
    typeof type !== 'string' ||
    !MESSAGE_TYPES.has(type) ||
    typeof topicArn !== 'string' ||
    typeof messageId !== 'string'
  ) {
    return fail('malformed_message');
  }
  if (!input.allowedTopicArns.includes(topicArn)) return fail('topic_not_allowed');
  if (typeof signature !== 'string' || signature === '') return fail('missing_signature');
  const algorithm = typeof version === 'string' ? ALGORITHMS[version] : undefined;
  if (algorithm === undefined) return fail('unsupported_signature_version');
  const region = topicRegion(topicArn);
  // HTTP(S) subscriptions spell it SigningCertURL; SNS→Lambda events spell it SigningCertUrl.
  const certUrl = message.SigningCertURL ?? message.SigningCertUrl;
  if (region === undefined || !isSnsCertificateUrl(certUrl, region)) return fail('untrusted_certificate_url');
  const signed = snsStringToSign(message);
  if (signed === undefined) return fail('malformed_message');
  const signatureBytes = decodeBase64(signature);
  if (signatureBytes === undefined) return fail('malformed_signature');
  let key: KeyObject;
  try {
    key = await input.getCertificateKey(certUrl);
  } catch {
    return fail('certificate_unavailable');
  }
  let valid = false;
  try {
    valid = verifySignature(algorithm, Buffer.from(signed, 'utf8'), key, signatureBytes);
  } catch {
    valid = false;
  }
  if (!valid) return fail('bad_signature');
  const subscribeUrl = typeof message.SubscribeURL === 'string' ? message.SubscribeURL : undefined;
  return {
    ok: true,
    message: { type: type as SnsMessageType, topicArn, messageId, subscribeUrl, envelope: signedEnvelope(message) },
  };
}

/** The message rebuilt from exactly the fields its signature covers (the keys `snsStringToSign` used). */
export function signedEnvelope(message: Readonly<Record<string, unknown>>): Record<string, string> {
  const keys = message.Type === 'Notification' ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  const envelope: Record<string, string> = {};
  for (const key of keys) {
    const value = message[key];
    if (typeof value === 'string') envelope[key] = value;
  }
  return envelope;
}
