import { secretOf } from '../secrets.js';
import type { SampleToSign, SecretSpec, SecretsView, SignedSample, WebhookSpec } from '../types.js';
import { JSON_CONTENT } from './sample.js';
import {
  decodeBase64,
  fail,
  header,
  type RequestHeaders,
  secretEquals,
  VERIFIED,
  type VerifyResult,
} from './verify.js';

/**
 * HTTP Basic authentication (RFC 7617) for the providers that do not sign their webhooks: Postmark
 * ("Use HTTP Basic auth", postmarkapp.com/developer/webhooks/webhooks-overview), SparkPost (basic auth
 * per webhook) and Brevo (basic auth in the URL). Credentials come from WEBHOOK_BASIC_AUTH (`user:pass`).
 *
 * Brevo can instead send `Authorization: Bearer <token>` (`auth: {type: "bearer", token}` on webhook
 * creation, developers.brevo.com/reference/create-webhook). With `acceptBearer` the password of
 * WEBHOOK_BASIC_AUTH is accepted as that token: it is the same shared secret, carried differently, and it
 * saves a second variable. Only Brevo sets `acceptBearer`; Postmark and SparkPost never send bearer tokens.
 */
export interface BasicVerifyInput {
  headers: RequestHeaders;
  user: string;
  pass: string;
  acceptBearer?: boolean;
}

export function verifyBasicAuth(input: BasicVerifyInput): VerifyResult {
  const authorization = header(input.headers, 'authorization');
  if (authorization === undefined) return fail('missing_credentials');
  const space = authorization.indexOf(' ');
  const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : authorization.slice(space + 1).trim();
  if (scheme === 'bearer' && input.acceptBearer) {
    return value !== '' && secretEquals(value, input.pass) ? VERIFIED : fail('bad_credentials');
  }
  if (scheme !== 'basic') return fail('missing_credentials');
  const decoded = decodeBase64(value)?.toString('utf8');
  const colon = decoded?.indexOf(':') ?? -1;
  if (decoded === undefined || colon < 0) return fail('bad_credentials');
  // Both halves are always compared, so the time taken does not reveal which one was wrong.
  const userOk = secretEquals(decoded.slice(0, colon), input.user);
  const passOk = secretEquals(decoded.slice(colon + 1), input.pass);
  return userOk && passOk ? VERIFIED : fail('bad_credentials');
}

/** WEBHOOK_BASIC_AUTH: the shared fallback of every basic-auth provider. */
export const SHARED_BASIC_AUTH = {
  variable: 'WEBHOOK_BASIC_AUTH',
  key: 'basicAuth',
  kind: 'basicAuth',
} as const satisfies SecretSpec;

/**
 * The webhook route of a provider that does not sign its webhooks: its own `<PROVIDER>_WEBHOOK_BASIC_AUTH`
 * credentials, else the shared WEBHOOK_BASIC_AUTH (listed after its own, so `npm start` names both).
 */
export function basicAuthWebhook<S extends SecretSpec<string, 'basicAuth'>>(
  own: S,
  options: { acceptBearer?: boolean } = {},
): WebhookSpec & { readonly secrets: readonly [S, typeof SHARED_BASIC_AUTH] } {
  const credentials = (secrets: SecretsView) => secretOf(secrets, own) ?? secretOf(secrets, SHARED_BASIC_AUTH);
  return {
    secrets: [own, SHARED_BASIC_AUTH] as const,
    isEnabled: (secrets) => credentials(secrets) !== undefined,
    authenticate(ctx) {
      const { user, pass } = credentials(ctx.secrets)!;
      return verifyBasicAuth({
        headers: ctx.headers,
        user,
        pass,
        ...(options.acceptBearer === true && { acceptBearer: true }),
      });
    },
    signedBody: false,
    sign: Object.assign(
      (sample: SampleToSign): SignedSample => {
        // `send-test`: the provider's own credentials, else the shared ones; a printed command names the
        // variable (`curl -u "$VAR"` sends the same header) and never shows the password.
        const credentials = sample.secret(own.variable, SHARED_BASIC_AUTH.variable);
        return {
          body: sample.body,
          headers: { ...JSON_CONTENT, authorization: `Basic ${Buffer.from(credentials.value).toString('base64')}` },
          signedAs: `basic auth from ${credentials.variable}`,
          printAs: { authorization: `-u "$${credentials.variable}"` },
        };
      },
      { help: `HTTP basic auth: ${own.variable}, else ${SHARED_BASIC_AUTH.variable} (user:pass)` },
    ),
  };
}
