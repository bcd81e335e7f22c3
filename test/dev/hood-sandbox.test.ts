import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHoodClient, type HoodClient } from '../../lib/hood/client.js';
import {
  createHoodSandboxHandler,
  startHoodSandbox,
  type HoodSandbox,
  type HoodSandboxOptions,
} from '../../dev/hood-sandbox.js';

const TOKEN = 'sandbox-token-123';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sandbox(options: HoodSandboxOptions = {}): Promise<HoodSandbox> {
  const s = await startHoodSandbox({ token: TOKEN, ...options });
  cleanups.push(() => s.close());
  return s;
}

function hoodClient(s: HoodSandbox, requestTimeoutMs = 5_000, token = TOKEN): HoodClient {
  const c = createHoodClient({ apiUrl: s.url, token, requestTimeoutMs });
  cleanups.push(() => c.close());
  return c;
}

/** A clock the test moves by hand, so window boundaries never depend on the machine's speed. */
function manualClock(start = 1_700_000_040_000 /* a whole minute, so every window starts here */): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

async function post(s: HoodSandbox, contact: string, headers: Record<string, string> = AUTH): Promise<Response> {
  return fetch(`${s.url}/blocked-contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ contact, description: 'test' }),
  });
}

async function answer(response: Response): Promise<{ status: number; headers: Headers; body: unknown }> {
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

describe('fixed-window rate limits', () => {
  it('admits exactly the window count and answers the rest of a burst with 429 and Retry-After', async () => {
    // Prepare
    const clock = manualClock();
    const s = await sandbox({
      rateLimits: [
        { count: 5, windowMs: 200 },
        { count: 20, windowMs: 2000 },
      ],
      clock: clock.now,
    });
    clock.advance(50);

    // Act
    const results = [];
    for (let i = 0; i < 8; i += 1) results.push(await answer(await post(s, `+3876100000${i}`)));

    // Assess
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    for (const r of results.slice(5)) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('retry-after-ms')).toBe('150');
    }
    expect(s.stats()).toMatchObject({ created: 5, rateLimited: 3, windowViolations: 3, parallelViolations: 0 });
  });

  it('admits again once the short window has rolled over', async () => {
    // Prepare
    const clock = manualClock();
    const s = await sandbox({ rateLimits: [{ count: 2, windowMs: 200 }], clock: clock.now });
    await post(s, '+38761000001');
    await post(s, '+38761000002');
    const refused = await post(s, '+38761000003');

    // Act
    clock.advance(200);
    const admitted = await post(s, '+38761000003');

    // Assess
    expect(refused.status).toBe(429);
    expect(admitted.status).toBe(201);
  });

  it('enforces the long window across short windows and waits for its end', async () => {
    // Prepare
    const clock = manualClock();
    const s = await sandbox({
      rateLimits: [
        { count: 5, windowMs: 200 },
        { count: 20, windowMs: 2000 },
      ],
      clock: clock.now,
    });
    for (let w = 0; w < 4; w += 1) {
      for (let i = 0; i < 5; i += 1) await post(s, `+387610${w}${i}000`);
      clock.advance(200);
    }

    // Act
    const refused = await answer(await post(s, '+38761999999'));

    // Assess: 800 ms into the 2 s window, 1200 ms remain
    expect(s.stats().created).toBe(20);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.headers.get('retry-after-ms')).toBe('1200');
  });

  it('counts GETs against the same windows as POSTs', async () => {
    // Prepare
    const clock = manualClock();
    const s = await sandbox({ rateLimits: [{ count: 2, windowMs: 1000 }], clock: clock.now });
    await fetch(`${s.url}/blocked-contacts`, { headers: AUTH }).then((r) => r.text());
    await fetch(`${s.url}/blocked-contacts`, { headers: AUTH }).then((r) => r.text());

    // Act
    const response = await post(s, '+38761000001');

    // Assess
    expect(response.status).toBe(429);
  });

  it('sends X-RateLimit headers of the most constrained window on non-429 answers', async () => {
    // Prepare
    const clock = manualClock();
    const s = await sandbox({
      rateLimits: [
        { count: 10, windowMs: 1000 },
        { count: 12, windowMs: 60_000 },
      ],
      clock: clock.now,
    });
    for (let i = 0; i < 8; i += 1) await post(s, `+3876100000${i}`);
    clock.advance(1_000);

    // Act: 9th request of the minute; the 1 s window is fresh (9 left) but the minute has 3 left
    const response = await post(s, '+38761000009');

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('x-ratelimit-limit')).toBe('12');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('3');
    expect(response.headers.get('x-ratelimit-reset')).toBe('59');
  });

  it('sends the rate-limit headers on a 400 too', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const response = await post(s, 'not a contact');

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('9');
  });

  it('leaves the X-RateLimit headers off a 429', async () => {
    // Prepare
    const clock = manualClock();
    const s = await sandbox({ rateLimits: [{ count: 1, windowMs: 1000 }], clock: clock.now });
    await post(s, '+38761000001');

    // Act
    const response = await post(s, '+38761000002');

    // Assess
    expect(response.status).toBe(429);
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
    expect(response.headers.get('x-ratelimit-reset')).toBeNull();
  });

  it('answers 429 Retry-After -1 when more than maxParallel requests are in flight', async () => {
    // Prepare
    const s = await sandbox({ maxParallel: 2, latencyMs: 1_000 });

    // Act
    const results = await Promise.all([1, 2, 3, 4].map((i) => post(s, `+3876100000${i}`).then(answer)));

    // Assess
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(limited).toHaveLength(2);
    expect(limited.every((r) => r.headers.get('retry-after') === '-1')).toBe(true);
    expect(s.stats()).toMatchObject({ maxParallelSeen: 2, parallelViolations: 2, windowViolations: 0 });
  });
});

describe('blocked-contacts answers', () => {
  it('creates a phone number and answers 201 with a masked contact and a numeric-string id', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const { status, body } = await answer(await post(s, '+38761234567'));

    // Assess
    expect(status).toBe(201);
    expect(body).toEqual({
      id: expect.stringMatching(/^\d+$/u),
      company_id: '12345678',
      creator_id: '10101010',
      contact: '* * * * * * * * * *',
      type: 'mobile_phone_number',
      description: 'test',
    });
  });

  it('determines type email for an address', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const { body } = await answer(await post(s, 'jane@example.com'));

    // Assess
    expect(body).toMatchObject({ type: 'email' });
  });

  it('answers 400 with the documented body for a contact that is neither E.164 nor an email', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const { status, body } = await answer(await post(s, '38761234567'));

    // Assess
    expect(status).toBe(400);
    expect(body).toEqual({
      code: 400,
      title: 'Bad request.',
      message: 'The request body is not valid.',
      trace_id: expect.stringMatching(UUID_RE),
    });
  });

  it('answers 400 for a body that is not JSON', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const response = await fetch(`${s.url}/blocked-contacts`, { method: 'POST', headers: AUTH, body: '{contact:' });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: 'The request body is not valid.' });
  });

  it('answers 401 with the documented body when the Bearer token is missing', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const { status, body, headers } = await answer(await post(s, '+38761234567', {}));

    // Assess
    expect(status).toBe(401);
    expect(body).toEqual({
      code: 401,
      title: 'Unauthorized.',
      message: 'Unauthorized.',
      trace_id: expect.stringMatching(UUID_RE),
    });
    expect(headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('answers 401 for a wrong Bearer token', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const response = await post(s, '+38761234567', { authorization: 'Bearer nope' });

    // Assess
    expect(response.status).toBe(401);
  });

  it('accepts any non-empty Bearer token when none is configured', async () => {
    // Prepare
    const s = await sandbox({ token: undefined });

    // Act
    const response = await post(s, '+38761234567', { authorization: 'Bearer whatever' });

    // Assess
    expect(response.status).toBe(201);
  });

  it('lists masked contacts by default, in creation order, with GMT create_time', async () => {
    // Prepare
    const s = await sandbox({ clock: () => Date.UTC(2024, 0, 2, 3, 4, 5) });
    await post(s, '+38761000001');
    await post(s, 'jane@example.com');

    // Act
    const { status, body } = await answer(await fetch(`${s.url}/blocked-contacts`, { headers: AUTH }));

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({
      total: 2,
      items: [
        { contact: '* * * * * * * * * *', type: 'mobile_phone_number', create_time: '2024-01-02 03:04:05' },
        { contact: '* * * * * * * * * *', type: 'email' },
      ],
    });
  });

  it('lists real contacts with read_gdpr_fields=true', async () => {
    // Prepare
    const s = await sandbox();
    await post(s, '+38761000001');
    await post(s, 'jane@example.com');

    // Act
    const { body } = await answer(await fetch(`${s.url}/blocked-contacts?read_gdpr_fields=true`, { headers: AUTH }));

    // Assess
    expect((body as { items: Array<{ contact: string }> }).items.map((i) => i.contact)).toEqual([
      '+38761000001',
      'jane@example.com',
    ]);
  });

  it('pages with page=N,M', async () => {
    // Prepare
    const s = await sandbox();
    for (let i = 1; i <= 3; i += 1) await post(s, `+3876100000${i}`);

    // Act
    const { body } = await answer(
      await fetch(`${s.url}/blocked-contacts?page=2,2&read_gdpr_fields=true`, { headers: AUTH }),
    );

    // Assess
    expect(body).toMatchObject({ total: 3, items: [{ contact: '+38761000003' }] });
  });

  it('shows one contact by id in a {total:1, items} envelope', async () => {
    // Prepare
    const s = await sandbox();
    const { body: created } = await answer(await post(s, '+38761000001'));
    const id = (created as { id: string }).id;

    // Act
    const { status, body } = await answer(
      await fetch(`${s.url}/blocked-contacts/${id}?read_gdpr_fields=true`, { headers: AUTH }),
    );

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 1, items: [{ id, contact: '+38761000001' }] });
  });

  it('answers 404 for an unknown id', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    const response = await fetch(`${s.url}/blocked-contacts/999999`, { headers: AUTH });

    // Assess
    expect(response.status).toBe(404);
  });

  it('validates the token at the Core v2 path: 204 for the right key, 401 otherwise', async () => {
    // Prepare
    const s = await sandbox();
    const url = `${s.origin}/v2/ocamba/personal-api-keys/validate`;

    // Act
    const good = await fetch(url, { method: 'POST', headers: AUTH });
    const bad = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer nope' } });

    // Assess
    expect(good.status).toBe(204);
    expect(bad.status).toBe(401);
  });

  it('answers validate with the account headroom without spending any of it', async () => {
    // Prepare: a frozen clock, so no window turns over between the requests.
    const s = await sandbox({ clock: () => 1_700_000_000_500 });
    const url = `${s.origin}/v2/ocamba/personal-api-keys/validate`;
    await fetch(`${s.url}/blocked-contacts`, { headers: AUTH });

    // Act
    const first = await fetch(url, { method: 'POST', headers: AUTH });
    const second = await fetch(url, { method: 'POST', headers: AUTH });

    // Assess: one list request spent; the two validates saw the same remaining count.
    expect([first.headers.get('x-ratelimit-remaining'), second.headers.get('x-ratelimit-remaining')]).toEqual([
      '9',
      '9',
    ]);
    expect(first.headers.get('x-ratelimit-limit')).toBe('10');
  });

  it('records the real contacts in order', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    await post(s, '+38761000001');
    await post(s, 'jane@example.com');

    // Assess
    expect(s.contacts().map((c) => [c.contact, c.type])).toEqual([
      ['+38761000001', 'mobile_phone_number'],
      ['jane@example.com', 'email'],
    ]);
  });
});

describe('duplicates', () => {
  it('answers a repeat with 400 "Contact is already blocked." by default', async () => {
    // Prepare
    const s = await sandbox();
    await post(s, '+38761000001');

    // Act
    const { status, body } = await answer(await post(s, '+38761000001'));

    // Assess
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 400, message: 'Contact is already blocked.' });
    expect(s.stats()).toMatchObject({ created: 1, duplicates: 1 });
  });

  it('answers a repeat with 409 under conflict_409', async () => {
    // Prepare
    const s = await sandbox({ duplicateBehaviour: 'conflict_409' });
    await post(s, '+38761000001');

    // Act
    const response = await post(s, '+38761000001');

    // Assess
    expect(response.status).toBe(409);
  });

  it('stores a second row under create, so double creation is visible', async () => {
    // Prepare
    const s = await sandbox({ duplicateBehaviour: 'create' });
    await post(s, '+38761000001');

    // Act
    const response = await post(s, '+38761000001');

    // Assess
    expect(response.status).toBe(201);
    expect(s.contacts()).toHaveLength(2);
    expect(s.stats()).toMatchObject({ created: 2, duplicates: 1 });
  });

  it('is read by the client as already_blocked', async () => {
    // Prepare
    const s = await sandbox();
    const c = hoodClient(s);
    await c.createBlockedContact({ contact: 'jane@example.com', description: 'x' });

    // Act
    const result = await c.createBlockedContact({ contact: 'jane@example.com', description: 'x' });

    // Assess
    expect(result).toMatchObject({ kind: 'already_blocked', status: 400, message: 'Contact is already blocked.' });
  });
});

describe('faults', () => {
  it('failNext answers the next n requests with the given status, then recovers', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.failNext(2, 503);

    // Act
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post(s, `+3876100000${i}`)).status);

    // Assess
    expect(statuses).toEqual([503, 503, 201]);
    expect(s.stats().byStatus).toMatchObject({ 503: 2, 201: 1 });
  });

  it("failNext defaults to Hood's documented 500 body without message", async () => {
    // Prepare
    const s = await sandbox();
    s.faults.failNext(1);

    // Act
    const { status, body } = await answer(await post(s, '+38761000001'));

    // Assess
    expect(status).toBe(500);
    expect(body).toEqual({ code: 500, title: 'Internal server error.', trace_id: expect.stringMatching(UUID_RE) });
  });

  it('failNext 502 answers an HTML gateway page', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.failNext(1, 502);

    // Act
    const response = await post(s, '+38761000001');

    // Assess
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('Bad Gateway');
  });

  it('hangNext never answers, so the client times out', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.hangNext(1);

    // Act
    const result = await hoodClient(s, 300).createBlockedContact({ contact: '+38761000001', description: 'x' });

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'timeout' });
    expect(s.contacts()).toHaveLength(0);
  });

  it('resetNext destroys the connection without an answer', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.resetNext(1);

    // Act
    const result = await hoodClient(s).createBlockedContact({ contact: '+38761000001', description: 'x' });

    // Assess
    expect(result).toMatchObject({ kind: 'unavailable', cause: 'connection' });
  });

  it('rateLimitNext answers 429 with the given Retry-After', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.rateLimitNext(1, 3);

    // Act
    const result = await hoodClient(s).createBlockedContact({ contact: '+38761000001', description: 'x' });

    // Assess
    expect(result).toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: 3,
      retryAfterMs: 3000,
      parallelLimit: false,
    });
  });

  it('rateLimitNext with -1 signals the parallel limit', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.rateLimitNext(1, -1);

    // Act
    const result = await hoodClient(s).createBlockedContact({ contact: '+38761000001', description: 'x' });

    // Assess
    expect(result).toMatchObject({ kind: 'rate_limited', parallelLimit: true, retryAfterSeconds: undefined });
  });

  it('unauthorizedUntilTokenFixed answers 401 until setToken is called', async () => {
    // Prepare
    const s = await sandbox();
    const c = hoodClient(s);
    s.faults.unauthorizedUntilTokenFixed();
    const before = await c.createBlockedContact({ contact: '+38761000001', description: 'x' });

    // Act
    s.setToken(TOKEN);
    const after = await c.createBlockedContact({ contact: '+38761000001', description: 'x' });

    // Assess
    expect(before).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(after).toMatchObject({ kind: 'created' });
  });

  it('setToken rotates the accepted key', async () => {
    // Prepare
    const s = await sandbox();

    // Act
    s.setToken('rolled-key');

    // Assess
    expect((await post(s, '+38761000001')).status).toBe(401);
    expect((await post(s, '+38761000001', { authorization: 'Bearer rolled-key' })).status).toBe(201);
  });

  it('applies queued faults in order', async () => {
    // Prepare
    const s = await sandbox();
    s.faults.failNext(1, 500);
    s.faults.rateLimitNext(1, 2);

    // Act
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post(s, `+3876100000${i}`)).status);

    // Assess
    expect(statuses).toEqual([500, 429, 201]);
  });
});

describe('mounting', () => {
  it('serves under /sandbox on a host server and leaves other paths to it', async () => {
    // Prepare
    const handler = createHoodSandboxHandler({ basePath: '/sandbox/v1/hood', token: TOKEN });
    const server = createServer((req, res) => {
      if (!handler(req, res)) {
        res.writeHead(418);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          handler.dispose();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = createHoodClient({ apiUrl: `${origin}/sandbox/v1/hood`, token: TOKEN, requestTimeoutMs: 5_000 });
    cleanups.push(() => c.close());

    // Act
    const created = await c.createBlockedContact({ contact: '+38761000001', description: 'x' });
    const valid = await c.validateToken();
    const other = await fetch(`${origin}/webhooks/generic`, { method: 'POST' });

    // Assess
    expect(created).toMatchObject({ kind: 'created' });
    expect(valid).toMatchObject({ kind: 'valid', status: 204 });
    expect(other.status).toBe(418);
    expect(handler.validatePath).toBe('/sandbox/v2/ocamba/personal-api-keys/validate');
  });
});
