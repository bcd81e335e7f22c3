import { createHmac } from 'node:crypto';
import { FORM_CONTENT } from '../shared/sample.js';
import type { SampleSigner, SampleToSign, SignedSample } from '../types.js';

/**
 * `send-test mandrill`: HMAC-SHA1 of the URL + `mandrill_events` + its value, base64 (Mailchimp Transactional
 * "Authenticating webhook requests"). The sample is the events array (JSON) or a `mandrill_events=` form.
 */
function sign(sample: SampleToSign): SignedSample {
  const key = sample.secret('MANDRILL_WEBHOOK_KEY');
  const events = sample.body.startsWith('mandrill_events=')
    ? (new URLSearchParams(sample.body).get('mandrill_events') ?? '[]')
    : sample.body;
  const signature = createHmac('sha1', key.value)
    .update(`${sample.signedUrl}mandrill_events${events}`, 'utf8')
    .digest('base64');
  return {
    body: new URLSearchParams({ mandrill_events: events }).toString(),
    headers: { ...FORM_CONTENT, 'x-mandrill-signature': signature },
    signedAs: `HMAC-SHA1 of ${sample.signedUrl} + parameters with ${key.variable}`,
    refusedHint:
      "this shell's secret differs from the pipeline's, or the signed URL does: set the same WEBHOOK_PUBLIC_URL.",
  };
}

export const signMandrillSample: SampleSigner = Object.assign(sign, {
  help: 'HMAC-SHA1(MANDRILL_WEBHOOK_KEY, URL + sorted form parameters) (X-Mandrill-Signature)',
});
