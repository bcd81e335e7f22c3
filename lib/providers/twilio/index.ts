import { parseBody } from '../shared/body.js';
import { has } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapTwilio } from './map.js';
import { withSignedParams } from './signed-form.js';
import { verifyTwilio } from './verify.js';
import { signTwilioSample } from './sign.js';

const AUTH_TOKEN = {
  variable: 'TWILIO_AUTH_TOKEN',
  key: 'twilioAuthToken',
  kind: 'text',
} as const satisfies SecretSpec;
/** The secret of a webhook signing shared key (requests with X-Twilio-Webhooks-Signature-Settings). */
const SIGNING_KEY = {
  variable: 'TWILIO_WEBHOOK_SIGNING_KEY',
  key: 'twilioWebhookSigningKey',
  kind: 'text',
} as const satisfies SecretSpec;

/** Twilio expects TwiML; an empty Response sends no reply SMS (https://www.twilio.com/docs/messaging/twiml). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * Twilio Messaging webhooks (form bodies signed over URL + parameters: HMAC-SHA1 with the Auth Token, or
 * HMAC-SHA1/SHA-256 with a shared key) and Event Streams. Either secret enables the route.
 */
export const twilio = {
  name: 'twilio',
  map: mapTwilio,
  detect: {
    event: (p) =>
      (typeof p.type === 'string' && p.type.startsWith('com.twilio.')) ||
      has(p, 'AccountSid') ||
      has(p, 'MessageSid') ||
      has(p, 'SmsSid') ||
      has(p, 'OptOutType'),
  },
  detectPriority: { event: 110 },
  webhook: {
    secrets: [AUTH_TOKEN, SIGNING_KEY],
    isEnabled: (secrets) => secretOf(secrets, AUTH_TOKEN) !== undefined || secretOf(secrets, SIGNING_KEY) !== undefined,
    authenticate(ctx) {
      const { rawBody, headers, url } = ctx;
      const result = verifyTwilio({
        rawBody,
        headers,
        url,
        authToken: secretOf(ctx.secrets, AUTH_TOKEN),
        signingKey: secretOf(ctx.secrets, SIGNING_KEY),
      });
      if (!result.ok) return result;
      // A form is mapped with the parameters as signed, for the re-split check; JSON (bodySHA256) as it is.
      const parsed = result.form ? parseBody(rawBody, undefined) : undefined;
      return parsed?.ok && parsed.kind === 'form'
        ? { ok: true, signed: withSignedParams(parsed.payload as object, result.params) }
        : { ok: true };
    },
    signedBody: true,
    sign: signTwilioSample,
    reply: { contentType: 'text/xml', body: EMPTY_TWIML },
    // By default Twilio retries a webhook only when the connection fails, not on an HTTP 5xx answer (Twilio docs
    // "Webhooks connection overrides": the retry policy `rp` is opt-in per URL): a 5xx can lose that STOP.
    retriesServerErrors: false,
  },
} satisfies Provider<'twilio'>;
