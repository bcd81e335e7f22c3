import { has } from '../shared/map.js';
import { secretOf, settingOf } from '../secrets.js';
import type { Authentication, Provider } from '../types.js';
import { mapVonage } from './map.js';
import { hasBearerToken, verifyVonageJwt } from './jwt.js';
import { VONAGE_DEFAULT_WINDOW, verifyVonage } from './verify.js';
import { signVonageSample } from './sign.js';
import { SETTINGS, SIGNATURE_SECRET } from './settings.js';

/**
 * "In the rare case of an internal error, it is possible that the callback service will send an unsigned
 * callback. By returning an HTTP 5xx response, a retry will be triggered giving the system time to resolve
 * the error and sign future callbacks" (Vonage, Messages API "Signed webhooks"). A 401 would end the
 * delivery (Vonage retries only 429 and 5xx answers) and lose a STOP; nothing unsigned is ever mapped.
 */
const UNSIGNED_RETRY: Authentication = {
  ok: true,
  answer: {
    statusCode: 503,
    body: { error: 'unavailable', reason: 'unsigned_callback' },
    log: {
      level: 'warn',
      message: 'Vonage webhook without a signature: answered 503 so that Vonage retries it signed',
      fields: { reason: 'missing_signature' },
    },
  },
};

/**
 * Vonage SMS API webhooks (signed parameters `sig`: md5hash or HMAC) and Messages API webhooks
 * (`Authorization: Bearer` HS256 JWT whose `payload_hash` binds the body), both with the signature secret.
 */
export const vonage = {
  name: 'vonage',
  map: mapVonage,
  detect: { event: (p) => has(p, 'msisdn') || (p.channel === 'sms' && has(p, 'message_uuid')) },
  detectPriority: { event: 120 },
  webhook: {
    secrets: [SIGNATURE_SECRET],
    isEnabled: (secrets) => secretOf(secrets, SIGNATURE_SECRET) !== undefined,
    settings: SETTINGS,
    authenticate(ctx) {
      const signatureSecret = secretOf(ctx.secrets, SIGNATURE_SECRET)!;
      const parameters = (): Authentication => {
        const result = verifyVonage({
          rawBody: ctx.rawBody,
          headers: ctx.headers,
          signatureSecret,
          nowMs: ctx.nowMs,
          window: ctx.window,
          method: settingOf(ctx.settings, SETTINGS)?.signatureMethod,
        });
        // Only the signed parameters are mapped: an unsigned nested `from: {number}` never names a contact.
        return result.ok ? { ok: true, signed: result.params } : result;
      };
      let result: Authentication;
      if (hasBearerToken(ctx.headers)) {
        // The token's payload_hash covers the whole body, so the ingress maps the body as it is. A request
        // whose token fails may still carry a valid `sig`: each proves the secret on its own.
        const window = ctx.window ?? VONAGE_DEFAULT_WINDOW;
        const { rawBody, headers, nowMs } = ctx;
        const jwt = verifyVonageJwt({ rawBody, headers, signatureSecret, nowMs, window });
        if (jwt.ok) return jwt;
        const sig = parameters();
        result = sig.ok || sig.reason !== 'missing_signature' ? sig : jwt;
      } else {
        result = parameters();
      }
      return !result.ok && result.reason === 'missing_signature' ? UNSIGNED_RETRY : result;
    },
    signedBody: true,
    sign: signVonageSample,
  },
} satisfies Provider<'vonage'>;
