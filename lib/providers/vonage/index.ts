import { has } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapVonage } from './map.js';
import { verifyVonage } from './verify.js';

const SIGNATURE_SECRET = { variable: 'VONAGE_SIGNATURE_SECRET', key: 'vonageSignatureSecret', kind: 'text' } as const satisfies SecretSpec;

/** Vonage SMS inbound messages and Messages API webhooks (signed parameters: md5hash or HMAC). */
export const vonage = {
  name: 'vonage',
  map: mapVonage,
  detect: { event: (p) => has(p, 'msisdn') || (p.channel === 'sms' && has(p, 'message_uuid')) },
  webhook: {
    secrets: [SIGNATURE_SECRET],
    isEnabled: (secrets) => secretOf(secrets, SIGNATURE_SECRET) !== undefined,
    authenticate(ctx) {
      const result = verifyVonage({
        rawBody: ctx.rawBody,
        headers: ctx.headers,
        signatureSecret: secretOf(ctx.secrets, SIGNATURE_SECRET)!,
        nowMs: ctx.nowMs,
        window: ctx.verification.vonageWindow,
        method: ctx.config.vonageSignatureMethod,
      });
      return result.ok ? { ok: true, signed: result.params } : result;
    },
    signedBody: true,
  },
} satisfies Provider<'vonage'>;
