import { sign as ecdsaSign } from 'node:crypto';
import { JSON_CONTENT, sampleSeconds } from '../shared/sample.js';
import type { SampleSigner, SampleToSign, SignedSample } from '../types.js';

/**
 * `send-test sendgrid`: ECDSA P-256/SHA-256 over timestamp + body (SendGrid "Event Webhook security
 * features"). Only SendGrid holds its private key, so the sample is signed with a local test pair whose
 * public half the pipeline must be started with.
 */
function sign(sample: SampleToSign): SignedSample {
  const { key, description } = sample.privateKey();
  const seconds = sampleSeconds(sample);
  const signature = ecdsaSign('sha256', Buffer.concat([Buffer.from(seconds), Buffer.from(sample.body)]), key).toString(
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

export const signSendgridSample: SampleSigner = Object.assign(sign, {
  help:
    'ECDSA P-256/SHA-256 over timestamp + body (X-Twilio-Email-Event-Webhook-Signature). Only\n' +
    'SendGrid holds the private key, so a local test uses a key pair generated here: start the\n' +
    'pipeline with its public half (printed) as SENDGRID_WEBHOOK_PUBLIC_KEY',
});
