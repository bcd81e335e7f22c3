import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RateWindow } from '../lib/config.js';
import { CreateBlockedContactBodySchema } from '../lib/hood/types.js';
import { waitMs } from '../lib/pacing/timer-ms.js';

/**
 * A real HTTP server that answers like Ocamba Hood's blocked-contacts API as far as Ocamba's Hood API
 * documentation ("Blocked contacts", "Rate limits") describes it: the same paths, bodies, error envelope, fixed-window rate limits with their headers, the
 * `Retry-After: -1` parallel limit, and masked contacts unless `read_gdpr_fields=true`. Tests, the benchmark
 * and `npm start` (mounted at `/sandbox/v1/hood`) run against it. Where Hood's behaviour is unknown
 * (duplicates §4, unknown ids, 413) the choice is configurable or documented at the spot.
 *
 * Sandbox extensions, not Hood behaviour: `Retry-After-Ms` on 429 (the exact wait, so that time-scaled
 * sub-second windows can be honoured precisely), and fault injection (`faults`).
 */

export type DuplicateBehaviour = 'create' | 'reject_400' | 'conflict_409';

export interface HoodSandboxOptions {
  /** 0 (default) picks a free port. Only used by `startHoodSandbox`. */
  port?: number;
  /** Only used by `startHoodSandbox`. Default `127.0.0.1`. */
  host?: string;
  /** Where the Hood API is mounted. Default `/v1/hood`; `npm start` uses `/sandbox/v1/hood`. */
  basePath?: string;
  /** The one accepted Bearer token; `undefined` accepts any non-empty Bearer token. */
  token?: string;
  /** Per-account fixed windows (§3.2). Default `10/1s,150/1m`, class C. */
  rateLimits?: RateWindow[];
  /** Requests in flight before `429 Retry-After: -1` (§3.2). Default 10. */
  maxParallel?: number;
  /** Processing time of each accepted request, in ms. Default 0. */
  latencyMs?: number | (() => number);
  /** Time source for windows and `create_time`. Default `Date.now`. */
  clock?: () => number;
  /** What a repeat create of the same contact does (§4: unknown in Hood). Default `reject_400`. */
  duplicateBehaviour?: DuplicateBehaviour;
}

/** A stored blocked contact, with the real contact (what `read_gdpr_fields=true` shows). */
export interface SandboxContact {
  id: string;
  company_id: string;
  creator_id: string;
  contact: string;
  type: 'email' | 'mobile_phone_number';
  description: string;
  create_time: string;
  update_time: string | null;
  /** Sandbox-only: when the row was stored (ms since epoch), for throughput measurements. */
  createdAtMs?: number;
}

export interface SandboxStats {
  /** Every request the sandbox handled, on any of its routes, faults included. */
  requests: number;
  /** Rows stored (a duplicate under `duplicateBehaviour: 'create'` counts here too). */
  created: number;
  /** Creates of a contact that was already stored, whatever the answer was. */
  duplicates: number;
  /** Every 429: window limits, the parallel limit and injected ones. */
  rateLimited: number;
  /** 429s because a fixed window was full: what a correct client-side pacer never causes. */
  windowViolations: number;
  /** 429s with `Retry-After: -1` because more than `maxParallel` requests were in flight. */
  parallelViolations: number;
  byStatus: Record<number, number>;
  /** Highest number of accepted requests in flight at once. */
  maxParallelSeen: number;
}

export interface SandboxFaults {
  /** The next `n` requests answer `status` (500: Hood's documented JSON without `message`; 502: an HTML gateway page). */
  failNext(n: number, status?: number): void;
  /** The next `n` requests are accepted and never answered (until the sandbox is closed). */
  hangNext(n: number): void;
  /** The next `n` requests have their socket destroyed without an answer. */
  resetNext(n: number): void;
  /** The next `n` requests answer 429 with this `Retry-After` (seconds; -1 = parallel limit). */
  rateLimitNext(n: number, retryAfter: number): void;
  /** Every request answers 401 until `setToken()` is called (the operator "fixes" the token). */
  unauthorizedUntilTokenFixed(): void;
  /** Forget every pending fault. */
  clear(): void;
}

/** Mountable request handler: returns `false` for paths that are not the sandbox's, without answering. */
export interface HoodSandboxHandler {
  (req: IncomingMessage, res: ServerResponse): boolean;
  readonly basePath: string;
  readonly validatePath: string;
  stats(): SandboxStats;
  contacts(): SandboxContact[];
  readonly faults: SandboxFaults;
  /** The accepted token from now on (`undefined`: any); also ends `unauthorizedUntilTokenFixed`. */
  setToken(token: string | undefined): void;
  /** Release hung requests (destroy their sockets); call when the hosting server closes. */
  dispose(): void;
}

