import { createHmac, randomBytes } from 'node:crypto';
import { JSON_CONTENT, sampleObject, sampleSeconds } from '../shared/sample.js';
import type { SampleSigner, SampleToSign, SignedSample } from '../types.js';

/**
 * `send-test mailgun`: `{signature: {timestamp, token, signature}, event-data}` with HMAC-SHA256 of
 * timestamp + a fresh token (Mailgun "Securing webhooks"). The sample is the event data, wrapped or not.
 */
function sign(sample: SampleToSign): SignedSample {
  const key = sample.secret('MAILGUN_WEBHOOK_SIGNING_KEY');
  const parsed = sampleObject(sample, 'mailgun');
  const eventData = 'event-data' in parsed ? parsed['event-data'] : parsed;
  const seconds = sampleSeconds(sample);
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', key.value)
    .update(seconds + token)
    .digest('hex');
  return {
    body: JSON.stringify({ signature: { timestamp: seconds, token, signature }, 'event-data': eventData }),
    headers: { ...JSON_CONTENT },
    signedAs: `HMAC-SHA256 of timestamp + fresh token with ${key.variable}`,
  };
}

export const signMailgunSample: SampleSigner = Object.assign(sign, {
  help: 'HMAC-SHA256(MAILGUN_WEBHOOK_SIGNING_KEY, timestamp + token), fresh token each time',
});
