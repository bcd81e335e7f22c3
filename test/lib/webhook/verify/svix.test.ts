import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { svixKey, verifySvix } from '../../../../lib/providers/resend/verify.js';
import { fixtureJson } from '../fixtures.js';

interface SvixVector {
  secret: string;
  svix_id: string;
  svix_timestamp: string;
  raw_body: string;
  svix_signature: string;
}
const [v] = fixtureJson<{ vectors: SvixVector[] }>('resend-svix/signature-vectors-svix.json').vectors as [SvixVector];
const nowMs = Number(v.svix_timestamp) * 1000;
const rawBody = Buffer.from(v.raw_body, 'utf8');
const svixHeaders = (signature = v.svix_signature) => ({
  'svix-id': v.svix_id,
  'svix-timestamp': v.svix_timestamp,
  'svix-signature': signature,
});

describe('verifySvix', () => {
  it('accepts the svix-webhooks vector', () => {
    // Prepare
    const headers = svixHeaders();

    // Act
    const result = verifySvix({ rawBody, headers, secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('accepts the Standard Webhooks header aliases', () => {
    // Prepare
    const headers = {
      'webhook-id': v.svix_id,
      'webhook-timestamp': v.svix_timestamp,
      'webhook-signature': v.svix_signature,
    };

    // Act
    const result = verifySvix({ rawBody, headers, secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('accepts a list of signatures where a later v1 entry matches (secret rotation)', () => {
    // Prepare
    const headers = svixHeaders(`v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc ${v.svix_signature}`);

    // Act
    const result = verifySvix({ rawBody, headers, secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects the vector under a different secret', () => {
    // Prepare
    const headers = svixHeaders();

    // Act
    const result = verifySvix({ rawBody, headers, secret: 'whsec_bm90IHRoZSByaWdodCBzZWNyZXQ=', nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the body with one byte changed', () => {
    // Prepare
    const tampered = Buffer.from(v.raw_body.replace('2432232314', '2432232315'), 'utf8');

    // Act
    const result = verifySvix({ rawBody: tampered, headers: svixHeaders(), secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a timestamp 6 minutes old', () => {
    // Prepare
    const later = nowMs + 6 * 60_000;

    // Act
    const result = verifySvix({ rawBody, headers: svixHeaders(), secret: v.secret, nowMs: later });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('accepts a timestamp exactly 5 minutes old for the whole of that second, as svix does (whole seconds)', () => {
    // Prepare
    const lastSecond = nowMs + 5 * 60_000 + 999;
    const afterIt = nowMs + 5 * 60_000 + 1000;

    // Act
    const results = [lastSecond, afterIt].map((at) =>
      verifySvix({ rawBody, headers: svixHeaders(), secret: v.secret, nowMs: at }),
    );

    // Assess
    expect(results).toEqual([{ ok: true }, { ok: false, reason: 'stale_timestamp' }]);
  });

  it('rejects the signature bytes in a non-canonical base64 spelling, as svix compares the text', () => {
    // Prepare: the vector's last character before "=" carries two unused bits; set one.
    const sig = v.svix_signature.slice(3);
    const last = sig.length - 2;
    const respelled = `${sig.slice(0, last)}${String.fromCharCode(sig.charCodeAt(last) + 1)}=`;
    expect(Buffer.from(respelled, 'base64')).toEqual(Buffer.from(sig, 'base64'));

    // Act
    const result = verifySvix({ rawBody, headers: svixHeaders(`v1,${respelled}`), secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a timestamp 6 minutes in the future', () => {
    // Prepare
    const earlier = nowMs - 6 * 60_000;

    // Act
    const result = verifySvix({ rawBody, headers: svixHeaders(), secret: v.secret, nowMs: earlier });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects a request without svix-signature', () => {
    // Prepare
    const headers = { 'svix-id': v.svix_id, 'svix-timestamp': v.svix_timestamp };

    // Act
    const result = verifySvix({ rawBody, headers, secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects a header that carries no v1 signature', () => {
    // Prepare
    const headers = svixHeaders('v1a,abcdef');

    // Act
    const result = verifySvix({ rawBody, headers, secret: v.secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('accepts a Resend payload signed in the test with a secret given without the whsec_ prefix', () => {
    // Prepare
    const secret = Buffer.from('a-32-byte-secret-for-svix-tests!').toString('base64');
    const body = Buffer.from(JSON.stringify(fixtureJson('resend-svix/anymail-resend-email-bounced.json')));
    const signature = createHmac('sha256', svixKey(secret)!)
      .update(`msg_1.${v.svix_timestamp}.`)
      .update(body)
      .digest('base64');
    const headers = { 'svix-id': 'msg_1', 'svix-timestamp': v.svix_timestamp, 'svix-signature': `v1,${signature}` };

    // Act
    const result = verifySvix({ rawBody: body, headers, secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: true });
  });
});
