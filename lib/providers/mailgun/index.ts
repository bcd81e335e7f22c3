import { has } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapMailgun } from './map.js';
import { MAILGUN_DEFAULT_WINDOW, mailgunReplayCache, verifyMailgun } from './verify.js';
import { signMailgunSample } from './sign.js';

const SIGNING_KEY = {
  variable: 'MAILGUN_WEBHOOK_SIGNING_KEY',
  key: 'mailgunSigningKey',
  kind: 'text',
} as const satisfies SecretSpec;

/** Mailgun tokens stay claimed for the whole window in which their timestamp is accepted. */
const MAILGUN_TOKEN_TTL_MS = MAILGUN_DEFAULT_WINDOW.maxAgeMs + MAILGUN_DEFAULT_WINDOW.maxFutureMs;

/** Mailgun webhooks: `{signature, event-data}` JSON (or legacy forms), HMAC-SHA256 with a single-use token. */
export const mailgun = {
  name: 'mailgun',
  map: mapMailgun,
  detect: {
    eventData: (p) => has(p, 'event-data'),
    // Mailgun's bare event-data and legacy form posts say `recipient`; SendGrid and Brevo say `email`.
    recipient: (p) => typeof p.event === 'string' && has(p, 'recipient'),
  },
  detectPriority: { eventData: 70, recipient: 150 },
  webhook: {
    secrets: [SIGNING_KEY],
    isEnabled: (secrets) => secretOf(secrets, SIGNING_KEY) !== undefined,
    replayCache: mailgunReplayCache,
    async authenticate(ctx) {
      const window = ctx.window;
      const result = verifyMailgun({
        rawBody: ctx.rawBody,
        headers: ctx.headers,
        signingKey: secretOf(ctx.secrets, SIGNING_KEY)!,
        nowMs: ctx.nowMs,
        window,
        replayCache: false,
      });
      if (!result.ok) return result;
      // Only authentic tokens are claimed, so an attacker cannot fill the store to evict real ones.
      const ttl = Math.max(MAILGUN_TOKEN_TTL_MS, (window?.maxAgeMs ?? 0) + (window?.maxFutureMs ?? 0));
      const key = `mailgun:${result.token}`;
      if (!(await ctx.replayStore().claim(key, ttl))) return { ok: false, reason: 'replayed' };
      return { ok: true, claimedKey: key };
    },
    signedBody: false,
    sign: signMailgunSample,
  },
} satisfies Provider<'mailgun'>;
