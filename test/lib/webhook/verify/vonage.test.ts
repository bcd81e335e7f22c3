import { describe, expect, it } from 'vitest';
import { VONAGE_DEFAULT_WINDOW, verifyVonage } from '../../../../lib/providers/vonage/verify.js';
import { fixtureJson } from '../fixtures.js';

interface VonageVectors {
  secret: string;
  params: Record<string, string>;
  signatures: Record<string, string>;
}
const { secret, params, signatures } = fixtureJson<VonageVectors>('vonage/signature-vectors-vonage-sms.json');
const nowMs = Number(params.timestamp) * 1000;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const formBody = (p: Record<string, string>) => Buffer.from(new URLSearchParams(p).toString());

describe('verifyVonage', () => {
  it.each(Object.entries(signatures))('accepts the vonage-node-sdk %s vector as a form POST', (_algorithm, sig) => {
    // Prepare
    const rawBody = formBody({ ...params, sig });

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('accepts the sha256 vector as a JSON POST', () => {
    // Prepare
    const rawBody = Buffer.from(JSON.stringify({ ...params, sig: signatures.sha256 }));

    // Act
    const result = verifyVonage({ rawBody, headers: JSON_TYPE, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('compares the hex digest case-insensitively', () => {
    // Prepare
    const rawBody = formBody({ ...params, sig: signatures.sha1!.toLowerCase() });

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects the vector under a different secret', () => {
    // Prepare
    const rawBody = formBody({ ...params, sig: signatures.sha256! });

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: 'another-secret', nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the vector with the text changed', () => {
    // Prepare
    const rawBody = formBody({ ...params, text: 'STOP', sig: signatures.sha256! });

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a timestamp older than the window', () => {
    // Prepare
    const rawBody = formBody({ ...params, sig: signatures.sha256! });

    // Act
    const result = verifyVonage({
      rawBody,
      headers: FORM,
      signatureSecret: secret,
      nowMs: nowMs + VONAGE_DEFAULT_WINDOW.maxAgeMs + 1000,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects a timestamp outside a configured 5-minute window', () => {
    // Prepare
    const rawBody = formBody({ ...params, sig: signatures.sha256! });

    // Act
    const result = verifyVonage({
      rawBody,
      headers: FORM,
      signatureSecret: secret,
      nowMs: nowMs + 6 * 60_000,
      window: { maxAgeMs: 5 * 60_000, maxFutureMs: 5 * 60_000 },
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects a signed message without a timestamp', () => {
    // Prepare
    const { timestamp: _omitted, ...withoutTimestamp } = params;
    const rawBody = formBody({ ...withoutTimestamp, sig: signatures.sha256! });

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_timestamp' });
  });

  it('rejects a message without sig', () => {
    // Prepare
    const rawBody = formBody(params);

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects a sig whose length matches no algorithm', () => {
    // Prepare
    const rawBody = formBody({ ...params, sig: 'abc123' });

    // Act
    const result = verifyVonage({ rawBody, headers: FORM, signatureSecret: secret, nowMs });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_signature' });
  });
});
