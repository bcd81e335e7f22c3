import { has } from '../shared/map.js';
import { basicAuthWebhook } from '../shared/basic-auth.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapBrevo } from './map.js';

const BASIC_AUTH = {
  variable: 'BREVO_WEBHOOK_BASIC_AUTH',
  key: 'brevoBasicAuth',
  kind: 'basicAuth',
} as const satisfies SecretSpec;

/**
 * Brevo transactional and marketing webhooks; HTTP Basic credentials in the URL, or the password as a Bearer
 * token (`auth: {type: "bearer"}`, https://developers.brevo.com/reference/create-webhook).
 */
export const brevo = {
  name: 'brevo',
  map: mapBrevo,
  detect: {
    fields: (p) =>
      typeof p.event === 'string' &&
      (has(p, 'message-id') || has(p, 'ts_epoch') || has(p, 'ts_event') || has(p, 'X-Mailin-custom')),
    // Brevo posts single objects unless batched; SendGrid always posts arrays.
    email: (p, inBatch) => typeof p.event === 'string' && has(p, 'email') && !inBatch,
  },
  detectPriority: { fields: 160, email: 180 },
  webhook: basicAuthWebhook(BASIC_AUTH, { acceptBearer: true }),
} satisfies Provider<'brevo'>;
