import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHoodClient, validateTokenUrl, type HoodClient } from '../../../lib/hood/client.js';

// The network edge is real: a node:http server on a free port answers with scripted Hood responses
// (bodies as Ocamba's Hood API documentation gives them: blocked contacts, errors, rate limits).

const TOKEN = 'hood-secret-token-5f1e2d';
const TRACE = '99a84211-1111-4222-8333-444455556666';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface ScriptedServer {
  url: string;
  origin: string;
  requests: SeenRequest[];
  connections: number;
  close(): Promise<void>;
}

type Reply = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startServer(reply: Reply, basePath = '/v1/hood'): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const state = { requests: [] as SeenRequest[], connections: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      reply(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  cleanups.push(close);
  return {
    url: `${origin}${basePath}`,
    origin,
    requests: state.requests,
    get connections() {
      return state.connections;
    },
    close,
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

function raw(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

function client(url: string, requestTimeoutMs = 5_000): HoodClient {
  const c = createHoodClient({ apiUrl: url, token: TOKEN, requestTimeoutMs });
  cleanups.push(() => c.close());
  return c;
}

const BLOCK = { contact: '+38761234567', description: 'hood-blocker: SMS opt-out (sms_opt_out) via aws-sms' };

describe('createBlockedContact: documented answers', () => {
  it('reads a 201 as created with the numeric-string id and type', async () => {
    // Prepare
    const server = await startServer(
      json(201, {
        id: '1016',
        company_id: '12345678',
        creator_id: '10101010',
        contact: '* * * * * * * * * *',
        type: 'mobile_phone_number',
        description: 'x',
      }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({ kind: 'created', id: '1016', type: 'mobile_phone_number', status: 201 });
  });

  it('sends the documented request: POST …/blocked-contacts, Bearer token, JSON body, correlation id', async () => {
    // Prepare
    const server = await startServer(json(201, { id: '1' }));

    // Act
    await client(server.url).createBlockedContact(BLOCK, { correlationId: 'msg-42' });

    // Assess
    const [seen] = server.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/v1/hood/blocked-contacts');
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['x-correlation-id']).toBe('msg-42');
    expect(JSON.parse(seen?.body ?? '')).toEqual(BLOCK);
  });

  it('still reports created when a 201 body cannot be read, because Hood has blocked the contact', async () => {
    // Prepare
    const server = await startServer(raw(201, 'not json'));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({ kind: 'created', id: undefined, type: undefined, status: 201 });
  });

  it('does not trust a 200 HTML page from a proxy as a created contact', async () => {
    // Prepare
    const server = await startServer(raw(200, '<html>Welcome</html>', { 'content-type': 'text/html' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'bad_response', status: 200 });
  });

  it('reads a documented 400 as rejected with code, title, message and trace id', async () => {
    // Prepare
    const server = await startServer(
      json(400, { code: 400, title: 'Bad request.', message: 'The request body is not valid.', trace_id: TRACE }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'rejected',
      status: 400,
      code: 400,
      title: 'Bad request.',
      message: 'The request body is not valid.',
      traceId: TRACE,
    });
  });

  it('reads a 400 without any fields as rejected with just the status', async () => {
    // Prepare
    const server = await startServer(json(400, {}));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({ kind: 'rejected', status: 400 });
  });

  it('ignores error fields of the wrong type instead of failing the parse', async () => {
    // Prepare
    const server = await startServer(
      json(400, { code: 'four hundred', title: 7, message: 'The request body is not valid.', trace_id: null }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({ kind: 'rejected', status: 400, message: 'The request body is not valid.' });
  });

  it('reads a 404 as rejected', async () => {
    // Prepare
    const server = await startServer(json(404, { code: 404, title: 'Not found.' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({ kind: 'rejected', status: 404, code: 404, title: 'Not found.' });
  });

  it('reads a 401 as unauthorized with the documented fields', async () => {
    // Prepare
    const server = await startServer(
      json(401, { code: 401, title: 'Unauthorized.', message: 'Unauthorized.', trace_id: TRACE }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'unauthorized',
      status: 401,
      title: 'Unauthorized.',
      message: 'Unauthorized.',
      traceId: TRACE,
    });
  });

  it('reads a 403 with an empty body as unauthorized', async () => {
    // Prepare
    const server = await startServer(raw(403, ''));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({ kind: 'unauthorized', status: 403 });
  });

  it('reads a 500 without message as unavailable/server_error keeping the trace id', async () => {
    // Prepare
    const server = await startServer(json(500, { code: 500, title: 'Internal server error.', trace_id: TRACE }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'unavailable',
      status: 500,
      cause: 'server_error',
      traceId: TRACE,
      message: 'Hood answered 500: Internal server error.',
    });
  });

  it('reads a non-JSON 502 from a gateway as unavailable/server_error without echoing the page', async () => {
    // Prepare
    const server = await startServer(
      raw(502, '<html><body>502 Bad Gateway</body></html>', { 'content-type': 'text/html' }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', status: 502, cause: 'server_error' });
    expect(JSON.stringify(result)).not.toContain('<html>');
  });

  it('reads a 503 with an empty body as unavailable/server_error', async () => {
    // Prepare
    const server = await startServer(raw(503, ''));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'unavailable',
      status: 503,
      cause: 'server_error',
      message: 'Hood answered 503 with an empty body',
    });
  });

  it('reads a 408 as unavailable/timeout, not as a rejection', async () => {
    // Prepare
    const server = await startServer(raw(408, ''));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', status: 408, cause: 'timeout' });
  });
});

describe('createBlockedContact: 429 and rate-limit headers', () => {
  it('reads 429 with Retry-After seconds', async () => {
    // Prepare
    const server = await startServer(json(429, { code: 429, title: 'Too many requests.' }, { 'retry-after': '7' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      retryAfterSeconds: 7,
      retryAfterMs: 7000,
      parallelLimit: false,
    });
  });

  it('reads 429 with Retry-After -1 as the parallel limit with no retry time', async () => {
    // Prepare
    const server = await startServer(raw(429, '', { 'retry-after': '-1' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterSeconds: undefined,
      retryAfterMs: undefined,
      parallelLimit: true,
    });
  });

  it('reads 429 without Retry-After as an unknown wait', async () => {
    // Prepare
    const server = await startServer(raw(429, ''));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterSeconds: undefined,
      retryAfterMs: undefined,
      parallelLimit: false,
    });
  });

  it('prefers the exact Retry-After-Ms of the sandbox over the rounded seconds', async () => {
    // Prepare
    const server = await startServer(raw(429, '', { 'retry-after': '1', 'retry-after-ms': '140' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 1, retryAfterMs: 140 });
  });

  it('reads X-RateLimit-Limit, -Remaining and -Reset from a 201', async () => {
    // Prepare
    const server = await startServer(
      json(201, { id: '5' }, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '1' }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'created', rateLimit: { limit: 10, remaining: 3, resetSeconds: 1 } });
  });

  it('reads rate-limit headers from a rejection and a server error too', async () => {
    // Prepare
    const headers = { 'x-ratelimit-limit': '150', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '42' };
    const server = await startServer((req, res, body) =>
      (body.includes('bad') ? json(400, {}, headers) : raw(503, '', headers))(req, res, body),
    );
    const c = client(server.url);

    // Act
    const rejected = await c.createBlockedContact({ contact: 'bad', description: '' });
    const unavailable = await c.createBlockedContact(BLOCK);

    // Assess
    expect(rejected).toMatchObject({ kind: 'rejected', rateLimit: { limit: 150, remaining: 0, resetSeconds: 42 } });
    expect(unavailable).toMatchObject({
      kind: 'unavailable',
      rateLimit: { limit: 150, remaining: 0, resetSeconds: 42 },
    });
  });

  it('leaves rateLimit out when the headers are missing or garbage', async () => {
    // Prepare
    const server = await startServer(json(201, { id: '5' }, { 'x-ratelimit-limit': 'lots' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).not.toHaveProperty('rateLimit');
  });
});

describe('createBlockedContact: duplicates (undocumented, research §4)', () => {
  it('treats 409 as already blocked', async () => {
    // Prepare
    const server = await startServer(
      json(409, { code: 409, title: 'Conflict.', message: 'Contact is already blocked.', trace_id: TRACE }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toEqual({
      kind: 'already_blocked',
      status: 409,
      message: 'Contact is already blocked.',
      traceId: TRACE,
    });
  });

  it('treats a 400 saying "already blocked" as already blocked', async () => {
    // Prepare
    const server = await startServer(
      json(400, { code: 400, title: 'Bad request.', message: 'Contact is already blocked.', trace_id: TRACE }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'already_blocked', status: 400 });
  });

  it('treats a 422 whose title says "Duplicate" as already blocked', async () => {
    // Prepare
    const server = await startServer(json(422, { code: 422, title: 'Duplicate entry.' }));

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'already_blocked', status: 422, message: 'Duplicate entry.' });
  });

  it('keeps the generic 400 "The request body is not valid." a rejection', async () => {
    // Prepare
    const server = await startServer(
      json(400, { code: 400, title: 'Bad request.', message: 'The request body is not valid.', trace_id: TRACE }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result.kind).toBe('rejected');
  });

  it('does not read "already" in a 500 as a duplicate', async () => {
    // Prepare
    const server = await startServer(
      json(500, { code: 500, message: 'Contact already exists in cache; write failed.' }),
    );

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result.kind).toBe('unavailable');
  });
});

describe('createBlockedContact: network failures', () => {
  it('reports a server that never answers as unavailable/timeout within the budget', async () => {
    // Prepare
    const server = await startServer(() => {
      /* never answer */
    });
    const started = performance.now();

    // Act
    const result = await client(server.url, 300).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'timeout' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('honours a tighter per-call timeout', async () => {
    // Prepare
    const server = await startServer(() => {
      /* never answer */
    });
    const started = performance.now();

    // Act
    const result = await client(server.url, 30_000).createBlockedContact(BLOCK, { timeoutMs: 200 });

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'timeout' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('accepts a fractional per-call timeout (a budget computed from an uneven rate share)', async () => {
    // Prepare
    const server = await startServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '1016', type: 'sms' }));
    });

    // Act
    const result = await client(server.url, 30_000).createBlockedContact(BLOCK, { timeoutMs: 6467.97314453125 });

    // Assess
    expect(result).toMatchObject({ kind: 'created', id: '1016' });
  });

  it('reports a caller abort as unavailable/timeout instead of throwing', async () => {
    // Prepare
    const server = await startServer(() => {
      /* never answer */
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK, { signal: controller.signal });

    // Assess
    expect(result).toMatchObject({
      kind: 'unavailable',
      cause: 'timeout',
      message: 'request aborted by the caller before Hood answered',
    });
  });

  it('reports a reset connection as unavailable/connection', async () => {
    // Prepare
    const server = await startServer((req) => req.socket.destroy());

    // Act
    const result = await client(server.url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'connection' });
  });

  it('reports a refused connection as unavailable/connection', async () => {
    // Prepare
    const server = await startServer(raw(204, ''));
    const url = server.url;
    await server.close();

    // Act
    const result = await client(url).createBlockedContact(BLOCK);

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'connection' });
  });

  it('reuses one keep-alive socket for sequential requests', async () => {
    // Prepare
    const server = await startServer(json(201, { id: '1' }));
    const c = client(server.url);

    // Act
    for (let i = 0; i < 5; i += 1) await c.createBlockedContact(BLOCK);

    // Assess
    expect(server.requests).toHaveLength(5);
    expect(server.connections).toBe(1);
  });

  it('keeps the socket usable after error answers by consuming their bodies', async () => {
    // Prepare
    let n = 0;
    const server = await startServer((req, res, body) => {
      n += 1;
      (n % 2 === 0
        ? json(500, { code: 500, title: 'Internal server error.' })
        : json(400, { message: 'x'.repeat(10_000) }))(req, res, body);
    });
    const c = client(server.url);

    // Act
    for (let i = 0; i < 4; i += 1) await c.createBlockedContact(BLOCK);

    // Assess
    expect(server.connections).toBe(1);
  });
});

describe('the token stays secret', () => {
  it('never appears in results, even when the server echoes it back', async () => {
    // Prepare
    const statuses = [400, 401, 403, 409, 422, 429, 500, 400, 401];
    let n = 0;
    const echo: Reply = (req, res) => {
      const auth = req.headers.authorization ?? '';
      const status = statuses[n++ % statuses.length]!;
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(
        JSON.stringify({ code: status, title: `Bad ${auth}`, message: `token ${auth} rejected`, trace_id: auth }),
      );
    };
    const server = await startServer(echo);
    const c = client(server.url);
    const results: unknown[] = [];

    // Act
    for (let i = 0; i < 7; i += 1) results.push(await c.createBlockedContact(BLOCK));
    results.push(await c.listBlockedContacts());
    results.push(await c.validateToken());

    // Assess
    const text = JSON.stringify(results);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(TOKEN);
  });

  it('never appears in network failure messages', async () => {
    // Prepare
    const server = await startServer((req) => req.socket.destroy());
    const hanging = await startServer(() => {
      /* never answer */
    });

    // Act
    const results = [
      await client(server.url).createBlockedContact(BLOCK),
      await client(hanging.url, 200).createBlockedContact(BLOCK),
      await client('http://127.0.0.1:9/v1/hood').createBlockedContact(BLOCK),
    ];

    // Assess
    expect(results.every((r) => r.kind === 'unavailable')).toBe(true);
    expect(JSON.stringify(results)).not.toContain(TOKEN);
  });

  it('refuses a token with whitespace without echoing it', () => {
    // Prepare
    const bad = 'secret value\n';

    // Act
    const create = () => createHoodClient({ apiUrl: 'http://127.0.0.1:1/v1/hood', token: bad, requestTimeoutMs: 1000 });

    // Assess
    expect(create).toThrow(TypeError);
    expect(create).not.toThrow(/secret value/u);
  });
});

describe('validateToken', () => {
  it('derives the Core v2 URL from the public API URL', () => {
    // Prepare
    const apiUrl = 'https://api.ocamba.com/v1/hood';

    // Act
    const url = validateTokenUrl(apiUrl);

    // Assess
    expect(url).toBe('https://api.ocamba.com/v2/ocamba/personal-api-keys/validate');
  });

  it('keeps a path prefix such as the npm start sandbox mount', () => {
    // Prepare
    const apiUrl = 'http://127.0.0.1:3000/sandbox/v1/hood/';

    // Act
    const url = validateTokenUrl(apiUrl);

    // Assess
    expect(url).toBe('http://127.0.0.1:3000/sandbox/v2/ocamba/personal-api-keys/validate');
  });

  it('reads 204 as valid after POSTing the Bearer key to the derived URL', async () => {
    // Prepare
    const server = await startServer(raw(204, ''), '/sandbox/v1/hood');

    // Act
    const result = await client(server.url).validateToken();

    // Assess
    expect(result).toEqual({ kind: 'valid', status: 204 });
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/sandbox/v2/ocamba/personal-api-keys/validate' });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reads 401 as unauthorized', async () => {
    // Prepare
    const server = await startServer(
      json(401, { code: 401, title: 'Unauthorized.', message: 'Unauthorized.', trace_id: '{}' }),
    );

    // Act
    const result = await client(server.url).validateToken();

    // Assess
    expect(result).toEqual({
      kind: 'unauthorized',
      status: 401,
      title: 'Unauthorized.',
      message: 'Unauthorized.',
      traceId: '{}',
    });
  });
});

describe('listBlockedContacts', () => {
  it('requests page=N,M with read_gdpr_fields and parses {total, items}', async () => {
    // Prepare
    const item = {
      id: '7',
      company_id: '12345678',
      creator_id: '10101010',
      creator: { id: '10101010', name: 'Key', status: 'active', image: null },
      contact: '+1234567890',
      type: 'mobile_phone_number',
      description: 'x',
      create_time: '2021-10-29 12:47:00',
      update_time: null,
    };
    const server = await startServer(json(200, { total: 51, items: [item] }, { 'x-ratelimit-remaining': '9' }));

    // Act
    const result = await client(server.url).listBlockedContacts({ page: 2, pageSize: 50, readGdprFields: true });

    // Assess
    expect(server.requests[0]?.method).toBe('GET');
    expect(server.requests[0]?.url).toBe('/v1/hood/blocked-contacts?page=2,50&read_gdpr_fields=true');
    expect(result).toEqual({ kind: 'listed', status: 200, total: 51, items: [item], rateLimit: { remaining: 9 } });
  });

  it('reports a 200 that is not a list as unavailable/bad_response', async () => {
    // Prepare
    const server = await startServer(json(200, { data: [] }));

    // Act
    const result = await client(server.url).listBlockedContacts();

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'bad_response', status: 200 });
  });
});
