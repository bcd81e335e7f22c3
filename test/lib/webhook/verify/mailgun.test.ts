import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAILGUN_DEFAULT_WINDOW, mailgunReplayCache, verifyMailgun } from '../../../../lib/providers/mailgun/verify.js';
import { ReplayCache } from '../../../../lib/providers/shared/replay.js';
import { fixtureJson } from '../fixtures.js';

interface MailgunVector {
  signing_key: string;
  timestamp: string;
  token: string;
  signature: string;
  expect_valid: boolean;
}
const { vectors } = fixtureJson<{ vectors: MailgunVector[] }>('mailgun/signature-vectors-mailgun-php.json');
const [valid, invalid] = [vectors.find((v) => v.expect_valid)!, vectors.find((v) => !v.expect_valid)!];
const eventData = fixtureJson('mailgun/mailgun-docs-event-data-unsubscribed.json');
const JSON_HEADERS = { 'content-type': 'application/json' };
const atSigningTime = (v: MailgunVector) => Number(v.timestamp) * 1000;

function jsonBody(v: Pick<MailgunVector, 'timestamp' | 'token' | 'signature'>): Buffer {
  return Buffer.from(
    JSON.stringify({
      signature: { timestamp: v.timestamp, token: v.token, signature: v.signature },
      'event-data': eventData,
    }),
  );
}
const freshCache = () => new ReplayCache({ maxEntries: 100, ttlMs: MAILGUN_DEFAULT_WINDOW.maxAgeMs });

describe('verifyMailgun', () => {
  it('accepts the mailgun-php vector in a JSON webhook body', () => {
    // Prepare
    const input = {
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache: freshCache(),
    };

    // Act
    const result = verifyMailgun(input);

    // Assess
    expect(result).toEqual({ ok: true, token: valid.token });
  });

  it('rejects the mailgun-php vector whose token does not match the signature', () => {
    // Prepare
    const input = {
      rawBody: jsonBody(invalid),
      headers: JSON_HEADERS,
      signingKey: invalid.signing_key,
      nowMs: atSigningTime(invalid),
      replayCache: freshCache(),
    };

    // Act
    const result = verifyMailgun(input);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts the vector as legacy form fields', () => {
    // Prepare
    const rawBody = Buffer.from(
      new URLSearchParams({
        event: 'unsubscribed',
        recipient: 'jane@example.com',
        timestamp: valid.timestamp,
        token: valid.token,
        signature: valid.signature,
      }).toString(),
    );

    // Act
    const result = verifyMailgun({
      rawBody,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache: freshCache(),
    });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects the vector under a different signing key', () => {
    // Prepare
    const input = {
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: 'key-somebody-else',
      nowMs: atSigningTime(valid),
      replayCache: freshCache(),
    };

    // Act
    const result = verifyMailgun(input);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the vector with one byte of the signed timestamp changed', () => {
    // Prepare
    const tampered = { ...valid, timestamp: String(Number(valid.timestamp) + 1) };

    // Act
    const result = verifyMailgun({
      rawBody: jsonBody(tampered),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache: freshCache(),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a timestamp older than the window', () => {
    // Prepare
    const nowMs = atSigningTime(valid) + MAILGUN_DEFAULT_WINDOW.maxAgeMs + 1000;

    // Act
    const result = verifyMailgun({
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs,
      replayCache: freshCache(),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('still accepts a retry 8 hours after the original timestamp (Mailgun resends the original signature)', () => {
    // Prepare
    const nowMs = atSigningTime(valid) + 8 * 3_600_000 + 5 * 60_000;

    // Act
    const result = verifyMailgun({
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs,
      replayCache: freshCache(),
    });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a timestamp more than 5 minutes in the future', () => {
    // Prepare
    const nowMs = atSigningTime(valid) - 6 * 60_000;

    // Act
    const result = verifyMailgun({
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs,
      replayCache: freshCache(),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects the second use of a token', () => {
    // Prepare
    const replayCache = freshCache();
    const input = {
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache,
    };
    verifyMailgun(input);

    // Act
    const result = verifyMailgun({ ...input, nowMs: input.nowMs + 1000 });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'replayed' });
  });

  it('rejects a captured signature block stapled to a different event (token replay)', () => {
    // Prepare
    const replayCache = freshCache();
    verifyMailgun({
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache,
    });
    const forged = Buffer.from(
      JSON.stringify({
        signature: { timestamp: valid.timestamp, token: valid.token, signature: valid.signature },
        'event-data': { event: 'complained', recipient: 'victim@example.com' },
      }),
    );

    // Act
    const result = verifyMailgun({
      rawBody: forged,
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'replayed' });
  });

  it('accepts a token again once it was released (the first attempt was answered 5xx)', () => {
    // Prepare
    const replayCache = freshCache();
    const input = {
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache,
    };
    verifyMailgun(input);
    replayCache.delete(valid.token);

    // Act
    const result = verifyMailgun(input);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('does not record tokens of requests that failed verification', () => {
    // Prepare
    const replayCache = freshCache();

    // Act
    verifyMailgun({
      rawBody: jsonBody(valid),
      headers: JSON_HEADERS,
      signingKey: 'wrong',
      nowMs: atSigningTime(valid),
      replayCache,
    });

    // Assess
    expect(replayCache.has(valid.token, atSigningTime(valid))).toBe(false);
  });

  it('uses the module-level cache when none is injected, so replays are caught across warm invocations', () => {
    // Prepare
    const token = `module-cache-${Date.now()}`;
    const signature = createHmac('sha256', valid.signing_key)
      .update(valid.timestamp + token)
      .digest('hex');
    const input = {
      rawBody: jsonBody({ timestamp: valid.timestamp, token, signature }),
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
    };
    verifyMailgun(input);

    // Act
    const result = verifyMailgun(input);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'replayed' });
    expect(mailgunReplayCache.has(token, input.nowMs)).toBe(true);
  });

  it('rejects a body without a signature block', () => {
    // Prepare
    const rawBody = Buffer.from(JSON.stringify({ 'event-data': eventData }));

    // Act
    const result = verifyMailgun({
      rawBody,
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache: freshCache(),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects a signature block without a timestamp', () => {
    // Prepare
    const rawBody = Buffer.from(JSON.stringify({ signature: { token: valid.token, signature: valid.signature } }));

    // Act
    const result = verifyMailgun({
      rawBody,
      headers: JSON_HEADERS,
      signingKey: valid.signing_key,
      nowMs: atSigningTime(valid),
      replayCache: freshCache(),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_timestamp' });
  });
});

describe('ReplayCache', () => {
  it('forgets an entry after its TTL', () => {
    // Prepare
    const cache = new ReplayCache({ maxEntries: 10, ttlMs: 1000 });
    cache.add('t', 0);

    // Act
    const seen = cache.has('t', 1000);

    // Assess
    expect(seen).toBe(false);
  });

  it('evicts the oldest entry when full', () => {
    // Prepare
    const cache = new ReplayCache({ maxEntries: 2, ttlMs: 60_000 });
    cache.add('a', 0);
    cache.add('b', 1);

    // Act
    cache.add('c', 2);

    // Assess
    expect([cache.has('a', 3), cache.has('b', 3), cache.has('c', 3), cache.size]).toEqual([false, true, true, 2]);
  });
});
