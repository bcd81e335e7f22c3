import { has } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapGeneric } from './map.js';
import { verifyBearer } from './verify.js';
import { signGenericSample } from './sign.js';

/** `npm start` generates one when unset (and prints it). */
const TOKEN = {
  variable: 'GENERIC_WEBHOOK_TOKEN',
  key: 'genericToken',
  kind: 'text',
  generatedLocally: true,
} as const satisfies SecretSpec;

/** The company's own apps: one normalised block request or an array, `Authorization: Bearer`. */
export const generic = {
  name: 'generic',
  map: mapGeneric,
  detect: { contact: (p) => has(p, 'contact') },
  detectPriority: { contact: 190 },
  webhook: {
    secrets: [TOKEN],
    isEnabled: (secrets) => secretOf(secrets, TOKEN) !== undefined,
    authenticate: (ctx) => verifyBearer({ headers: ctx.headers, token: secretOf(ctx.secrets, TOKEN)! }),
    signedBody: false,
    sign: signGenericSample,
    rejectsUnusableBody: true,
  },
} satisfies Provider<'generic'>;
