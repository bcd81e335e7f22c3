import { basicAuthWebhook } from '../shared/basic-auth.js';
import type { Provider, SecretSpec } from '../types.js';
import { isLegacyBounce, mapPostmark } from './map.js';

const BASIC_AUTH = {
  variable: 'POSTMARK_WEBHOOK_BASIC_AUTH',
  key: 'postmarkBasicAuth',
  kind: 'basicAuth',
} as const satisfies SecretSpec;

/** Postmark webhooks (one event per request, `RecordType`, or an older bounce without it); HTTP Basic credentials. */
export const postmark = {
  name: 'postmark',
  map: mapPostmark,
  detect: { recordType: (p) => typeof p.RecordType === 'string', legacyBounce: isLegacyBounce },
  detectPriority: { recordType: 80, legacyBounce: 90 },
  webhook: basicAuthWebhook(BASIC_AUTH),
} satisfies Provider<'postmark'>;