export interface HoodSandbox {
  /** Base URL including the base path, e.g. `http://127.0.0.1:41234/v1/hood`: the client's `apiUrl`. */
  url: string;
  origin: string;
  port: number;
  close(): Promise<void>;
  stats(): SandboxStats;
  contacts(): SandboxContact[];
  faults: SandboxFaults;
  setToken(token: string | undefined): void;
  handler: HoodSandboxHandler;
}

const DEFAULT_LIMITS: RateWindow[] = [
  { count: 10, windowMs: 1000 },
  { count: 150, windowMs: 60_000 },
];
const COMPANY_ID = '12345678';
const CREATOR_ID = '10101010';
const MAX_REQUEST_BYTES = 64 * 1024;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
// §1.2: "either a valid phone number in the e164 format, or a valid email".
const E164_RE = /^\+[1-9]\d{6,14}$/u;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;
// §1.2: the 201 body shows the contact as "* * * * * * * * * *"; a fixed mask does not even leak the length.
const MASK = '* * * * * * * * * *';

const FAULT_TITLES: Record<number, string> = {
  500: 'Internal server error.',
  503: 'Service unavailable.',
  504: 'Gateway timeout.',
};

type Route = 'create' | 'list' | 'view' | 'validate' | 'not_found' | 'method_not_allowed';
type Fault =
  | { kind: 'fail'; remaining: number; status: number }
  | { kind: 'hang'; remaining: number }
  | { kind: 'reset'; remaining: number }
  | { kind: 'rate_limit'; remaining: number; retryAfter: number };

