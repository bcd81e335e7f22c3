import { createHmac } from 'node:crypto';
import { formObject } from '../shared/body.js';
import { fail, header, type RequestHeaders, safeEqualStrings, type VerifyFailure } from '../shared/verify.js';

/**
 * Mailchimp Transactional (Mandrill) webhook authentication (https://mailchimp.com/developer/transactional/
 * guides/track-respond-activity-webhooks/#authenticating-webhook-requests):
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

/**
 * On success, the parameters exactly as signed (a repeated key: its last value, as PHP reads it): the
 * ONLY thing the ingress maps. An earlier duplicate (`mandrill_events=<forged>&mandrill_events=<signed>`)
 * is not covered by the signature, so it must not reach a mapper.
 */
export type MandrillVerifyResult = { ok: true; params: Record<string, string> } | VerifyFailure;

export function verifyMandrill(input: MandrillVerifyInput): MandrillVerifyResult {
  const given = header(input.headers, MANDRILL_SIGNATURE_HEADER);
  if (given === undefined) return fail('missing_signature');
  const params = formObject(input.rawBody);
  const expected = mandrillSignature(input.webhookKey, input.url, params);
  return safeEqualStrings(given, expected) ? { ok: true, params } : fail('bad_signature');
}
