import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signVonageJwt, verifyVonageJwt } from '../../../../lib/providers/vonage/jwt.js';
import { VONAGE_DEFAULT_WINDOW } from '../../../../lib/providers/vonage/verify.js';

const SECRET = 'vonage-signature-secret-for-tests';
const NOW_MS = Date.UTC(2026, 0, 15, 10, 30, 0);
const NOW_S = Math.floor(NOW_MS / 1000);
const BODY = Buffer.from(
  JSON.stringify({
    channel: 'sms',
    message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
    to: '447700900000',
    from: '447700900001',
    text: 'STOP',
  }),
);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sha256Hex = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** A token built by hand, so that each test can bend one part of it. */
function token(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
  secret = SECRET,
  hmac = 'sha256',
): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${createHmac(hmac, secret).update(input).digest('base64url')}`;
}

const claimsFor = (body: Buffer, extra: Record<string, unknown> = {}) => ({
  iat: NOW_S,
  jti: 'j-1',
  iss: 'Vonage',
  payload_hash: sha256Hex(body),
  api_key: 'abcd1234',
  ...extra,
});

function verify(authorization: string | undefined, rawBody = BODY, nowMs = NOW_MS) {
  const headers = authorization === undefined ? {} : { authorization };
  return verifyVonageJwt({ rawBody, headers, signatureSecret: SECRET, nowMs, window: VONAGE_DEFAULT_WINDOW });
}

describe('verifyVonageJwt: Messages API signed webhooks', () => {
  it('accepts an HS256 token signed with the signature secret whose payload_hash is the body', () => {
    // Prepare
    const authorization = `Bearer ${token(claimsFor(BODY))}`;

    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('reads the Bearer scheme case-insensitively', () => {
    // Prepare
    const authorization = `bearer ${token(claimsFor(BODY))}`;

    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('refuses the body changed by one byte (payload_hash binds it)', () => {
    // Prepare
    const authorization = `Bearer ${token(claimsFor(BODY))}`;
    const changed = Buffer.from(BODY);
    changed[changed.indexOf('447700900001') + 11] = '2'.charCodeAt(0);

    // Act
    const result = verify(authorization, changed);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token signed with another secret', () => {
    // Prepare
    const authorization = `Bearer ${token(claimsFor(BODY), undefined, 'another-secret')}`;

    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['none', { alg: 'none', typ: 'JWT' }],
    ['NONE', { alg: 'NONE' }],
    ['HS512', { alg: 'HS512' }],
    ['RS256', { alg: 'RS256' }],
    ['absent', { typ: 'JWT' }],
  ])('refuses alg %s even when the HMAC matches', (_name, header) => {
    // Prepare
    const authorization = `Bearer ${token(claimsFor(BODY), header)}`;

    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unsupported_signature_version' });
  });

  it('refuses an unsigned token (alg none, empty signature)', () => {
    // Prepare
    const authorization = `Bearer ${b64url({ alg: 'none' })}.${b64url(claimsFor(BODY))}.`;

    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('refuses an HS512 token over the same claims (no algorithm is taken from the token)', () => {
    // Prepare
    const authorization = `Bearer ${token(claimsFor(BODY), { alg: 'HS512' }, SECRET, 'sha512')}`;

    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unsupported_signature_version' });
  });

  it('refuses the signature in another spelling (standard base64 with padding)', () => {
    // Prepare
    const [h, c, s] = token(claimsFor(BODY)).split('.') as [string, string, string];
    const padded = `${Buffer.from(s, 'base64url').toString('base64')}`;

    // Act
    const result = verify(`Bearer ${h}.${c}.${padded}`);

    // Assess
    expect(result.ok).toBe(false);
  });

  it.each([
    ['no dots', 'Bearer abc'],
    ['two parts', 'Bearer a.b'],
    ['four parts', 'Bearer a.b.c.d'],
    ['two words', 'Bearer a.b.c d'],
    ['no token', 'Bearer'],
  ])('refuses a malformed token (%s)', (_name, authorization) => {
    // Act
    const result = verify(authorization);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('answers missing_signature without an Authorization header', () => {
    // Act
    const result = verify(undefined);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('refuses a token without payload_hash', () => {
    // Prepare
    const { payload_hash: _omitted, ...claims } = claimsFor(BODY);

    // Act
    const result = verify(`Bearer ${token(claims)}`);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_message' });
  });

  it('refuses a token without iat', () => {
    // Prepare
    const { iat: _omitted, ...claims } = claimsFor(BODY);

    // Act
    const result = verify(`Bearer ${token(claims)}`);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_timestamp' });
  });

  it('refuses an iat that is not a number', () => {
    // Act
    const result = verify(`Bearer ${token(claimsFor(BODY, { iat: String(NOW_S) }))}`);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_timestamp' });
  });

  it('accepts an iat 24 hours old (Vonage retries for 24 hours) and refuses one older than the window', () => {
    // Prepare
    const day = `Bearer ${token(claimsFor(BODY, { iat: NOW_S - 24 * 3600 }))}`;
    const oldest = NOW_S - VONAGE_DEFAULT_WINDOW.maxAgeMs / 1000;
    const older = `Bearer ${token(claimsFor(BODY, { iat: oldest - 1 }))}`;

    // Act
    const results = [verify(day), verify(older)];

    // Assess
    expect(results).toEqual([{ ok: true }, { ok: false, reason: 'stale_timestamp' }]);
  });

  it('refuses an iat further in the future than the clock skew allowed', () => {
    // Act
    const latest = NOW_S + VONAGE_DEFAULT_WINDOW.maxFutureMs / 1000;
    const result = verify(`Bearer ${token(claimsFor(BODY, { iat: latest + 1 }))}`);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('refuses an expired token and one not yet valid, as jsonwebtoken does', () => {
    // Prepare
    const expired = `Bearer ${token(claimsFor(BODY, { exp: NOW_S }))}`;
    const early = `Bearer ${token(claimsFor(BODY, { nbf: NOW_S + 1 }))}`;
    const fine = `Bearer ${token(claimsFor(BODY, { exp: NOW_S + 1, nbf: NOW_S }))}`;

    // Act
    const results = [verify(expired), verify(early), verify(fine)];

    // Assess
    const stale = { ok: false, reason: 'stale_timestamp' };
    expect(results).toEqual([stale, stale, { ok: true }]);
  });

  it('verifies what signVonageJwt signs, and nothing after a change to the body', () => {
    // Prepare
    const signed = signVonageJwt({ rawBody: BODY, signatureSecret: SECRET, nowMs: NOW_MS, claims: { api_key: 'a1' } });

    // Act
    const changed = Buffer.concat([BODY, Buffer.from(' ')]);
    const results = [verify(`Bearer ${signed}`), verify(`Bearer ${signed}`, changed)];

    // Assess
    expect(results).toEqual([{ ok: true }, { ok: false, reason: 'bad_signature' }]);
  });
});
