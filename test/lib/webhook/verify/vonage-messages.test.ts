import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../../lib/webhook/ingress.js';
import { harness, NOW_MS, NOW_S, request, SECRETS, vonageRequest } from '../harness.js';

/**
 * Vonage Messages API signed webhooks through the real ingress: `Authorization: Bearer <HS256 JWT>` signed
 * with the signature secret, `payload_hash` the SHA-256 hex of the body. Tokens are made here by hand (as
 * Vonage documents them), not by the project's signer.
 */
const JSON_TYPE = 'application/json';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function bearer(
  body: string,
  claims: Record<string, unknown> = {},
  secret: string = SECRETS.VONAGE_SIGNATURE_SECRET,
): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({
    iat: Number(NOW_S),
    jti: '0d3ad3e0-9b0e-4c3f-9a63-5b5e4d5f6a7b',
    iss: 'Vonage',
    payload_hash: createHash('sha256').update(body).digest('hex'),
    api_key: 'abcd1234',
    application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
    ...claims,
  })}`;
  return `Bearer ${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An inbound SMS as the Messages API v1 posts it. */
function inboundSms(text: string, from = '447700900001'): string {
  return JSON.stringify({
    channel: 'sms',
    message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
    to: '447700900000',
    from,
    timestamp: '2026-01-15T10:29:58Z',
    text,
    sms: { num_messages: '1', keyword: text.split(' ')[0]!.toUpperCase() },
    message_type: 'text',
  });
}

const signedRequest = (body: string, authorization = bearer(body)) =>
  request('vonage', body, { 'content-type': JSON_TYPE, authorization });
const contacts = (h: ReturnType<typeof harness>) => h.queued.map((m) => JSON.parse(m.body) as Record<string, unknown>);

describe('vonage: Messages API signed webhooks (Authorization: Bearer JWT)', () => {
  it('queues an inbound STOP signed with a JWT as an sms_opt_out of the sender', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(signedRequest(inboundSms('STOP')), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual([
      expect.objectContaining({
        contact: '+447700900001',
        reason: 'sms_opt_out',
        source: 'vonage',
        eventId: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
      }),
    ]);
  });

  it('queues a STOP in the older shape (from: {type, number}): the token signs the whole body', async () => {
    // Prepare
    const h = harness();
    const body = JSON.stringify({
      channel: 'sms',
      message_uuid: 'u-2',
      from: { type: 'sms', number: '447700900002' },
      to: { type: 'sms', number: '447700900000' },
      text: 'STOP',
    });

    // Act
    const response = await handleWebhook(signedRequest(body), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual([expect.objectContaining({ contact: '+447700900002', reason: 'sms_opt_out' })]);
  });

  it('queues a STOP in the SMS API shape signed with a JWT', async () => {
    // Prepare
    const h = harness();
    const body = JSON.stringify({ msisdn: '447700900003', to: '447700900000', messageId: 'm-3', text: 'STOP' });

    // Act
    const response = await handleWebhook(signedRequest(body), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual([expect.objectContaining({ contact: '+447700900003', reason: 'sms_opt_out' })]);
  });

  it('ignores a signed inbound message that is not an opt-out keyword', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(signedRequest(inboundSms('STOP sending me the menu')), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.queued).toEqual([]);
  });

  it('ignores a signed message status webhook', async () => {
    // Prepare
    const h = harness();
    const body = JSON.stringify({
      channel: 'sms',
      message_uuid: 'u-3',
      to: '447700900001',
      from: '447700900000',
      status: 'delivered',
      timestamp: '2026-01-15T10:29:58Z',
    });

    // Act
    const response = await handleWebhook(signedRequest(body), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.queued).toEqual([]);
  });

  it('refuses the body with the sender changed (the token signed another body)', async () => {
    // Prepare
    const h = harness();
    const token = bearer(inboundSms('STOP', '447700900001'));

    // Act
    const response = await handleWebhook(signedRequest(inboundSms('STOP', '447700900009'), token), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });

  it('refuses a token signed with another secret', async () => {
    // Prepare
    const h = harness();
    const body = inboundSms('STOP');

    // Act
    const response = await handleWebhook(signedRequest(body, bearer(body, {}, 'not-the-secret')), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });

  it('refuses an unsigned token (alg none) naming the body it carries', async () => {
    // Prepare
    const h = harness();
    const body = inboundSms('STOP');
    const claims = { iat: Number(NOW_S), payload_hash: createHash('sha256').update(body).digest('hex') };

    // Act
    const unsigned = `Bearer ${b64url({ alg: 'none' })}.${b64url(claims)}.`;
    const response = await handleWebhook(signedRequest(body, unsigned), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });

  it('still accepts an SMS API request signed with sig when an Authorization header does not verify', async () => {
    // Prepare
    const h = harness();
    const signed = vonageRequest({ msisdn: '447700900004', to: '447700900000', messageId: 'm-4', text: 'STOP' });
    const withHeader = { ...signed, headers: { ...signed.headers, authorization: 'Bearer a.b.c' } };

    // Act
    const response = await handleWebhook(withHeader, h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contacts(h)).toEqual([expect.objectContaining({ contact: '+447700900004' })]);
  });

  it('answers 503 to a request without any signature, so that Vonage retries it signed', async () => {
    // Prepare
    const h = harness();

    // Act
    const unsigned = request('vonage', inboundSms('STOP'), { 'content-type': JSON_TYPE });
    const response = await handleWebhook(unsigned, h.deps);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(h.queued).toEqual([]);
    expect(h.deadLetters).toEqual([]);
  });

  it('refuses a token issued more than the window ago', async () => {
    // Prepare
    const h = harness();
    const body = inboundSms('STOP');

    // Act
    const stale = bearer(body, { iat: Math.floor(NOW_MS / 1000) - 26 * 3600 });
    const response = await handleWebhook(signedRequest(body, stale), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });
});

describe('vonage: unsigned parts of a Messages API request never change who is blocked', () => {
  const headerName = fc.constantFrom(
    'content-type',
    'x-forwarded-host',
    'user-agent',
    'x-request-id',
    'sig',
    'x-vonage-from',
  );
  const headerValue = fc.oneof(
    fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', '447700900666'),
    fc.string(),
  );

  it('for any extra or changed headers besides the token, the same sender is blocked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(headerName, headerValue, { maxKeys: 4 }), async (extra) => {
        // Prepare
        const h = harness();
        const body = inboundSms('STOP');
        const signed = signedRequest(body);
        const changed = { ...signed, headers: { ...extra, authorization: signed.headers.authorization } };

        // Act
        const response = await handleWebhook(changed, h.deps);

        // Assess
        expect(response.statusCode).toBe(200);
        expect(contacts(h).map((c) => c.contact)).toEqual(['+447700900001']);
      }),
      { numRuns: 50 },
    );
  });
});
