import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  loadSendgridPublicKey,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  verifySendgrid,
} from '../../../../lib/providers/sendgrid/verify.js';
import { fixtureBytes, fixtureJson } from '../fixtures.js';

interface SendgridVector {
  name: string;
  public_key_spki_der_b64: string;
  timestamp: string;
  signature_b64: string;
  raw_body: string;
  expect_valid: boolean;
}
const { vectors } = fixtureJson<{ vectors: SendgridVector[] }>('sendgrid/signature-vectors-sendgrid-nodejs.json');
const vector = (name: string) => vectors.find((v) => v.name === name)!;

function headersFor(v: Pick<SendgridVector, 'timestamp' | 'signature_b64'>) {
  return { [SENDGRID_SIGNATURE_HEADER]: v.signature_b64, [SENDGRID_TIMESTAMP_HEADER]: v.timestamp };
}
/** The vectors are from 2020/2021: a clock at the signing time keeps them inside the window. */
const clockAt = (timestamp: string) => Number(timestamp) * 1000;
const SIGNED_AT = vector('single_event').timestamp;

describe('verifySendgrid', () => {
  it.each(vectors.filter((v) => v.expect_valid))('accepts the sendgrid-nodejs vector "$name"', (v) => {
    // Prepare
    const input = {
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    };

    // Act
    const result = verifySendgrid(input);

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it.each(vectors.filter((v) => !v.expect_valid))('rejects the sendgrid-nodejs vector "$name"', (v) => {
    // Prepare
    const input = {
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(SIGNED_AT),
    };

    // Act
    const result = verifySendgrid(input);

    // Assess
    expect(result.ok).toBe(false);
  });

  it('accepts the exact bytes of the captured .raw body file (CRLF included)', () => {
    // Prepare
    const v = vector('multiple_events_crlf_separated');
    const rawBody = fixtureBytes('sendgrid/signed-multi-event-body.raw');

    // Act
    const result = verifySendgrid({
      rawBody,
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects the body with one byte changed', () => {
    // Prepare
    const v = vector('single_event');
    const rawBody = Buffer.from(v.raw_body, 'utf8');
    rawBody[10] = rawBody[10]! ^ 0x01;

    // Act
    const result = verifySendgrid({
      rawBody,
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a valid signature whose body lost its trailing CRLF (re-serialised JSON never verifies)', () => {
    // Prepare
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body.trimEnd(), 'utf8'),
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a valid signature under the wrong key', () => {
    // Prepare
    const v = vector('single_event');
    const otherKey = vector('wrong_key').public_key_spki_der_b64;

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor(v),
      publicKey: otherKey,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a valid signature whose timestamp is 11 minutes old', () => {
    // Prepare
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp) + 11 * 60_000,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('honours a configured tolerance', () => {
    // Prepare
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor(v),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp) + 11 * 60_000,
      toleranceMs: 15 * 60_000,
    });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects a request without the signature header', () => {
    // Prepare
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: { [SENDGRID_TIMESTAMP_HEADER]: v.timestamp },
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects a request without the timestamp header', () => {
    // Prepare
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: { [SENDGRID_SIGNATURE_HEADER]: v.signature_b64 },
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_timestamp' });
  });

  it('accepts a body signed in the test with a freshly generated P-256 key, given as PEM', () => {
    // Prepare
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const timestamp = '1700000000';
    const rawBody = Buffer.from('[{"email":"jane@example.com","event":"spamreport"}]\r\n');
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), rawBody]), privateKey).toString('base64');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

    // Act
    const result = verifySendgrid({
      rawBody,
      headers: headersFor({ timestamp, signature_b64: signature }),
      publicKey: pem,
      nowMs: clockAt(timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('accepts a PEM key whose line breaks arrive as literal \\n (as pasted into an environment variable)', () => {
    // Prepare
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const timestamp = '1700000000';
    const rawBody = Buffer.from('[]\r\n');
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), rawBody]), privateKey).toString('base64');
    const escaped = publicKey.export({ type: 'spki', format: 'pem' }).toString().replace(/\n/gu, '\\n');

    // Act
    const result = verifySendgrid({
      rawBody,
      headers: headersFor({ timestamp, signature_b64: signature }),
      publicKey: escaped,
      nowMs: clockAt(timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects a body signed by a different generated key', () => {
    // Prepare
    const configured = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const timestamp = '1700000000';
    const rawBody = Buffer.from('[{"email":"jane@example.com","event":"spamreport"}]\r\n');
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), rawBody]), attacker.privateKey).toString(
      'base64',
    );
    const der = configured.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

    // Act
    const result = verifySendgrid({
      rawBody,
      headers: headersFor({ timestamp, signature_b64: signature }),
      publicKey: der,
      nowMs: clockAt(timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature header that is not base64', () => {
    // Prepare
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor({ timestamp: v.timestamp, signature_b64: 'not base64!' }),
      publicKey: v.public_key_spki_der_b64,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('answers invalid_key for a configured key that is not an EC P-256 key', () => {
    // Prepare
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    const v = vector('single_event');

    // Act
    const result = verifySendgrid({
      rawBody: Buffer.from(v.raw_body, 'utf8'),
      headers: headersFor(v),
      publicKey: rsa,
      nowMs: clockAt(v.timestamp),
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'invalid_key' });
  });

  it('loadSendgridPublicKey returns undefined for garbage instead of throwing', () => {
    // Prepare
    const garbage = 'definitely-not-a-key';

    // Act
    const key = loadSendgridPublicKey(garbage);

    // Assess
    expect(key).toBeUndefined();
  });
});