export function createHoodSandboxHandler(options: HoodSandboxOptions = {}): HoodSandboxHandler {
  const basePath = normaliseBasePath(options.basePath ?? '/v1/hood');
  // Same derivation as the client's validateTokenUrl: Core v2 sits beside Hood v1 under the same prefix.
  const prefix = basePath.endsWith('/v1/hood') ? basePath.slice(0, -'/v1/hood'.length) : '';
  const validatePath = `${prefix}/v2/ocamba/personal-api-keys/validate`;
  const collectionPath = `${basePath}/blocked-contacts`;
  const windows = (options.rateLimits ?? DEFAULT_LIMITS).map((w) => ({ ...w, index: -1, used: 0 }));
  if (windows.length === 0 || windows.some((w) => !(w.count >= 1) || !(w.windowMs >= 1))) {
    throw new TypeError('rateLimits needs at least one window with count ≥ 1 and windowMs ≥ 1');
  }
  const maxParallel = options.maxParallel ?? 10;
  const clock = options.clock ?? (() => Date.now());
  const duplicateBehaviour = options.duplicateBehaviour ?? 'reject_400';
  const latency = options.latencyMs ?? 0;

  let token = options.token;
  let unauthorizedUntilFixed = false;
  let nextId = 1000;
  let inFlight = 0;
  const rows: SandboxContact[] = [];
  const byContact = new Map<string, SandboxContact>();
  const faultQueue: Fault[] = [];
  const hanging = new Set<ServerResponse>();
  const stats: SandboxStats = {
    requests: 0,
    created: 0,
    duplicates: 0,
    rateLimited: 0,
    windowViolations: 0,
    parallelViolations: 0,
    byStatus: {},
    maxParallelSeen: 0,
  };

  function route(method: string, path: string): Route | undefined {
    if (path === validatePath) return method === 'POST' ? 'validate' : 'method_not_allowed';
    if (path === collectionPath) return method === 'POST' ? 'create' : method === 'GET' ? 'list' : 'method_not_allowed';
    if (path.startsWith(`${collectionPath}/`) && !path.slice(collectionPath.length + 1).includes('/')) {
      return method === 'GET' ? 'view' : 'method_not_allowed';
    }
    if (path === basePath || path.startsWith(`${basePath}/`)) return 'not_found';
    return undefined;
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (status === 429) stats.rateLimited += 1;
    if (res.destroyed || res.writableEnded) return;
    const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8';
    res.writeHead(status, {
      ...(payload === '' ? {} : { 'content-type': type }),
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    res.end(payload);
  }

  function error(
    res: ServerResponse,
    status: number,
    title: string,
    message: string | undefined,
    headers?: Record<string, string>,
  ): void {
    // The envelope of §3.1; `message` is left out where Hood's examples leave it out (500).
    const body: Record<string, unknown> = { code: status, title };
    if (message !== undefined) body.message = message;
    body.trace_id = randomUUID();
    send(res, status, body, headers);
  }

  function takeFault(): Fault | undefined {
    const head = faultQueue[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) faultQueue.shift();
    return head;
  }

  function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        req.resume();
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'fail':
        req.resume();
        if (fault.status === 502) {
          // What a load balancer in front of Hood answers: HTML, not the JSON envelope.
          send(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
        } else {
          error(res, fault.status, FAULT_TITLES[fault.status] ?? 'Server error.', undefined);
        }
        return;
      case 'rate_limit': {
        req.resume();
        const headers: Record<string, string> = { 'retry-after': String(fault.retryAfter) };
        if (fault.retryAfter >= 0) headers['retry-after-ms'] = String(Math.round(fault.retryAfter * 1000));
        if (fault.retryAfter < 0) stats.parallelViolations += 1;
        error(res, 429, 'Too many requests.', 'Rate limit exceeded.', headers);
        return;
      }
    }
  }

  function authorised(req: IncomingMessage): boolean {
    if (unauthorizedUntilFixed) return false;
    const m = /^Bearer\s+(\S+)\s*$/iu.exec(req.headers.authorization ?? '');
    if (!m) return false;
    return token === undefined || m[1] === token;
  }

  /**
   * Fixed windows aligned to the clock (`floor(now / windowMs)`, §3.2). A request over any window is
   * refused without consuming quota; otherwise it consumes one unit of every window and the answer carries
   * the headers of the most constrained window.
   */
  function admit(): { ok: true; headers: Record<string, string> } | { ok: false; headers: Record<string, string> } {
    const now = clock();
    for (const w of windows) {
      const index = Math.floor(now / w.windowMs);
      if (index !== w.index) {
        w.index = index;
        w.used = 0;
      }
    }
    const full = windows.filter((w) => w.used >= w.count);
    if (full.length > 0) {
      const waitMs = Math.max(...full.map((w) => (w.index + 1) * w.windowMs - now));
      // Integer seconds as Hood documents; never 0, which a client would read as "retry now" inside the window.
      return {
        ok: false,
        headers: {
          'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
          'retry-after-ms': String(Math.max(1, Math.ceil(waitMs))),
        },
      };
    }
    let tightest = windows[0]!;
    for (const w of windows) {
      w.used += 1;
    }
    for (const w of windows) {
      const remaining = w.count - w.used;
      const best = tightest.count - tightest.used;
      if (remaining < best || (remaining === best && w.windowMs > tightest.windowMs)) tightest = w;
    }
    const resetMs = (tightest.index + 1) * tightest.windowMs - now;
    return {
      ok: true,
      headers: {
        'x-ratelimit-limit': String(tightest.count),
        'x-ratelimit-remaining': String(tightest.count - tightest.used),
        'x-ratelimit-reset': String(Math.max(0, Math.ceil(resetMs / 1000))),
      },
    };
  }

  /** The X-RateLimit-* headers of the most constrained window, without consuming anything. */
  function headroomHeaders(): Record<string, string> {
    const now = clock();
    let tightest: { count: number; used: number; windowMs: number; index: number } | undefined;
    for (const w of windows) {
      const index = Math.floor(now / w.windowMs);
      const used = index === w.index ? w.used : 0;
      const remaining = w.count - used;
      const best = tightest === undefined ? Infinity : tightest.count - tightest.used;
      if (remaining < best || (remaining === best && w.windowMs > tightest!.windowMs))
        tightest = { count: w.count, used, windowMs: w.windowMs, index };
    }
    const t = tightest!;
    return {
      'x-ratelimit-limit': String(t.count),
      'x-ratelimit-remaining': String(Math.max(0, t.count - t.used)),
      'x-ratelimit-reset': String(Math.max(0, Math.ceil(((t.index + 1) * t.windowMs - now) / 1000))),
    };
  }

  function latencyNow(): number {
    const ms = typeof latency === 'function' ? latency() : latency;
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  }

  async function handle(kind: Route, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (kind === 'not_found' || kind === 'method_not_allowed') {
      req.resume();
      if (kind === 'not_found') error(res, 404, 'Not found.', 'The requested resource does not exist.');
      else error(res, 405, 'Method not allowed.', 'The method is not allowed for this resource.');
      return;
    }
    if (kind === 'validate') {
      req.resume();
      await delay(latencyNow());
      // Sandbox choice: the answer reports the account's headroom without spending any of it (§3.2: non-429
      // answers carry X-RateLimit-*; whether Core's validate counts against Hood's budget is unknown).
      if (authorised(req)) send(res, 204, undefined, headroomHeaders());
      else error(res, 401, 'Unauthorized.', 'Unauthorized.');
      return;
    }
    // Rate limits are per account (§3.2), so an unauthenticated request is turned away before it counts.
    if (!authorised(req)) {
      req.resume();
      error(res, 401, 'Unauthorized.', 'Unauthorized.');
      return;
    }
    if (inFlight >= maxParallel) {
      req.resume();
      stats.parallelViolations += 1;
      error(res, 429, 'Too many requests.', 'Too many parallel requests.', { 'retry-after': '-1' });
      return;
    }
    const admission = admit();
    if (!admission.ok) {
      req.resume();
      stats.windowViolations += 1;
      error(res, 429, 'Too many requests.', 'Rate limit exceeded.', admission.headers);
      return;
    }
    inFlight += 1;
    stats.maxParallelSeen = Math.max(stats.maxParallelSeen, inFlight);
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        inFlight -= 1;
      }
    };
    res.on('close', release);
    try {
      const [body] = await Promise.all([kind === 'create' ? readBody(req) : drain(req), delay(latencyNow())]);
      if (kind === 'create') create(res, body, admission.headers);
      else if (kind === 'list') list(res, url, admission.headers);
      else view(res, url, admission.headers);
    } finally {
      release();
    }
  }

  function create(res: ServerResponse, body: string | typeof TOO_LARGE, headers: Record<string, string>): void {
    if (body === TOO_LARGE) {
      // Hood's size limit is unknown (§3.5); 413 is what a gateway in front of it would answer.
      error(res, 413, 'Payload too large.', 'The request body is too large.', headers);
      return;
    }
    const parsed = CreateBlockedContactBodySchema.safeParse(parseJson(body));
    const contact = parsed.success ? parsed.data.contact : '';
    const type = E164_RE.test(contact)
      ? 'mobile_phone_number'
      : contact.length <= 254 && EMAIL_RE.test(contact)
        ? 'email'
        : undefined;
    if (!parsed.success || type === undefined) {
      error(res, 400, 'Bad request.', 'The request body is not valid.', headers);
      return;
    }
    const existing = byContact.get(contact);
    if (existing !== undefined) {
      stats.duplicates += 1;
      if (duplicateBehaviour === 'reject_400') {
        error(res, 400, 'Bad request.', 'Contact is already blocked.', headers);
        return;
      }
      if (duplicateBehaviour === 'conflict_409') {
        error(res, 409, 'Conflict.', 'Contact is already blocked.', headers);
        return;
      }
    }
    nextId += 1;
    const row: SandboxContact = {
      id: String(nextId),
      company_id: COMPANY_ID,
      creator_id: CREATOR_ID,
      contact,
      type,
      description: parsed.data.description ?? '',
      create_time: gmt(clock()),
      update_time: null,
      createdAtMs: clock(),
    };
    rows.push(row);
    if (existing === undefined) byContact.set(contact, row);
    stats.created += 1;
    // §1.2: the 201 body has no create_time/update_time and a masked contact.
    send(
      res,
      201,
      {
        id: row.id,
        company_id: row.company_id,
        creator_id: row.creator_id,
        contact: MASK,
        type: row.type,
        description: row.description,
      },
      headers,
    );
  }

  function list(res: ServerResponse, url: URL, headers: Record<string, string>): void {
    const page = parsePage(url.searchParams.get('page'));
    if (page === undefined) {
      error(res, 400, 'Bad request.', 'The page parameter is not valid.', headers);
      return;
    }
    const gdpr = readGdpr(url);
    const start = (page.number - 1) * page.size;
    send(
      res,
      200,
      { total: rows.length, items: rows.slice(start, start + page.size).map((r) => item(r, gdpr)) },
      headers,
    );
  }

  function view(res: ServerResponse, url: URL, headers: Record<string, string>): void {
    const id = decodeURIComponent(url.pathname.slice(collectionPath.length + 1));
    const row = rows.find((r) => r.id === id);
    if (row === undefined) {
      // View-by-id documents no 404 (§3.1, UNKNOWN); the sandbox answers one so a client sees a clear miss.
      error(res, 404, 'Not found.', 'The blocked contact does not exist.', headers);
      return;
    }
    send(res, 200, { total: 1, items: [item(row, readGdpr(url))] }, headers);
  }

  const handler = ((req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/u, '') : url.pathname;
    const kind = route(req.method ?? 'GET', path);
    if (kind === undefined) return false;
    stats.requests += 1;
    const fault = takeFault();
    if (fault !== undefined) {
      applyFault(fault, req, res);
      return true;
    }
    handle(kind, req, res, url).catch(() => {
      // Only a broken request stream lands here; the client has gone, there is nobody to answer.
      if (!res.headersSent) error(res, 500, 'Internal server error.', undefined);
    });
    return true;
  }) as HoodSandboxHandler;

  const faults: SandboxFaults = {
    failNext: (n, status = 500) => queueFault({ kind: 'fail', remaining: count(n), status }),
    hangNext: (n) => queueFault({ kind: 'hang', remaining: count(n) }),
    resetNext: (n) => queueFault({ kind: 'reset', remaining: count(n) }),
    rateLimitNext: (n, retryAfter) => queueFault({ kind: 'rate_limit', remaining: count(n), retryAfter }),
    unauthorizedUntilTokenFixed: () => {
      unauthorizedUntilFixed = true;
    },
    clear: () => {
      faultQueue.length = 0;
      unauthorizedUntilFixed = false;
    },
  };
  function queueFault(fault: Fault): void {
    if (fault.remaining > 0) faultQueue.push(fault);
  }

  return Object.assign(handler, {
    basePath,
    validatePath,
    stats: (): SandboxStats => ({ ...stats, byStatus: { ...stats.byStatus } }),
    contacts: (): SandboxContact[] => rows.map((r) => ({ ...r })),
    faults,
    setToken: (next: string | undefined): void => {
      token = next;
      unauthorizedUntilFixed = false;
    },
    dispose: (): void => {
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
    },
  });
}

