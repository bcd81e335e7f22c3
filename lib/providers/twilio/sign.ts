import { FORM_CONTENT, sampleObject } from '../shared/sample.js';
import type { SampleSigner, SampleToSign, SignedSample } from '../types.js';
import { signedParams, TWILIO_SIGNATURE_HEADER, TWILIO_SIGNATURE_SETTINGS_HEADER, twilioSignature } from './verify.js';

/**
 * `send-test twilio`: the form signed as Twilio signs it (twilio docs "Webhooks security"): URL + every
 * parameter, names sorted and each distinct value of a repeated name sorted, as twilio-node validates.
 * With TWILIO_AUTH_TOKEN: HMAC-SHA1. With only TWILIO_WEBHOOK_SIGNING_KEY: HMAC-SHA256 and the
 * X-Twilio-Webhooks-Signature-Settings header a shared-key webhook carries (the key id is not checked).
 */
function sign(sample: SampleToSign): SignedSample {
  const secret = sample.secret('TWILIO_AUTH_TOKEN', 'TWILIO_WEBHOOK_SIGNING_KEY');
  const params = sample.body.startsWith('{')
    ? Object.entries(sampleObject(sample, 'twilio')).map(([k, v]): [string, string] => [k, String(v)])
    : [...new URLSearchParams(sample.body)];
  const sharedKey = secret.variable === 'TWILIO_WEBHOOK_SIGNING_KEY';
  const signature = twilioSignature(
    secret.value,
    sample.signedUrl,
    signedParams(params),
    sharedKey ? 'HMAC_SHA256' : 'HMAC_SHA1',
  );
  return {
    body: new URLSearchParams(params).toString(),
    headers: {
      ...FORM_CONTENT,
      [TWILIO_SIGNATURE_HEADER]: signature,
      ...(sharedKey && { [TWILIO_SIGNATURE_SETTINGS_HEADER]: 'key=send-test,algorithm=HMAC_SHA256' }),
    },
    signedAs: `${sharedKey ? 'HMAC-SHA256' : 'HMAC-SHA1'} of ${sample.signedUrl} + parameters with ${secret.variable}`,
    refusedHint:
      "this shell's secret differs from the pipeline's, or the signed URL does: set the same WEBHOOK_PUBLIC_URL.",
  };
}

export const signTwilioSample: SampleSigner = Object.assign(sign, {
  help:
    'HMAC-SHA1(TWILIO_AUTH_TOKEN, URL + sorted form parameters) (X-Twilio-Signature), or with only\n' +
    'TWILIO_WEBHOOK_SIGNING_KEY set, HMAC-SHA256 with that shared key\n' +
    '(X-Twilio-Webhooks-Signature-Settings)',
});
