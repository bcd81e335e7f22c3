import { parse as parseQuery } from 'node:querystring';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../cli/send-test.js';
import {
  TWILIO_SIGNATURE_HEADER,
  TWILIO_SIGNATURE_SETTINGS_HEADER,
  verifyTwilio,
} from '../../lib/providers/twilio/verify.js';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { signedString } from '../lib/providers/twilio-requests.js';
import { harness, PUBLIC_URL, request, SECRETS, testConfig } from '../lib/webhook/harness.js';

/**
 * Twilio interop, both directions, against twilio-node 6.3.1 (`twilio.getExpectedTwilioSignature`,
 * `twilio.validateRequest`, `twilio.getSignatureAlgorithm`), no network:
 * - what the SDK signs (Auth Token + HMAC-SHA1, or a shared key with HMAC-SHA1/SHA-256 and the
 *   X-Twilio-Webhooks-Signature-Settings header) the webhook accepts, and any one-byte change of the body
 *   gets the SDK's own answer;
 * - what `send-test twilio` signs (repeated fields included) the SDK's validator accepts;
 * - for URLs with a query string, the verifier accepts exactly the URL forms the SDK accepts.
 * Parameters are handed to the SDK parsed as Express's `urlencoded()` parses them (Node's querystring).
 */
const AUTH_TOKEN = SECRETS.TWILIO_AUTH_TOKEN;
const SIGNING_KEY = 'twilio-shared-key-secret-for-tests';
const URL = `${PUBLIC_URL}/webhooks/twilio`;
const FORM = 'application/x-www-form-urlencoded';
type SdkParams = Record<string, string | string[]>;

/** A body as Express would hand it to twilio-node. */
const sdkParams = (body: string): SdkParams => ({ ...parseQuery(body) }) as SdkParams;

/** What Twilio signs after the URL, for a body as the SDK reads it. */
const signedOf = (body: string) =>
  signedString(
    Object.entries(sdkParams(body)).flatMap(([n, v]) =>
      (Array.isArray(v) ? v : [v]).map((x): [string, string] => [n, x]),
    ),
  );

function formOf(params: SdkParams): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
  return form.toString();
}

const STOP: SdkParams = {
  AccountSid: `AC${'0'.repeat(31)}1`,
  ApiVersion: '2010-04-01',
  Body: 'STOP',
  From: '+14155550100',
  MessageSid: `SM${'0'.repeat(31)}1`,
  NumMedia: '0',
  SmsStatus: 'received',
  To: '+14155550000',
};

async function post(body: string, headers: Record<string, string>, env: Record<string, string> = {}) {
  const h = harness({ config: testConfig({ TWILIO_WEBHOOK_SIGNING_KEY: SIGNING_KEY, ...env }) });
  const response = await handleWebhook(request('twilio', body, { 'content-type': FORM, ...headers }), h.deps);
  return {
    status: response.statusCode,
    queued: h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact),
  };
}

