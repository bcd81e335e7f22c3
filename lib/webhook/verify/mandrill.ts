import { createHmac } from 'node:crypto';
import { formObject } from '../body.js';
import { fail, header, type RequestHeaders, safeEqualStrings, VERIFIED, type VerifyResult } from './common.js';

/**
 * Mailchimp Transactional (Mandrill) webhook authentication (https://mailchimp.com/developer/transactional/
 * guides/track-respond-activity-webhooks/#authenticating-webhook-requests; research/event-sources.md §7.2):
 * X-Mandrill-Signature = base64(HMAC-SHA1(webhookKey, url + Σ sorted POST keys (key + value))).
 * The URL is the one configured in Mandrill, byte for byte, including any basic-auth credentials
 * (anymail issue #48) — set WEBHOOK_PUBLIC_URL accordingly. Mandrill's reference code is PHP
 * (`ksort($_POST)`), where a repeated key keeps its last value; `formObject` does the same.
 */
export const MANDRILL_SIGNATURE_HEADER = 'x-mandrill-signature';

export interface MandrillVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  url: string;
  webhookKey: string;
}

export function mandrillSignature(webhookKey: string, url: string, params: Readonly<Record<string, string>>): string {
  let data = url;
  for (const key of Object.keys(params).sort()) data += key + params[key];
  return createHmac('sha1', webhookKey).update(data, 'utf8').digest('base64');
}

export function verifyMandrill(input: MandrillVerifyInput): VerifyResult {
  const given = header(input.headers, MANDRILL_SIGNATURE_HEADER);
  if (given === undefined) return fail('missing_signature');
  const expected = mandrillSignature(input.webhookKey, input.url, formObject(input.rawBody));
  return safeEqualStrings(given, expected) ? VERIFIED : fail('bad_signature');
}
