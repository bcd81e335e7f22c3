import { sign } from 'node:crypto';
import { JSON_CONTENT, sampleSeconds } from '../shared/sample.js';
import type { SampleToSign, SignedSample } from '../types.js';

/**
 * `send-test sendgrid`: ECDSA P-256/SHA-256 over timestamp + body (SendGrid "Event Webhook security
 * features"). Only SendGrid holds its private key, so the sample is signed with a local test pair whose
 * public half the pipeline must be started with.
 */
export function signSendgridSample(sample: SampleToSign): SignedSample {
  const { key, description } = sample.privateKey();
  const seconds = sampleSeconds(sample);
  const signature = sign('sha256', Buffer.concat([Buffer.from(seconds), Buffer.from(sample.body)]), key).toString(
    'base64',
  );
  return {
    body: sample.body,
    headers: {
      ...JSON_CONTENT,
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': seconds,
    },
    signedAs: `ECDSA P-256 with ${description}`,
    refusedHint: 'the pipeline checks another public key: start it with the SENDGRID_WEBHOOK_PUBLIC_KEY printed above.',
  };
}
