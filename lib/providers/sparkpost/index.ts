import { has } from '../shared/map.js';
import { basicAuthWebhook } from '../shared/basic-auth.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapSparkpost } from './map.js';

const BASIC_AUTH = {
  variable: 'SPARKPOST_WEBHOOK_BASIC_AUTH',
  key: 'sparkpostBasicAuth',
  kind: 'basicAuth',
} as const satisfies SecretSpec;

/** SparkPost webhooks (`[{msys: {…}}]` batches); HTTP Basic credentials per webhook. */
export const sparkpost = {
  name: 'sparkpost',
  map: mapSparkpost,
  detect: { msys: (p) => has(p, 'msys') },
  detectPriority: { msys: 60 },
  webhook: basicAuthWebhook(BASIC_AUTH),
} satisfies Provider<'sparkpost'>;
