import { has, isRecord } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { isMandrillSyncEvent, mapMandrill } from './map.js';
import { verifyMandrill } from './verify.js';
import { signMandrillSample } from './sign.js';

const WEBHOOK_KEY = {
  variable: 'MANDRILL_WEBHOOK_KEY',
  key: 'mandrillKey',
  kind: 'text',
} as const satisfies SecretSpec;

/** Mandrill (Mailchimp Transactional) webhooks: `mandrill_events` form field, HMAC-SHA1 over URL + parameters. */
export const mandrill = {
  name: 'mandrill',
  map: mapMandrill,
  detect: {
    batch: (p) => has(p, 'mandrill_events'),
    // Message events carry `msg`; sync events (any of their shapes, map.ts) a `reject` or `entry` or a list `type`.
    event: (p) =>
      (typeof p.event === 'string' && isRecord(p.msg)) ||
      (isMandrillSyncEvent(p) && (isRecord(p.reject) || isRecord(p.entry) || typeof p.type === 'string')),
  },
  detectPriority: { batch: 10, event: 130 },
  webhook: {
    secrets: [WEBHOOK_KEY],
    isEnabled: (secrets) => secretOf(secrets, WEBHOOK_KEY) !== undefined,
    authenticate(ctx) {
      const result = verifyMandrill({
        rawBody: ctx.rawBody,
        headers: ctx.headers,
        url: ctx.url,
        webhookKey: secretOf(ctx.secrets, WEBHOOK_KEY)!,
      });
      return result.ok ? { ok: true, signed: result.params } : result;
    },
    signedBody: true,
    sign: signMandrillSample,
  },
} satisfies Provider<'mandrill'>;
