import fc from 'fast-check';
import { Resend } from 'resend';
import { Webhook } from 'svix';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifySvix } from '../../lib/providers/resend/verify.js';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { fixtureJson } from '../lib/webhook/fixtures.js';
import { harness, NOW_MS, request, SECRETS, testConfig } from '../lib/webhook/harness.js';
import { sendTestSign } from './our-signer.js';

/**
 * Resend interop, both directions: svix 1.99.1 (`Webhook.sign` / `verify`; Resend signs with Svix) and
 * resend 6.38.0 (`webhooks.verify`, Standard Webhooks header names), against the real ingress.
 */
const SECRET: string = SECRETS.RESEND_WEBHOOK_SECRET;
const OTHER_SECRET = `whsec_${Buffer.from('another-secret-of-thirty-two-byt').toString('base64')}`;
const NOW_S = Math.floor(NOW_MS / 1000);
const resendSdk = new Resend('re_interop_test_key');

function complaint(to = 'jane.doe@example.com'): string {
  return JSON.stringify({
    type: 'email.complained',
    created_at: '2026-01-15T10:29:00.000Z',
    data: {
      created_at: '2026-01-15T10:28:00.000Z',
      email_id: 'a1b2c3d4-0000-4000-8000-000000000001',
      from: 'News <news@example.com>',
      subject: 'Hi',
      to: [to],
    },
  });
}

/** Headers as Svix sends them, signed by the svix SDK. */
function svixSigned(
  body: string | Buffer,
  id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  secret: string = SECRET,
  atMs = NOW_MS,
): Record<string, string> {
  const signature = new Webhook(secret).sign(id, new Date(atMs), body.toString());
  return {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(Math.floor(atMs / 1000)),
    'svix-signature': signature,
  };
}

const contacts = (h: ReturnType<typeof harness>) =>
  h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact);

function flipByte(body: string, position: number, mask: number): Buffer {
  const bytes = Buffer.from(body);
  const i = position % bytes.length;
  bytes[i] = bytes[i]! ^ mask;
  return bytes;
}

/** True when the SDK's verifier accepts; it throws WebhookVerificationError otherwise. */
function accepts(verify: () => unknown): boolean {
  try {
    verify();
    return true;
  } catch {
    return false;
  }
}

