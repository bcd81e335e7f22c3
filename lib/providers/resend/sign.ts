import { createHmac, randomUUID } from 'node:crypto';
import { JSON_CONTENT, sampleSeconds } from '../shared/sample.js';
import type { SampleSigner, SampleToSign, SignedSample } from '../types.js';

/** `send-test resend`: Svix v1, HMAC-SHA256 of `id.timestamp.body` (docs.svix.com "Verifying manually"). */
function sign(sample: SampleToSign): SignedSample {
  const secret = sample.secret('RESEND_WEBHOOK_SECRET');
  const key = Buffer.from(secret.value.replace(/^whsec_/u, ''), 'base64');
  const seconds = sampleSeconds(sample);
  const id = `msg_${randomUUID().replace(/-/gu, '')}`;
  const signature = createHmac('sha256', key).update(`${id}.${seconds}.${sample.body}`, 'utf8').digest('base64');
  return {
    body: sample.body,
    headers: { ...JSON_CONTENT, 'svix-id': id, 'svix-timestamp': seconds, 'svix-signature': `v1,${signature}` },
    signedAs: `Svix v1 HMAC-SHA256 with ${secret.variable}`,
  };
}

export const signResendSample: SampleSigner = Object.assign(sign, {
  help: 'Svix: HMAC-SHA256(RESEND_WEBHOOK_SECRET, id.timestamp.body) (svix-* headers)',
});
