import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { verifySignature as vonageJwtVerify } from '@vonage/jwt';
import { SMS } from '@vonage/sms';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signVonageJwt, verifyVonageJwt } from '../../lib/providers/vonage/jwt.js';
import { VONAGE_DEFAULT_WINDOW, type VonageSignatureMethod, verifyVonage } from '../../lib/providers/vonage/verify.js';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { fixtureJson } from '../lib/webhook/fixtures.js';
import { harness, NOW_MS, request, SECRETS, testConfig } from '../lib/webhook/harness.js';
import { sendTestSign } from './our-signer.js';

/**
 * Vonage interop, both directions, against @vonage/jwt 1.14.0 and @vonage/sms 1.21.0.
 * - Messages API signed webhooks: HS256 JWTs made by jsonwebtoken, the library @vonage/jwt signs and
 *   verifies with (no Vonage SDK signs webhook tokens: Vonage's platform does), verified by
 *   @vonage/jwt `verifySignature`; `payload_hash` is checked as Vonage documents (SHA-256 hex of the body).
 * - SMS API `sig`: vonage-node-sdk's own test vectors, and @vonage/sms `verifySignature` for what
 *   `send-test` signs, in the five methods.
 * Deliberate difference: @vonage/jwt checks no freshness and no payload_hash; the webhook requires both.
 */
type JwtSign = (
  claims: object,
  secret: string,
  options: { algorithm: string; header?: object; noTimestamp?: boolean },
) => string;
const jsonwebtoken = createRequire(createRequire(import.meta.url).resolve('@vonage/jwt'))('jsonwebtoken') as {
  sign: JwtSign;
};

const SECRET = SECRETS.VONAGE_SIGNATURE_SECRET;
const NOW_S = Math.floor(NOW_MS / 1000);
const sha256Hex = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');
const sdkSms = new SMS({ apiKey: 'abcd1234', apiSecret: 'api-secret' });
const SDK_ALGORITHM: Record<VonageSignatureMethod, string> = {
  md5hash: 'MD5HASH',
  md5: 'MD5HMAC',
  sha1: 'SHA1HMAC',
  sha256: 'SHA256HMAC',
  sha512: 'SHA512HMAC',
};
const METHODS = Object.keys(SDK_ALGORITHM) as VonageSignatureMethod[];

function inboundSms(text: string, from = '447700900001'): string {
  return JSON.stringify({
    channel: 'sms',
    message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
    to: '447700900000',
    from,
    timestamp: '2026-01-15T10:29:58Z',
    text,
    sms: { num_messages: '1' },
    message_type: 'text',
  });
}

/** A Messages API token as Vonage's platform makes one, signed by jsonwebtoken (iat from the clock). */
function sdkToken(body: string, secret: string = SECRET): string {
  const claims = {
    jti: 'c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5',
    iss: 'Vonage',
    payload_hash: sha256Hex(body),
    api_key: 'abcd1234',
  };
  return jsonwebtoken.sign(claims, secret, { algorithm: 'HS256' });
}

const jwtRequest = (body: string | Buffer, token: string) =>
  request('vonage', body, { 'content-type': 'application/json', authorization: `Bearer ${token}` });
const contacts = (h: ReturnType<typeof harness>) =>
  h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact);

function verifyJwt(body: string, token: string): boolean {
  const headers = { authorization: `Bearer ${token}` };
  return verifyVonageJwt({
    rawBody: Buffer.from(body),
    headers,
    signatureSecret: SECRET,
    nowMs: NOW_MS,
    window: VONAGE_DEFAULT_WINDOW,
  }).ok;
}

/** The body with one byte changed (XOR with a non-zero mask). */
function flipByte(body: string, position: number, mask: number): Buffer {
  const bytes = Buffer.from(body);
  const i = position % bytes.length;
  bytes[i] = bytes[i]! ^ mask;
  return bytes;
}