describe('twilio-node signs, the webhook accepts', () => {
  it.each([
    ['the Auth Token, HMAC-SHA1', AUTH_TOKEN, undefined],
    ['a shared key, HMAC-SHA256', SIGNING_KEY, 'key=webhooks_sharedkey_0001,algorithm=HMAC_SHA256'],
    ['a shared key, HMAC-SHA1', SIGNING_KEY, 'key=webhooks_sharedkey_0001,algorithm=HMAC_SHA1'],
    ['a shared key, no algorithm named (HMAC-SHA1)', SIGNING_KEY, 'key=webhooks_sharedkey_0001'],
  ])('queues a STOP signed with %s', async (_, secret, settings) => {
    // Prepare
    const signature = twilio.getExpectedTwilioSignature(secret, URL, STOP, twilio.getSignatureAlgorithm(settings));
    const headers = {
      [TWILIO_SIGNATURE_HEADER]: signature,
      ...(settings !== undefined && { [TWILIO_SIGNATURE_SETTINGS_HEADER]: settings }),
    };

    // Act
    const result = await post(formOf(STOP), headers);

    // Assess
    expect(result).toEqual({ status: 200, queued: ['+14155550100'] });
  });

  it('accepts a shared-key webhook with TWILIO_WEBHOOK_SIGNING_KEY alone (no Auth Token)', async () => {
    // Prepare
    const settings = 'key=webhooks_sharedkey_0001,algorithm=HMAC_SHA256';
    const signature = twilio.getExpectedTwilioSignature(SIGNING_KEY, URL, STOP, 'HMAC_SHA256');
    const h = harness({
      config: testConfig({ TWILIO_AUTH_TOKEN: undefined, TWILIO_WEBHOOK_SIGNING_KEY: SIGNING_KEY }),
    });

    // Act
    const response = await handleWebhook(
      request('twilio', formOf(STOP), {
        'content-type': FORM,
        [TWILIO_SIGNATURE_HEADER]: signature,
        [TWILIO_SIGNATURE_SETTINGS_HEADER]: settings,
      }),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.queued).toHaveLength(1);
  });

  it('refuses a shared-key signature presented without the settings header, and the reverse', async () => {
    // Prepare
    const sharedKeySigned = twilio.getExpectedTwilioSignature(SIGNING_KEY, URL, STOP, 'HMAC_SHA256');
    const tokenSigned = twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL, STOP);

    // Act
    const withoutSettings = await post(formOf(STOP), { [TWILIO_SIGNATURE_HEADER]: sharedKeySigned });
    const withSettings = await post(formOf(STOP), {
      [TWILIO_SIGNATURE_HEADER]: tokenSigned,
      [TWILIO_SIGNATURE_SETTINGS_HEADER]: 'algorithm=HMAC_SHA1',
    });

    // Assess
    expect(withoutSettings.status).toBe(401);
    expect(withSettings.status).toBe(401);
  });

  it('refuses an algorithm twilio-node does not know', async () => {
    // Prepare
    const signature = twilio.getExpectedTwilioSignature(SIGNING_KEY, URL, STOP, 'HMAC_SHA256');

    // Act
    const result = await post(formOf(STOP), {
      [TWILIO_SIGNATURE_HEADER]: signature,
      [TWILIO_SIGNATURE_SETTINGS_HEADER]: 'algorithm=HMAC_SHA512',
    });

    // Assess
    expect(result.status).toBe(401);
  });

  it('answers any one-byte change of the body as the SDK does (a change to what is signed is refused)', async () => {
    const body = formOf({ ...STOP, MediaUrl0: "https://example.com/a?b=c&d='e'" });
    const secrets = fc.constantFrom<[string, string | undefined]>(
      [AUTH_TOKEN, undefined],
      [SIGNING_KEY, 'algorithm=HMAC_SHA256'],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: body.length - 1 }),
        fc.integer({ min: 0x20, max: 0x7e }),
        secrets,
        async (at, byte, [secret, settings]) => {
          // Prepare
          const algorithm = twilio.getSignatureAlgorithm(settings);
          const signature = twilio.getExpectedTwilioSignature(secret, URL, sdkParams(body), algorithm);
          const changed = body.slice(0, at) + String.fromCharCode(byte) + body.slice(at + 1);
          const headers = {
            [TWILIO_SIGNATURE_HEADER]: signature,
            ...(settings !== undefined && { [TWILIO_SIGNATURE_SETTINGS_HEADER]: settings }),
          };

          // Act
          const ours = await post(changed, headers);
          const sdk = twilio.validateRequest(secret, signature, URL, sdkParams(changed), algorithm);

          // Assess
          expect(ours.status !== 401).toBe(sdk);
          if (signedOf(changed) !== signedOf(body)) expect(ours.status).toBe(401);
        },
      ),
      { numRuns: 150 },
    );
  });
});

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** `hood-blocker send-test twilio` signing `payload` with the variables in `env`. */
function sendTestSign(payload: string, env: Record<string, string>, url = URL) {
  const io = { stdout: sink(), stderr: sink(), stdin: process.stdin, env };
  return signRequest({
    provider: 'twilio',
    url,
    payload,
    env,
    now: Date.now(),
    keyFile: '/nonexistent',
    io,
    json: false,
    generatedToken: undefined,
  });
}

