import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventWebhook } from '@sendgrid/eventwebhook';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { verifySendgrid } from '../../lib/providers/sendgrid/verify.js';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { harness, NOW_MS, NOW_S, request, testConfig } from '../lib/webhook/harness.js';
import { sendTestSign } from './our-signer.js';

/**
 * SendGrid interop, both directions, against @sendgrid/eventwebhook 8.0.0 (ECDSA P-256, SHA-256 over the
 * timestamp header followed by the raw body). Only SendGrid holds its private key, so each test makes a
 * P-256 key pair and signs as SendGrid does: with starkbank-ecdsa, the library the SDK verifies with, or
 * with Node's crypto; the SDK verifies and so does the webhook. The SDK checks no timestamp window.
 */
interface StarkPrivateKey {
  publicKey(): { toPem(): string };
}
interface Starkbank {
  PrivateKey: { fromPem(pem: string): StarkPrivateKey };
  Ecdsa: { sign(message: string, key: StarkPrivateKey): { toBase64(): string } };
}
const starkbank = createRequire(createRequire(import.meta.url).resolve('@sendgrid/eventwebhook'))(
  'starkbank-ecdsa',
) as Starkbank;

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
/** As the SendGrid dashboard shows it: base64 DER SubjectPublicKeyInfo. */
const PUBLIC_KEY = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const starkKey = starkbank.PrivateKey.fromPem(keys.privateKey.export({ type: 'sec1', format: 'pem' }).toString());
const sdk = new EventWebhook();
const sdkKey = sdk.convertPublicKeyToECDSA(PUBLIC_KEY);
const SIGNATURE = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP = 'x-twilio-email-event-webhook-timestamp';

/** A SendGrid post: a JSON array, CRLF after the body, as SendGrid sends it. */
function events(email = 'jane.doe@example.com'): string {
  const event = { email, timestamp: NOW_S, event: 'spamreport', sg_event_id: 'c2VuZGdyaWQt', sg_message_id: 'm.1' };
  return `${JSON.stringify([event])}\r\n`;
}

const sdkSign = (body: string, timestamp = NOW_S) => starkbank.Ecdsa.sign(timestamp + body, starkKey).toBase64();
const nodeSign = (body: string, timestamp = NOW_S, key = keys.privateKey) =>
  sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), key).toString('base64');
const signedRequest = (body: string | Buffer, signature: string, timestamp = NOW_S) =>
  request('sendgrid', body, { 'content-type': 'application/json', [SIGNATURE]: signature, [TIMESTAMP]: timestamp });
const sendgridHarness = (publicKey = PUBLIC_KEY) =>
  harness({ config: testConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: publicKey }) });
const contacts = (h: ReturnType<typeof harness>) =>
  h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact);

/** The SDK verifies; it throws on a signature it cannot parse, which is a refusal too. */
function sdkAccepts(body: string | Buffer, signature: string, timestamp: string): boolean {
  try {
    return sdk.verifySignature(sdkKey, body, signature, timestamp);
  } catch {
    return false;
  }
}

function flipByte(text: string | Buffer, position: number, mask: number): Buffer {
  const bytes = Buffer.from(text);
  const i = position % bytes.length;
  bytes[i] = bytes[i]! ^ mask;
  return bytes;
}

describe('sendgrid: signed as SendGrid signs, the webhook accepts', () => {
  it("queues a spam report signed with starkbank-ecdsa (the SDK's own ECDSA), which the SDK verifies", async () => {
    // Prepare
    const h = sendgridHarness();
    const body = events();
    const signature = sdkSign(body);

    // Act
    const response = await handleWebhook(signedRequest(body, signature), h.deps);

    // Assess
    expect(sdkAccepts(body, signature, NOW_S)).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['jane.doe@example.com']);
  });

  it('queues it with the verification key given as PEM (as the SDK exports it)', async () => {
    // Prepare
    const pem = starkKey.publicKey().toPem();
    const h = sendgridHarness(pem);
    const body = events();

    // Act
    const response = await handleWebhook(signedRequest(body, sdkSign(body)), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['jane.doe@example.com']);
  });

  it('refuses any one-byte change to the body, as the SDK does', async () => {
    const body = events();
    const signature = sdkSign(body);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        // Prepare
        const h = sendgridHarness();
        const changed = flipByte(body, position, mask);

        // Act
        const response = await handleWebhook(signedRequest(changed, signature), h.deps);

        // Assess
        expect(sdkAccepts(changed, signature, NOW_S)).toBe(false);
        expect(response.statusCode).toBe(401);
        expect(h.queued).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });
});

