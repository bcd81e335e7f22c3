import { ReplayCache } from '../shared/replay.js';
import { header } from '../shared/verify.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapResend } from './map.js';
import { SVIX_DEFAULT_TOLERANCE_MS, svixKey, verifySvix } from './verify.js';
import { signResendSample } from './sign.js';

const SECRET = {
  variable: 'RESEND_WEBHOOK_SECRET',
  key: 'resendSecret',
  kind: 'text',
  check: (value: string) => (svixKey(value) === undefined ? 'is not a "whsec_<base64>" signing secret' : undefined),
} as const satisfies SecretSpec<string, 'text'>;

/** Svix message ids handled by this instance, when no shared replay store is configured. */
const svixReplayCache = new ReplayCache({ maxEntries: 50_000, ttlMs: 2 * SVIX_DEFAULT_TOLERANCE_MS });

/** Resend webhooks, signed by Svix. */
export const resend = {
  name: 'resend',
  map: mapResend,
  detect: { type: (p) => typeof p.type === 'string' && /^(email|contact|suppression|domain)\./u.test(p.type) },
  detectPriority: { type: 100 },
  webhook: {
    secrets: [SECRET],
    isEnabled: (secrets) => secretOf(secrets, SECRET) !== undefined,
    replayCache: svixReplayCache,
    async authenticate(ctx) {
      const toleranceMs = ctx.window?.maxAgeMs;
      const result = verifySvix({
        rawBody: ctx.rawBody,
        headers: ctx.headers,
        secret: secretOf(ctx.secrets, SECRET)!,
        nowMs: ctx.nowMs,
        toleranceMs,
      });
      if (!result.ok) return result;
      // Svix keeps a message's id across delivery attempts and signs each attempt anew, so the id is the
      // deduplication key (https://docs.svix.com/idempotency, "Receiving idempotency (deduplication)"):
      // an id already handled is a duplicate delivery. Claimed for twice the window: older copies fail the
      // timestamp check anyway.
      const key = `svix:${header(ctx.headers, 'svix-id') ?? header(ctx.headers, 'webhook-id')}`;
      const ttl = 2 * (toleranceMs ?? SVIX_DEFAULT_TOLERANCE_MS);
      if (!(await ctx.replayStore().claim(key, ttl))) return { ok: true, duplicate: true };
      return { ok: true, claimedKey: key };
    },
    signedBody: true,
    sign: signResendSample,
  },
} satisfies Provider<'resend'>;