beforeEach(() => {
  // The SDKs read Date.now() (jsonwebtoken's iat and exp): the same instant as the webhook's clock.
  vi.useFakeTimers({ toFake: ['Date'], now: NOW_MS });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('vonage Messages API: the SDK signs, the webhook accepts', () => {
  it('queues an inbound STOP whose token jsonwebtoken signed, and @vonage/jwt verifies the same token', async () => {
    // Prepare
    const h = harness();
    const body = inboundSms('STOP');
    const token = sdkToken(body);

    // Act
    const response = await handleWebhook(jwtRequest(body, token), h.deps);

    // Assess
    expect(vonageJwtVerify(token, SECRET)).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['+447700900001']);
  });

  it('queues an SMS API-shaped STOP signed with a JWT', async () => {
    // Prepare
    const h = harness();
    const body = JSON.stringify({
      msisdn: '447700900002',
      to: '447700900000',
      messageId: 'm-2',
      text: 'STOP',
      type: 'text',
    });

    // Act
    const response = await handleWebhook(jwtRequest(body, sdkToken(body)), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['+447700900002']);
  });

  it('refuses any one-byte change to the body of an SDK-signed STOP', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        // Prepare
        const h = harness();
        const body = inboundSms('STOP');
        const changed = flipByte(body, position, mask);

        // Act
        const response = await handleWebhook(jwtRequest(changed, sdkToken(body)), h.deps);

        // Assess
        expect(response.statusCode).toBe(401);
        expect(h.queued).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses an SDK-signed token made with another secret, which @vonage/jwt refuses too', async () => {
    // Prepare
    const h = harness();
    const body = inboundSms('STOP');
    const token = sdkToken(body, 'another-signature-secret');

    // Act
    const response = await handleWebhook(jwtRequest(body, token), h.deps);

    // Assess
    expect(vonageJwtVerify(token, SECRET)).toBe(false);
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });
});

/** A form body's parameters as the SDK is given them, `sig` in lower case. */
function meaning(form: string): string {
  const params = Object.fromEntries(new URLSearchParams(form));
  return JSON.stringify({ ...params, sig: params.sig?.toLowerCase() });
}