describe('sendgrid: send-test signs, the SDK verifies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-sendgrid-interop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('@sendgrid/eventwebhook verifies what send-test signs with its key file', () => {
    // Prepare
    const keyFile = join(dir, 'sendgrid-test-key.pem');
    writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const env = { SENDGRID_WEBHOOK_PUBLIC_KEY: PUBLIC_KEY };

    // Act
    const signed = sendTestSign('sendgrid', events(), env, NOW_MS, keyFile);

    // Assess
    expect(sdkAccepts(signed.body, signed.headers[SIGNATURE]!, signed.headers[TIMESTAMP]!)).toBe(true);
  });
});

/**
 * A DER ECDSA signature as X.690 writes it: SEQUENCE { INTEGER r, INTEGER s }, short lengths, minimal
 * positive integers. SendGrid's documentation describes the signature as DER; starkbank-ecdsa also reads a
 * SEQUENCE whose declared length runs past the end (it slices leniently), which OpenSSL, and so the webhook,
 * refuses: the one known difference, and never an acceptance the SDK would not make.
 */
function isStrictDer(signature: string): boolean {
  const der = Buffer.from(signature, 'base64');
  if (der.toString('base64') !== signature || der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2)
    return false;
  let at = 2;
  for (let i = 0; i < 2; i += 1) {
    const length = der[at + 1]!;
    if (der[at] !== 0x02 || length === 0 || length > 33 || at + 2 + length > der.length) return false;
    const first = der[at + 2]!;
    const second = der[at + 3];
    if (first & 0x80 || (first === 0 && (length === 1 || !(second! & 0x80)))) return false;
    at += 2 + length;
  }
  return at === der.length;
}

describe("sendgrid: the webhook's verifier and the SDK agree", () => {
  const body = fc
    .string({ unit: 'grapheme', maxLength: 80 })
    .map((text) => `${JSON.stringify([{ email: 'a@example.com', event: 'bounce', reason: text }])}\r\n`);
  const signer = fc.constantFrom('starkbank', 'node', 'node-other-key');
  const change = fc.constantFrom('none', 'body', 'timestamp', 'signature');

  it('for any body, signer and one-byte change: the same answer on DER signatures, never more than the SDK', () => {
    fc.assert(
      fc.property(
        body,
        signer,
        change,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (raw, who, what, position, mask) => {
          // Prepare
          const key = who === 'node' ? keys.privateKey : otherKeys.privateKey;
          let signature = who === 'starkbank' ? sdkSign(raw) : nodeSign(raw, NOW_S, key);
          let posted: Buffer = Buffer.from(raw);
          let timestamp = NOW_S;
          if (what === 'body') posted = flipByte(raw, position, mask);
          if (what === 'timestamp') timestamp = String(Number(NOW_S) - 1 - (position % 60));
          if (what === 'signature')
            signature = flipByte(Buffer.from(signature, 'base64'), position, mask).toString('base64');

          // Act
          const headers = { [SIGNATURE]: signature, [TIMESTAMP]: timestamp };
          const ours = verifySendgrid({ rawBody: posted, headers, publicKey: PUBLIC_KEY, nowMs: NOW_MS }).ok;
          const theirs = sdkAccepts(posted, signature, timestamp);

          // Assess
          if (isStrictDer(signature)) expect(ours).toBe(theirs);
          else expect(ours).toBe(false);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('refuses a signature whose SEQUENCE length runs past its end, which starkbank-ecdsa reads anyway', () => {
    // Prepare
    const body = events();
    const der = Buffer.from(nodeSign(body), 'base64');
    der[1] = der[1]! + 1;
    const signature = der.toString('base64');

    // Act
    const ours = verifySendgrid({
      rawBody: Buffer.from(body),
      headers: { [SIGNATURE]: signature, [TIMESTAMP]: NOW_S },
      publicKey: PUBLIC_KEY,
      nowMs: NOW_MS,
    });

    // Assess
    expect(sdkAccepts(body, signature, NOW_S)).toBe(true);
    expect(ours).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
