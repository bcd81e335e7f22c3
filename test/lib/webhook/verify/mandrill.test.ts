import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MANDRILL_SIGNATURE_HEADER, verifyMandrill } from '../../../../lib/providers/mandrill/verify.js';
import { fixtureJson } from '../fixtures.js';

const KEY = 'mandrill-webhook-key-for-tests';
const URL_AS_CONFIGURED = 'https://hooks.example.com/webhooks/mandrill';
const events = JSON.stringify([fixtureJson('mandrill/telegraf-mandrill-hard-bounce-event.json')]);
const rawBody = Buffer.from(new URLSearchParams({ mandrill_events: events }).toString());

/**
 * Mandrill publishes no test vector, so the expected signature is computed here exactly as Mandrill's
 * documented PHP reference does: `$signed_data = $url; ksort($params); foreach … $signed_data .= $key.$value;
 * base64_encode(hash_hmac('sha1', $signed_data, $key, true))`.
 */
function mandrillReference(key: string, url: string, params: Record<string, string>): string {
  const signedData =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return createHmac('sha1', key).update(signedData).digest('base64');
}
const SIGNATURE = mandrillReference(KEY, URL_AS_CONFIGURED, { mandrill_events: events });

describe('verifyMandrill', () => {
  it('accepts a POST signed over the configured URL and the mandrill_events parameter', () => {
    // Prepare
    const headers = { [MANDRILL_SIGNATURE_HEADER]: SIGNATURE };

    // Act
    const result = verifyMandrill({ rawBody, headers, url: URL_AS_CONFIGURED, webhookKey: KEY });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('sorts several parameters by name before signing', () => {
    // Prepare
    const params = { b: '2', a: '1', mandrill_events: '[]' };
    const body = Buffer.from(new URLSearchParams(params).toString());
    const headers = { [MANDRILL_SIGNATURE_HEADER]: mandrillReference(KEY, URL_AS_CONFIGURED, params) };

    // Act
    const result = verifyMandrill({ rawBody: body, headers, url: URL_AS_CONFIGURED, webhookKey: KEY });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects the signature under a different key', () => {
    // Prepare
    const headers = { [MANDRILL_SIGNATURE_HEADER]: SIGNATURE };

    // Act
    const result = verifyMandrill({ rawBody, headers, url: URL_AS_CONFIGURED, webhookKey: 'another-key' });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the body with one byte changed', () => {
    // Prepare
    const tampered = Buffer.from(rawBody);
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x01;

    // Act
    const result = verifyMandrill({
      rawBody: tampered,
      headers: { [MANDRILL_SIGNATURE_HEADER]: SIGNATURE },
      url: URL_AS_CONFIGURED,
      webhookKey: KEY,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the request when it reached a different URL than the one signed', () => {
    // Prepare
    const headers = { [MANDRILL_SIGNATURE_HEADER]: SIGNATURE };

    // Act
    const result = verifyMandrill({ rawBody, headers, url: `${URL_AS_CONFIGURED}?x=1`, webhookKey: KEY });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a request without X-Mandrill-Signature', () => {
    // Prepare
    const headers = {};

    // Act
    const result = verifyMandrill({ rawBody, headers, url: URL_AS_CONFIGURED, webhookKey: KEY });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });
});