/** Start the sandbox on its own `node:http` server. */
export async function startHoodSandbox(options: HoodSandboxOptions = {}): Promise<HoodSandbox> {
  const handler = createHoodSandboxHandler(options);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (!handler(req, res)) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: 404, title: 'Not found.', message: 'No such route.', trace_id: randomUUID() }));
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}${handler.basePath}`,
    origin,
    port,
    handler,
    stats: handler.stats,
    contacts: handler.contacts,
    faults: handler.faults,
    setToken: handler.setToken,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        handler.dispose();
        server.close(() => resolve());
        // Idle keep-alive sockets would hold `close` open until their timeout.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

const TOO_LARGE = Symbol('too large');

async function readBody(req: IncomingMessage): Promise<string | typeof TOO_LARGE> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep reading (and discarding) so the connection stays usable for the 413.
    if (size > MAX_REQUEST_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? TOO_LARGE : Buffer.concat(chunks).toString('utf8');
}

async function drain(req: IncomingMessage): Promise<string> {
  for await (const _chunk of req as AsyncIterable<Buffer>) {
    // discard: GET bodies mean nothing here
  }
  return '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function item(row: SandboxContact, gdpr: boolean): Record<string, unknown> {
  return {
    id: row.id,
    company_id: row.company_id,
    creator_id: row.creator_id,
    creator: { id: row.creator_id, company_id: row.company_id, name: 'Sandbox API key', status: 'active', image: null },
    // §1.4: personal data is hidden unless `read_gdpr_fields=true` asks for real values.
    contact: gdpr ? row.contact : MASK,
    type: row.type,
    description: row.description,
    create_time: row.create_time,
    update_time: row.update_time,
  };
}

function readGdpr(url: URL): boolean {
  const v = url.searchParams.get('read_gdpr_fields');
  return v !== null && /^(true|1)$/iu.test(v);
}

/** `page=N,M` (§1.3): page N (1-based) of M items; `page=N` keeps the default size. */
function parsePage(raw: string | null): { number: number; size: number } | undefined {
  if (raw === null || raw === '') return { number: 1, size: DEFAULT_PAGE_SIZE };
  const m = /^(\d+)(?:,(\d+))?$/u.exec(raw.trim());
  if (!m) return undefined;
  const number = Number(m[1]);
  const size = m[2] === undefined ? DEFAULT_PAGE_SIZE : Number(m[2]);
  if (number < 1 || size < 1) return undefined;
  return { number, size: Math.min(size, MAX_PAGE_SIZE) };
}

/** GMT `YYYY-MM-DD HH:MM:SS` (§1.4). */
function gmt(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function normaliseBasePath(path: string): string {
  const trimmed = `/${path.replace(/^\/+|\/+$/gu, '')}`;
  return trimmed === '/' ? '' : trimmed;
}

function count(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, waitMs(ms))) : Promise.resolve();
}
