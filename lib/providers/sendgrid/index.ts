import { has } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapSendgrid } from './map.js';
import { loadSendgridPublicKey, verifySendgrid } from './verify.js';
import { signSendgridSample } from './sign.js';

const PUBLIC_KEY = {
  variable: 'SENDGRID_WEBHOOK_PUBLIC_KEY',
  key: 'sendgridPublicKey',
  kind: 'text',
  check: (value: string) =>
    loadSendgridPublicKey(value) === undefined
      ? 'is not an EC P-256 public key (base64 DER SubjectPublicKeyInfo, or PEM)'
      : undefined,
} as const satisfies SecretSpec<string, 'text'>;

/** SendGrid Event Webhook: JSON arrays of events, signed with ECDSA P-256 (Signed Event Webhook). */
export const sendgrid = {
  name: 'sendgrid',
  map: mapSendgrid,
  detect: {
    ids: (p) => typeof p.event === 'string' && (has(p, 'sg_event_id') || has(p, 'sg_message_id') || has(p, 'smtp-id')),
    // SendGrid always posts arrays; Brevo posts single objects unless batched.
    batchEmail: (p, inBatch) => typeof p.event === 'string' && has(p, 'email') && inBatch,
  },
  detectPriority: { ids: 140, batchEmail: 170 },
  eventIdExample: 'a SendGrid sg_event_id',
  webhook: {
    secrets: [PUBLIC_KEY],
    isEnabled: (secrets) => secretOf(secrets, PUBLIC_KEY) !== undefined,
    authenticate: (ctx) =>
      verifySendgrid({
        rawBody: ctx.rawBody,
        headers: ctx.headers,
        publicKey: secretOf(ctx.secrets, PUBLIC_KEY)!,
        nowMs: ctx.nowMs,
        toleranceMs: ctx.window?.maxAgeMs,
      }),
    signedBody: true,
    sign: signSendgridSample,
    // SendGrid signs with its own private key; the deployed stack holds only SendGrid's public key.
    testFromProvider:
      'SendGrid signs with its own private key, so no local signature can reach a deployed stack. In SendGrid: ' +
      'Settings → Mail Settings → Event Webhooks → your webhook → "Test Integration" (or POST ' +
      '/v3/user/webhooks/event/test with your API key) sends a signed test event to the URL below.',
  },
} satisfies Provider<'sendgrid'>;