beforeEach(() => {
  // svix reads Date.now() for its 5-minute tolerance: the same instant as the webhook's clock.
  vi.useFakeTimers({ toFake: ['Date'], now: NOW_MS });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('resend: the svix SDK signs, the webhook accepts', () => {
  it('queues a complaint signed by svix Webhook.sign', async () => {
    // Prepare
    const h = harness();
    const body = complaint();

    // Act
    const response = await handleWebhook(request('resend', body, svixSigned(body)), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['jane.doe@example.com']);
  });

  it('queues it under the Standard Webhooks header names (webhook-id, -timestamp, -signature)', async () => {
    // Prepare
    const h = harness();
    const body = complaint();
    const signed = svixSigned(body);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': signed['svix-id']!,
      'webhook-timestamp': signed['svix-timestamp']!,
      'webhook-signature': signed['svix-signature']!,
    };

    // Act
    const response = await handleWebhook(request('resend', body, headers), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['jane.doe@example.com']);
  });

  it('queues it while the secret rotates (two v1 entries, the old secret first)', async () => {
    // Prepare
    const h = harness();
    const body = complaint();
    const signed = svixSigned(body);
    const old = svixSigned(body, signed['svix-id'], OTHER_SECRET)['svix-signature'];
    const headers = { ...signed, 'svix-signature': `${old} ${signed['svix-signature']}` };

    // Act
    const response = await handleWebhook(request('resend', body, headers), h.deps);

    // Assess
    expect(accepts(() => new Webhook(SECRET).verify(body, headers))).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual(['jane.doe@example.com']);
  });

  it('refuses any one-byte change to the body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        // Prepare
        const h = harness();
        const body = complaint();
        const headers = svixSigned(body);

        // Act
        const response = await handleWebhook(request('resend', flipByte(body, position, mask), headers), h.deps);

        // Assess
        expect(response.statusCode).toBe(401);
        expect(h.queued).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('accepts the svix-webhooks test vector at its own instant', async () => {
    // Prepare
    interface Vector {
      secret: string;
      svix_id: string;
      svix_timestamp: string;
      raw_body: string;
      svix_signature: string;
    }
    const [v] = fixtureJson<{ vectors: Vector[] }>('resend-svix/signature-vectors-svix.json').vectors as [Vector];
    const h = harness({ config: testConfig({ RESEND_WEBHOOK_SECRET: v.secret }) });
    h.deps.now = () => Number(v.svix_timestamp) * 1000;
    const headers = { 'svix-id': v.svix_id, 'svix-timestamp': v.svix_timestamp, 'svix-signature': v.svix_signature };

    // Act
    const response = await handleWebhook(request('resend', v.raw_body, headers), h.deps);

    // Assess: authentic (not 401); the body is no Resend event, so nothing is queued.
    expect(response.statusCode).toBe(200);
    expect(h.queued).toEqual([]);
  });
});

describe('resend: send-test signs, the SDKs verify', () => {
  it('svix Webhook.verify accepts what send-test signs', () => {
    // Prepare
    const signed = sendTestSign('resend', complaint(), { RESEND_WEBHOOK_SECRET: SECRET }, NOW_MS);

    // Act
    const payload = new Webhook(SECRET).verify(signed.body, signed.headers);

    // Assess
    expect(payload).toEqual(JSON.parse(complaint()));
  });

  it('resend webhooks.verify accepts what send-test signs', () => {
    // Prepare
    const signed = sendTestSign('resend', complaint(), { RESEND_WEBHOOK_SECRET: SECRET }, NOW_MS);
    const headers = {
      id: signed.headers['svix-id']!,
      timestamp: signed.headers['svix-timestamp']!,
      signature: signed.headers['svix-signature']!,
    };

    // Act
    const payload = resendSdk.webhooks.verify({ payload: signed.body, headers, webhookSecret: SECRET });

    // Assess
    expect(payload).toEqual(JSON.parse(complaint()));
  });
});

describe("resend: the webhook's verifier and the SDKs agree", () => {
  const body = fc
    .string({ unit: 'grapheme', maxLength: 60 })
    .map((text) => JSON.stringify({ type: 'email.complained', note: text }));
  const id = fc.stringMatching(/^msg_[A-Za-z0-9]{1,27}$/u);
  // The edges of the 5-minute window, often: that is where a verifier's rounding shows.
  const offsetS = fc.oneof(fc.constantFrom(-301, -300, -299, 299, 300, 301), fc.integer({ min: -400, max: 400 }));
  const subSecondMs = fc.integer({ min: 0, max: 999 });
  const secret = fc.constantFrom(SECRET, OTHER_SECRET);

  it('on the timestamp window, to the second, at any instant within a second (svix Webhook.verify)', () => {
    fc.assert(
      fc.property(body, id, offsetS, subSecondMs, secret, (raw, msgId, offset, ms, signingSecret) => {
        // Prepare
        const nowMs = NOW_S * 1000 + ms;
        vi.setSystemTime(nowMs);
        const headers = svixSigned(raw, msgId, signingSecret, (NOW_S + offset) * 1000);

        // Act
        const ours = verifySvix({ rawBody: Buffer.from(raw), headers, secret: SECRET, nowMs }).ok;
        const sdk = accepts(() => new Webhook(SECRET).verify(raw, headers));

        // Assess
        expect(ours).toBe(sdk);
      }),
      { numRuns: 400 },
    );
  });

  it('on the same requests with Standard Webhooks names (resend webhooks.verify)', () => {
    fc.assert(
      fc.property(body, id, offsetS, subSecondMs, secret, (raw, msgId, offset, ms, signingSecret) => {
        // Prepare
        const nowMs = NOW_S * 1000 + ms;
        vi.setSystemTime(nowMs);
        const signed = svixSigned(raw, msgId, signingSecret, (NOW_S + offset) * 1000);
        const headers = {
          id: signed['svix-id']!,
          timestamp: signed['svix-timestamp']!,
          signature: signed['svix-signature']!,
        };
        const standard = {
          'webhook-id': headers.id,
          'webhook-timestamp': headers.timestamp,
          'webhook-signature': headers.signature,
        };

        // Act
        const ours = verifySvix({ rawBody: Buffer.from(raw), headers: standard, secret: SECRET, nowMs }).ok;
        const sdk = accepts(() => resendSdk.webhooks.verify({ payload: raw, headers, webhookSecret: SECRET }));

        // Assess
        expect(ours).toBe(sdk);
      }),
      { numRuns: 400 },
    );
  });

  it('on every spelling of the signature header (entries, versions, base64 forms)', () => {
    const spelling = fc.constantFrom<(sig: string, other: string) => string>(
      (sig) => `v1,${sig}`,
      (_sig, other) => `v1,${other}`,
      (sig, other) => `v1,${other} v1,${sig}`,
      (sig) => `v2,${sig}`,
      (sig) => `v1a,${sig}`,
      (sig) => `v1${sig}`,
      (sig) => `v1,${sig},extra`,
      (sig) => `v1,${sig.replace(/=+$/u, '')}`,
      // The same bytes in a non-canonical spelling: the unused low bits of the last character set.
      (sig) => `v1,${sig.slice(0, -2)}${String.fromCharCode(sig.charCodeAt(sig.length - 2) + 1)}=`,
      (sig) => `v1,${Buffer.from(sig, 'base64').toString('base64url')}`,
      (sig) => `v0,AAAA v1,${sig} v2,Zm9v`,
    );
    fc.assert(
      fc.property(body, id, spelling, (raw, msgId, spell) => {
        // Prepare
        const sig = svixSigned(raw, msgId)['svix-signature']!.slice(3);
        const other = svixSigned(raw, msgId, OTHER_SECRET)['svix-signature']!.slice(3);
        const headers = { ...svixSigned(raw, msgId), 'svix-signature': spell(sig, other) };

        // Act
        const ours = verifySvix({ rawBody: Buffer.from(raw), headers, secret: SECRET, nowMs: NOW_MS }).ok;
        const sdk = accepts(() => new Webhook(SECRET).verify(raw, headers));

        // Assess
        expect(ours).toBe(sdk);
      }),
      { numRuns: 300 },
    );
  });
});
