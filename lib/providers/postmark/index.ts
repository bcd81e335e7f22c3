import { basicAuthWebhook } from '../shared/basic-auth.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapPostmark } from './map.js';

const BASIC_AUTH = { variable: 'POSTMARK_WEBHOOK_BASIC_AUTH', key: 'postmarkBasicAuth', kind: 'basicAuth' } as const satisfies SecretSpec;

/** Postmark webhooks (one event per request, `RecordType`); HTTP Basic credentials in the webhook URL. */
export const postmark = {
  name: 'postmark',
  map: mapPostmark,
  detect: { recordType: (p) => typeof p.RecordType === 'string' },
  webhook: basicAuthWebhook(BASIC_AUTH),
} satisfies Provider<'postmark'>;