describe('send-test signs, twilio-node accepts', () => {
  it('signs repeated fields as Twilio does (values sorted), which the SDK and the webhook accept', async () => {
    // Prepare: body order is not sorted order.
    const payload = 'To=%2B14155550000&From=%2B14155550100&Body=STOP&MediaUrl0=b&MediaUrl0=a&Tag=z&Tag=y&Tag=z';

    // Act
    const signed = sendTestSign(payload, { TWILIO_AUTH_TOKEN: AUTH_TOKEN });

    // Assess
    expect(
      twilio.validateRequest(AUTH_TOKEN, signed.headers[TWILIO_SIGNATURE_HEADER]!, URL, sdkParams(signed.body)),
    ).toBe(true);
    expect((await post(signed.body, signed.headers)).status).toBe(200);
  });

  it('signs with the shared key and HMAC-SHA256 when only TWILIO_WEBHOOK_SIGNING_KEY is set', () => {
    // Act
    const signed = sendTestSign(formOf(STOP), { TWILIO_WEBHOOK_SIGNING_KEY: SIGNING_KEY });
    const settings = signed.headers[TWILIO_SIGNATURE_SETTINGS_HEADER];

    // Assess
    expect(twilio.getSignatureAlgorithm(settings)).toBe('HMAC_SHA256');
    expect(
      twilio.validateRequest(
        SIGNING_KEY,
        signed.headers[TWILIO_SIGNATURE_HEADER]!,
        URL,
        sdkParams(signed.body),
        'HMAC_SHA256',
      ),
    ).toBe(true);
  });

  it('for any parameters, repeated or not, the SDK accepts what send-test signs', () => {
    // Few names, so that most bodies repeat some (with values in any order).
    const name = fc.oneof(
      fc.constantFrom('Body', 'From', 'MediaUrl0', 'Tag', 'tag'),
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/u),
    );
    const value = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 12 }), (pairs) => {
        // Prepare
        const payload = new URLSearchParams(pairs).toString();

        // Act
        const signed = sendTestSign(payload, { TWILIO_AUTH_TOKEN: AUTH_TOKEN });

        // Assess
        expect(
          twilio.validateRequest(AUTH_TOKEN, signed.headers[TWILIO_SIGNATURE_HEADER]!, URL, sdkParams(signed.body)),
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('URL forms: the verifier accepts exactly what twilio-node accepts', () => {
  const queryChar = fc.constantFrom(
    'a',
    'Z',
    '0',
    "'",
    '+',
    '%20',
    '%27',
    '%2B',
    ' ',
    '=',
    '&',
    '~',
    '!',
    '*',
    '(',
    ')',
    '%C3%A9',
    'é',
  );
  const query = fc.array(queryChar, { minLength: 1, maxLength: 12 }).map((c) => c.join(''));
  const port = fc.constantFrom('', ':443', ':8443');
  /** How a Twilio back end may have written the URL it signed, per twilio-node's candidates. */
  const signedForm = fc.constantFrom<(url: string) => string>(
    (u) => u,
    (u) => new globalThis.URL(u).toString(),
    (u) => {
      const n = new globalThis.URL(u).toString();
      const q = n.indexOf('?');
      return q < 0 ? n : `${n.slice(0, q)}?${new URLSearchParams(n.slice(q + 1)).toString().replace(/\+/gu, '%20')}`;
    },
    (u) => u.replace('https://hooks.example.com', 'https://hooks.example.com:443'),
  );

  it('for any query string, port and form the signer wrote it in', () => {
    fc.assert(
      fc.property(query, port, signedForm, fc.boolean(), (q, p, form, tamper) => {
        // Prepare
        const received = `https://hooks.example.com${p}/webhooks/twilio?${q}`;
        let signedUrl: string;
        try {
          signedUrl = form(received);
        } catch {
          return;
        }
        const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, tamper ? `${signedUrl}x` : signedUrl, STOP);

        // Act
        const ours = verifyTwilio({
          rawBody: Buffer.from(formOf(STOP)),
          headers: { [TWILIO_SIGNATURE_HEADER]: signature },
          url: received,
          authToken: AUTH_TOKEN,
        });
        let sdk: boolean;
        try {
          sdk = twilio.validateRequest(AUTH_TOKEN, signature, received, STOP);
        } catch {
          sdk = false;
        }

        // Assess
        expect(ours.ok).toBe(sdk);
      }),
      { numRuns: 400 },
    );
  });

  it("accepts a query string Twilio signed with ' escaped (%27) and with + as %20, through the ingress", async () => {
    // Prepare
    for (const signedQuery of ['name=o%27brien&x=a+b', "name=o'brien&x=a%20b"]) {
      const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${URL}?${signedQuery}`, STOP);
      const h = harness();

      // Act
      const response = await handleWebhook(
        request(
          'twilio',
          formOf(STOP),
          { 'content-type': FORM, [TWILIO_SIGNATURE_HEADER]: signature },
          { query: "name=o'brien&x=a+b" },
        ),
        h.deps,
      );

      // Assess
      expect(response.statusCode).toBe(200);
    }
  });
});