describe("vonage SMS API: the SDK's vectors are accepted by the webhook", () => {
  interface Vectors {
    secret: string;
    params: Record<string, string>;
    signatures: Record<VonageSignatureMethod, string>;
  }
  const vectors = fixtureJson<Vectors>('vonage/signature-vectors-vonage-sms.json');
  const vectorNowMs = Number(vectors.params.timestamp) * 1000;
  const vectorHarness = () => {
    const h = harness({ config: testConfig({ VONAGE_SIGNATURE_SECRET: vectors.secret }) });
    h.deps.now = () => vectorNowMs;
    return h;
  };

  it.each(METHODS)(
    'accepts the vonage-node-sdk %s vector posted as a form, which @vonage/sms verifies',
    async (method) => {
      // Prepare
      const h = vectorHarness();
      const sig = vectors.signatures[method];
      const body = new URLSearchParams({ ...vectors.params, sig }).toString();

      // Act
      const response = await handleWebhook(
        request('vonage', body, { 'content-type': 'application/x-www-form-urlencoded' }),
        h.deps,
      );

      // Assess
      expect(sdkSms.verifySignature(sig, { ...vectors.params }, vectors.secret, SDK_ALGORITHM[method] as never)).toBe(
        true,
      );
      expect(response.statusCode).toBe(200);
    },
  );

  it.each(METHODS)('refuses the %s vector with one byte of the body changed', async (method) => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        // Prepare
        const h = vectorHarness();
        const body = new URLSearchParams({ ...vectors.params, sig: vectors.signatures[method] }).toString();
        const changed = flipByte(body, position, mask);
        // Not a change of meaning: an escape decoding to the same parameters (%3A and %3a), or the hex
        // signature in the other letter case (Vonage compares it case-insensitively).
        fc.pre(meaning(changed.toString('latin1')) !== meaning(body));

        // Act
        const response = await handleWebhook(
          request('vonage', changed, { 'content-type': 'application/x-www-form-urlencoded' }),
          h.deps,
        );

        // Assess
        expect([401, 503]).toContain(response.statusCode);
        expect(h.queued).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('vonage: send-test signs, the SDK verifies', () => {
  it.each(METHODS)('@vonage/sms verifies what send-test signs with VONAGE_SIGNATURE_METHOD=%s', (method) => {
    // Prepare
    const env = { VONAGE_SIGNATURE_SECRET: SECRET, VONAGE_SIGNATURE_METHOD: method };

    // Act
    const signed = sendTestSign('vonage', inboundSmsApi('STOP'), env, NOW_MS);

    // Assess
    const { sig, ...params } = JSON.parse(signed.body) as Record<string, string>;
    expect(sdkSms.verifySignature(sig!, params, SECRET, SDK_ALGORITHM[method] as never)).toBe(true);
  });

  it("@vonage/jwt verifies the token signVonageJwt makes, whose payload_hash is the body's SHA-256", () => {
    // Prepare
    const body = inboundSms('STOP');

    // Act
    const token = signVonageJwt({ rawBody: body, signatureSecret: SECRET, nowMs: NOW_MS });

    // Assess
    expect(vonageJwtVerify(token, SECRET)).toBe(true);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { payload_hash: string };
    expect(claims.payload_hash).toBe(sha256Hex(body));
  });
});

function inboundSmsApi(text: string): string {
  return JSON.stringify({
    msisdn: '447700900123',
    to: '447700900999',
    messageId: '0A0000000123ABCD1',
    text,
    type: 'text',
  });
}

describe("vonage: the webhook's verifiers and the SDKs agree", () => {
  const value = fc.string({ unit: 'grapheme', maxLength: 12 });
  const params = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/u), value, { minKeys: 1, maxKeys: 6 });

  it('SMS API sig: for any parameters and method, both accept the signature and both refuse a changed value', () => {
    fc.assert(
      fc.property(params, fc.constantFrom(...METHODS), value, (extra, method, replacement) => {
        // Prepare
        const { sig: _sig, timestamp: _ts, ...rest } = extra;
        const signedParams = { ...rest, timestamp: String(NOW_S) };
        const env = { VONAGE_SIGNATURE_SECRET: SECRET, VONAGE_SIGNATURE_METHOD: method };
        const signed = JSON.parse(sendTestSign('vonage', JSON.stringify(signedParams), env, NOW_MS).body) as Record<
          string,
          string
        >;
        const { sig, ...all } = signed;
        const key = Object.keys(rest)[0] ?? 'timestamp';
        const changed = { ...all, [key]: replacement };
        fc.pre(changed[key]!.replace(/[&=]/gu, '_') !== all[key]!.replace(/[&=]/gu, '_'));

        // Act
        const ours = (p: Record<string, string>) =>
          verifyVonage({
            rawBody: Buffer.from(JSON.stringify({ ...p, sig })),
            headers: {},
            signatureSecret: SECRET,
            nowMs: NOW_MS,
            method,
          }).ok;
        const sdk = (p: Record<string, string>) =>
          sdkSms.verifySignature(sig!, p, SECRET, SDK_ALGORITHM[method] as never);

        // Assess
        expect([ours(all), sdk(all)]).toEqual([true, true]);
        expect([ours(changed), sdk(changed)]).toEqual([false, false]);
      }),
      { numRuns: 150 },
    );
  });

  it('Messages API JWT: the webhook accepts exactly what @vonage/jwt and the payload_hash check accept', () => {
    const instant = fc.option(fc.integer({ min: NOW_S - 600, max: NOW_S + 600 }), { nil: undefined });
    const secret = fc.constantFrom(SECRET, 'another-signature-secret');
    fc.assert(
      fc.property(value, instant, instant, secret, fc.boolean(), (text, exp, nbf, signingSecret, tamper) => {
        // Prepare
        const body = inboundSms(text);
        const posted = tamper ? inboundSms(`${text}!`) : body;
        const claims = {
          iss: 'Vonage',
          payload_hash: sha256Hex(body),
          ...(exp === undefined ? {} : { exp }),
          ...(nbf === undefined ? {} : { nbf }),
        };
        const token = jsonwebtoken.sign(claims, signingSecret, { algorithm: 'HS256' });

        // Act
        const ours = verifyJwt(posted, token);

        // Assess: @vonage/jwt, plus the payload_hash check Vonage documents.
        expect(ours).toBe(vonageJwtVerify(token, SECRET) && sha256Hex(posted) === claims.payload_hash);
      }),
      { numRuns: 200 },
    );
  });

  it('Messages API JWT: HS384 and HS512 tokens are refused by @vonage/jwt and by the webhook', () => {
    // Prepare
    const body = inboundSms('STOP');
    const tokens = ['HS384', 'HS512'].map((algorithm) =>
      jsonwebtoken.sign({ payload_hash: sha256Hex(body) }, SECRET, { algorithm }),
    );

    // Act
    const ours = tokens.map((token) => verifyJwt(body, token));
    const sdk = tokens.map((token) => vonageJwtVerify(token, SECRET));

    // Assess
    expect(sdk).toEqual([false, false]);
    expect(ours).toEqual([false, false]);
  });
});
