import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TWILIO_SIGNATURE_HEADER, twilioUrlCandidates, verifyTwilio } from '../../../../lib/providers/twilio/verify.js';
import { fixtureBytes, fixtureJson } from '../fixtures.js';

interface TwilioVector {
  name: string;
  url: string;
  params: Record<string, string | string[]>;
  raw_body?: string;
  signature: string;
  expect_valid: boolean;
}
const { auth_token: AUTH_TOKEN, vectors } = fixtureJson<{ auth_token: string; vectors: TwilioVector[] }>(
  'twilio/signature-vectors-twilio-node.json',
);
const vector = (name: string) => vectors.find((v) => v.name === name)!;

/** The form body Twilio would POST for the vector's parameters (a repeated parameter is sent once per value). */
function formBody(params: TwilioVector['params']): Buffer {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
  return Buffer.from(form.toString(), 'utf8');
}
function bodyOf(v: TwilioVector): Buffer {
  return v.raw_body !== undefined ? Buffer.from(v.raw_body, 'utf8') : formBody(v.params);
}
const sign = (url: string, data: string) =>
  createHmac('sha1', AUTH_TOKEN)
    .update(url + data)
    .digest('base64');

describe('verifyTwilio', () => {
  it.each(vectors.filter((v) => v.expect_valid))('accepts the twilio-node vector "$name"', (v) => {
    // Prepare
    const input = {
      rawBody: bodyOf(v),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: v.url,
      authToken: AUTH_TOKEN,
    };

    // Act
    const result = verifyTwilio(input);

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects the twilio-node vector "wrong_signature"', () => {
    // Prepare
    const v = vector('wrong_signature');

    // Act
    const result = verifyTwilio({
      rawBody: bodyOf(v),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: v.url,
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts a signature made over the URL with :443 when the request URL has no port', () => {
    // Prepare
    const v = vector('url_with_explicit_443');

    // Act
    const result = verifyTwilio({
      rawBody: bodyOf(v),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('accepts a signature made without the port when the request URL has :443', () => {
    // Prepare
    const v = vector('default');

    // Act
    const result = verifyTwilio({
      rawBody: bodyOf(v),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: 'https://mycompany.com:443/myapp.php?foo=1&bar=2',
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects the vector under a different auth token', () => {
    // Prepare
    const v = vector('default');

    // Act
    const result = verifyTwilio({
      rawBody: bodyOf(v),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: v.url,
      authToken: '54321',
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the vector with one parameter value changed', () => {
    // Prepare
    const v = vector('default');
    const tampered = { ...v.params, From: '+14158675308' };

    // Act
    const result = verifyTwilio({
      rawBody: formBody(tampered),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: v.url,
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the vector with an extra parameter (every received parameter is signed)', () => {
    // Prepare
    const v = vector('default');
    const extended = { ...v.params, OptOutType: 'STOP' };

    // Act
    const result = verifyTwilio({
      rawBody: formBody(extended),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: v.url,
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the vector posted to a different URL', () => {
    // Prepare
    const v = vector('default');

    // Act
    const result = verifyTwilio({
      rawBody: bodyOf(v),
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: 'https://mycompany.com/other.php?foo=1&bar=2',
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a JSON body whose bytes do not match the signed bodySHA256', () => {
    // Prepare
    const v = vector('json_body_bodySHA256');
    const rawBody = Buffer.from(v.raw_body!.replace('value', 'valuf'), 'utf8');

    // Act
    const result = verifyTwilio({
      rawBody,
      headers: { [TWILIO_SIGNATURE_HEADER]: v.signature },
      url: v.url,
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a request without X-Twilio-Signature', () => {
    // Prepare
    const v = vector('default');

    // Act
    const result = verifyTwilio({ rawBody: bodyOf(v), headers: {}, url: v.url, authToken: AUTH_TOKEN });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('verifies the captured inbound SMS form body signed in the test, percent-decoding values', () => {
    // Prepare
    const rawBody = fixtureBytes('twilio/botbuilder-inbound-sms-hello.form');
    const url = 'https://hooks.example.com/webhooks/twilio';
    const params = [...new URLSearchParams(rawBody.toString('utf8'))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const signature = sign(url, params.map(([k, v]) => k + v).join(''));

    // Act
    const result = verifyTwilio({
      rawBody,
      headers: { [TWILIO_SIGNATURE_HEADER]: signature },
      url,
      authToken: AUTH_TOKEN,
    });

    // Assess
    expect(result).toMatchObject({ ok: true });
  });
});

describe('twilioUrlCandidates', () => {
  it('tries the URL without and with the default port', () => {
    // Prepare
    const url = 'https://user:pw@example.com/path?q=1';

    // Act
    const candidates = twilioUrlCandidates(url);

    // Assess
    expect(candidates).toEqual(expect.arrayContaining([url, 'https://user:pw@example.com:443/path?q=1']));
  });

  it('tries any port removed, as twilio-node does, and keeps a port it finds', () => {
    // Prepare
    const withOther = 'https://example.com:8443/p';

    // Act
    const candidates = twilioUrlCandidates(withOther);

    // Assess
    expect(candidates).toEqual(expect.arrayContaining([withOther, 'https://example.com/p']));
    expect(candidates).not.toContain('https://example.com:443/p');
  });

  it("tries the query string as new URL() escapes it ('→%27) and as Node's legacy querystring does (+→%20)", () => {
    // Prepare
    const url = "https://example.com/p?name=o'brien&x=a+b";

    // Act
    const candidates = twilioUrlCandidates(url);

    // Assess
    expect(candidates).toEqual(
      expect.arrayContaining([
        url,
        'https://example.com/p?name=o%27brien&x=a+b',
        "https://example.com/p?name=o'brien&x=a%20b",
      ]),
    );
  });
});
