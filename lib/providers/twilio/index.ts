import { has } from '../shared/map.js';
import { secretOf } from '../secrets.js';
import type { Provider, SecretSpec } from '../types.js';
import { mapTwilio } from './map.js';
import { verifyTwilio } from './verify.js';

const AUTH_TOKEN = { variable: 'TWILIO_AUTH_TOKEN', key: 'twilioAuthToken', kind: 'text' } as const satisfies SecretSpec;

/** Twilio expects TwiML; an empty Response sends no reply SMS (https://www.twilio.com/docs/messaging/twiml). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Twilio Messaging webhooks (form bodies signed with HMAC-SHA1 over URL + parameters) and Event Streams. */
export const twilio = {
  name: 'twilio',
  map: mapTwilio,
  detect: {
    event: (p) =>
      (typeof p.type === 'string' && p.type.startsWith('com.twilio.')) || has(p, 'AccountSid') || has(p, 'MessageSid') || has(p, 'SmsSid') || has(p, 'OptOutType'),
  },
  webhook: {
    secrets: [AUTH_TOKEN],
    isEnabled: (secrets) => secretOf(secrets, AUTH_TOKEN) !== undefined,
    authenticate: (ctx) => verifyTwilio({ rawBody: ctx.rawBody, headers: ctx.headers, url: ctx.url, authToken: secretOf(ctx.secrets, AUTH_TOKEN)! }),
    signedBody: true,
    reply: { contentType: 'text/xml', body: EMPTY_TWIML },
  },
} satisfies Provider<'twilio'>;
