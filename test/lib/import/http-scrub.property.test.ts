import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJsonClient, type FetchLike } from '../../../lib/import/http.js';

/**
 * Import errors never carry a credential of the request, in any spelling the API's answer echoes it:
 * as is, base64 of `api:key`, `key:`, `user:key` or of the key inside a longer text (a base64 dump of
 * the request), URL- or form-encoded, JSON-escaped, hex, or the whole Authorization header, and wherever
 * the echo sits in the body (across the 200th character, where the message is cut, too).
 */

const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:&%"\\~-_.!$';
/** The rest of the answer: characters no encoding of a secret produces, so a leak cannot hide in them. */
const FILLER_CHARS = ' {}[]<>|^`#,;()@';

const secretArb = fc.string({ unit: fc.constantFrom(...SECRET_CHARS), minLength: 12, maxLength: 48 });
const userArb = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 2,
  maxLength: 12,
});
const fillerArb = (maxLength: number) => fc.string({ unit: fc.constantFrom(...FILLER_CHARS), maxLength });

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const b64url = (text: string | Buffer) => Buffer.from(text).toString('base64url');

/** How the request carries the secret, as the import sources send it. */
type Carrier = 'bearer' | 'basic-api' | 'basic-user' | 'api-key-header' | 'bare-authorization' | 'json-body' | 'query';
const carriers: Carrier[] = [
  'bearer',
  'basic-api',
  'basic-user',
  'api-key-header',
  'bare-authorization',
  'json-body',
  'query',
];

interface Sent {
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function requestFor(carrier: Carrier, secret: string, user: string): Sent {
  const url = 'https://api.test/v3/suppressions';
  switch (carrier) {
    case 'bearer':
      return { url, headers: { authorization: `Bearer ${secret}` } };
    case 'basic-api':
      return { url, headers: { authorization: `Basic ${b64(`api:${secret}`)}` } };
    case 'basic-user':
      return { url, headers: { authorization: `Basic ${b64(`${user}:${secret}`)}` } };
    case 'api-key-header':
      return { url, headers: { 'api-key': secret } };
    case 'bare-authorization':
      return { url, headers: { authorization: secret } };
    case 'json-body':
      return {
        url,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: secret, limit: 100 }),
      };
    case 'query':
      return { url: `${url}?api_key=${encodeURIComponent(secret)}`, headers: {} };
  }
}

/** The ways an answer may echo the secret. */
const echoes: Record<string, (secret: string, user: string, sent: Sent, prefix: Buffer, suffix: Buffer) => string> = {
  raw: (s) => s,
  base64: (s) => b64(s),
  base64Unpadded: (s) => b64(s).replace(/=+$/u, ''),
  base64Url: (s) => b64url(s),
  basicApi: (s) => b64(`api:${s}`),
  basicUser: (s, u) => b64(`${u}:${s}`),
  keyColon: (s) => b64(`${s}:`),
  // The part of the request that carries the key, echoed whole.
  requestEcho: (_s, _u, sent) => sent.headers.authorization ?? sent.headers['api-key'] ?? sent.body ?? sent.url,
  urlEncoded: (s) => encodeURIComponent(s),
  urlEncodedLower: (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/gu, (m) => m.toLowerCase()),
  formEncoded: (s) => new URLSearchParams({ k: s }).toString().slice(2),
  jsonEscaped: (s) => JSON.stringify({ key: s }),
  jsonEscapedSlashes: (s) => JSON.stringify({ key: s }).replace(/\//gu, '\\/'),
  hex: (s) => Buffer.from(s).toString('hex'),
  requestDump: (s, _u, _sent, prefix, suffix) => b64(Buffer.concat([prefix, Buffer.from(s), suffix])),
  requestDumpUrl: (s, _u, _sent, prefix, suffix) => b64url(Buffer.concat([prefix, Buffer.from(s), suffix])),
};

/** Pieces of the secret's own encodings that must not survive, 12 characters at a time. */
function leakWindows(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const texts = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), bytes.toString('hex')];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = b64(Buffer.concat([Buffer.alloc(offset), bytes]));
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    texts.push(core, core.replace(/\+/gu, '-').replace(/\//gu, '_'));
  }
  const windows = new Set<string>();
  for (const text of texts) for (let i = 0; i + 12 <= text.length; i += 1) windows.add(text.slice(i, i + 12));
  return [...windows];
}

function answering(status: number, body: string): FetchLike {
  return async () => new Response(body, { status });
}

const MARKER = '{oops}';

describe('import HTTP errors never carry a credential of the request, in any spelling', () => {
  it('for every carrier, echo, position and answer (400 with the echo, or a permanent 5xx)', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        userArb,
        fc.constantFrom(...carriers),
        fc.constantFrom(...Object.keys(echoes)),
        fillerArb(260),
        fillerArb(40),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        async (secret, user, carrier, echo, before, after, prefix, suffix, permanent, named) => {
          // Prepare
          const sent = requestFor(carrier, secret, user);
          const echoed = echoes[echo]!(secret, user, sent, Buffer.from(prefix), Buffer.from(suffix));
          const answer = `${MARKER}${before}${echoed}${after}`;
          const client = createJsonClient({
            api: 'test',
            fetch: answering(permanent ? 500 : 400, answer),
            sleep: async () => {},
            // The source names its key, or not: the request alone must be enough.
            secrets: named ? [secret] : [],
            permanentError: (_status, body) => `rejected: ${body}`,
          });

          // Act
          const error = (await client
            .json(sent.url, { headers: sent.headers, body: sent.body })
            .catch((e: unknown) => e)) as Error;

          // Assess
          const message = error.message;
          const echoPart = message.slice(message.indexOf(': ', message.indexOf('test: ') + 6) + 2);
          expect(message).not.toContain(echoed);
          for (const window of leakWindows(secret)) expect(echoPart).not.toContain(window);
          expect(message).toContain(MARKER);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('import HTTP errors: the echoed Authorization header of the issue', () => {
  it('removes a Mailgun key echoed as its Basic header (base64 of api:key)', async () => {
    // Prepare
    const key = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
    const header = `Basic ${b64(`api:${key}`)}`;
    const answer = JSON.stringify({ message: 'bad request', echo: { headers: { Authorization: header } } });
    const client = createJsonClient({ api: 'mailgun', fetch: answering(400, answer), secrets: [key] });

    // Act
    const error = (await client
      .json('https://api.mailgun.net/v3/x/bounces', { headers: { authorization: header } })
      .catch((e: unknown) => e)) as Error;

    // Assess
    expect(error.message).not.toContain(b64(`api:${key}`));
    expect(error.message).toContain('"Authorization":"[redacted]"');
  });
});
