import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { maskEchoesOf, redactContacts, redactEchoedContact } from '../contact.js';
import { budgetMs } from '../pacing/timer-ms.js';
import {
  BlockedContactListSchema,
  CreatedBlockedContactSchema,
  HoodErrorBodySchema,
  type CallOptions,
  type CreateBlockedContactInput,
  type CreateResult,
  type HoodErrorBody,
  type HoodFailure,
  type HoodRateLimited,
  type ListBlockedContactsInput,
  type ListResult,
  type RateLimitInfo,
  type ValidateResult,
} from './types.js';

export type {
  BlockedContact,
  CallOptions,
  CreateBlockedContactInput,
  CreateResult,
  HoodAlreadyBlocked,
  HoodCreated,
  HoodFailure,
  HoodListed,
  HoodRateLimited,
  HoodRejected,
  HoodTokenValid,
  HoodUnauthorized,
  HoodUnavailable,
  ListBlockedContactsInput,
  ListResult,
  RateLimitInfo,
  ValidateResult,
} from './types.js';

/**
 * A small hand-rolled client for the Hood blocked-contacts API (Hood API documentation, docs.ocamba.com: no SDK, no
 * OpenAPI). Every answer, every network failure and every unreadable body becomes a typed result; nothing
 * here throws for something the server or the network did. The token is only ever put into the
 * `Authorization` header and is scrubbed from every string we return. Hood's own words (an error's title
 * and message) may echo the contact we sent, in any form, or others: every address and number in them is
 * masked before they leave this module, so no log line or dead-letter attribute carries one (issue 19).
 */

export interface HoodClientOptions {
  /** Base URL, e.g. `https://api.ocamba.com/v1/hood` (no trailing slash needed). */
  apiUrl: string;
  /** The resolved Bearer token (see `resolveToken`). */
  token: string;
  /** Whole-request budget: connect + headers + body, also enforced by an AbortSignal. */
  requestTimeoutMs: number;
}

export interface HoodClient {
  createBlockedContact(input: CreateBlockedContactInput, options?: CallOptions): Promise<CreateResult>;
  validateToken(options?: CallOptions): Promise<ValidateResult>;
  listBlockedContacts(input?: ListBlockedContactsInput, options?: CallOptions): Promise<ListResult>;
  close(): Promise<void>;
}

// Error bodies are tiny; list pages of 100 items are ~50 KB. Anything beyond this is not Hood talking.
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_PAGE_SIZE = 100;
// A repeat create is undocumented (§4); only wording that clearly says "already there" counts as one.
const DUPLICATE_RE = /already (exists|blocked|in (the )?(list|block))|duplicate/iu;

/**
 * `…/v1/hood` → `…/v2/ocamba/personal-api-keys/validate` (§2 "Validate"). The Core API lives beside Hood
 * on the same host, so the trailing `/v1/hood` is replaced; any prefix before it (the `npm start` sandbox
 * mounts Hood at `/sandbox/v1/hood`) is kept. A base URL without `/v1/hood` resolves against the origin.
 */
export function validateTokenUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  const path = url.pathname.replace(/\/+$/u, '');
  const prefix = /\/v1\/hood$/u.test(path) ? path.slice(0, -'/v1/hood'.length) : '';
  return `${url.origin}${prefix}/v2/ocamba/personal-api-keys/validate`;
}

export function createHoodClient(options: HoodClientOptions): HoodClient {
  const { token, requestTimeoutMs } = options;
  // Validate without echoing: an invalid header value would otherwise surface as an undici error later.
  if (typeof token !== 'string' || token === '' || /[\s\u0000-\u001F\u007F]/u.test(token)) {
    throw new TypeError('Hood token is empty or contains whitespace/control characters');
  }
  if (!Number.isFinite(requestTimeoutMs) || requestTimeoutMs <= 0) {
    throw new TypeError('requestTimeoutMs must be a positive number');
  }
  const base = new URL(options.apiUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError('apiUrl must be an http(s) URL');
  const baseUrl = `${base.origin}${base.pathname.replace(/\/+$/u, '')}`;
  const createUrl = `${baseUrl}/blocked-contacts`;
  const validateUrl = validateTokenUrl(baseUrl);

  // Node's built-in fetch (which is undici, shipped with Node: https://nodejs.org/api/globals.html#fetch):
  // nothing to bundle or import at cold start. Its global dispatcher keeps connections alive between calls
  // (paced traffic sends one every second or so, so sockets stay warm) and honours a server's
  // `Keep-Alive: timeout=N` hint. Calls in flight are bounded by the rate limiter (HOOD_MAX_IN_FLIGHT), so
  // no pool size is needed to stay under Hood's parallel cap.

  const authorization = `Bearer ${token}`;
  const scrubToken = (text: string): string => (text.includes(token) ? text.split(token).join('[redacted]') : text);
  /** Hood's free text: the token scrubbed, then every contact in it masked (the one sent in any echoed form). */
  const scrubbers = (contact?: string): Scrubbers => ({
    text: (t) => (contact === undefined ? redactContacts(scrubToken(t)) : redactEchoedContact(scrubToken(t), contact)),
    id: (t) => (contact === undefined ? scrubToken(t) : maskEchoesOf(scrubToken(t), contact)),
  });
  const scrub = scrubbers();

  async function send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    call: CallOptions | undefined,
  ): Promise<Answer | NetworkFailure> {
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const correlationId = safeHeaderValue(call?.correlationId);
    if (correlationId !== undefined) headers['x-correlation-id'] = correlationId;
    // AbortSignal.timeout takes whole milliseconds only (RangeError otherwise): round any caller's budget down.
    const timeoutMs = budgetMs(
      call?.timeoutMs !== undefined && call.timeoutMs > 0
        ? Math.min(call.timeoutMs, requestTimeoutMs)
        : requestTimeoutMs,
    );
    const budget = AbortSignal.timeout(timeoutMs);
    const signal = call?.signal ? AbortSignal.any([budget, call.signal]) : budget;
    try {
      const res = await fetch(url, { method, headers, body: body ?? null, signal, redirect: 'manual' });
      // Headers arrived, so Hood has spoken: a body that breaks off afterwards reads as empty rather than
      // discarding the status (a 201 whose body was cut is still a created contact).
      const text = await readBody(res.body).catch(() => '');
      // undici marks the connection free (its 'drain') one macrotask after the body ends; without this
      // yield a caller's next request, issued straight away, finds it busy and opens a second connection
      // (another TLS handshake to Hood) instead of reusing the keep-alive socket.
      await yieldToEventLoop();
      const answerHeaders: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        answerHeaders[name] = value;
      });
      return { status: res.status, headers: answerHeaders, text };
    } catch (error) {
      return classifyNetworkError(error, budget, call?.signal, timeoutMs, scrub.text);
    }
  }

  async function createBlockedContact(input: CreateBlockedContactInput, call?: CallOptions): Promise<CreateResult> {
    const answer = await send(
      'POST',
      createUrl,
      JSON.stringify({ contact: input.contact, description: input.description }),
      call,
    );
    if (answer.kind === 'network') return answer.result;
    const rateLimit = readRateLimit(answer.headers);
    const json = parseJson(answer.text);
    if (answer.status >= 200 && answer.status < 300) {
      const created = CreatedBlockedContactSchema.safeParse(json);
      if (created.success) {
        return withRateLimit(
          { kind: 'created', id: created.data.id, type: created.data.type, status: answer.status },
          rateLimit,
        );
      }
      // 201 is Hood's word that the contact is blocked (§4 "Treat 201 as success"); an unreadable body must not
      // turn that into a retry. Any other 2xx without a recognisable object is not trusted (a misrouted
      // proxy answering 200 would otherwise swallow opt-outs).
      if (answer.status === 201)
        return withRateLimit({ kind: 'created', id: undefined, type: undefined, status: 201 }, rateLimit);
    }
    const sent = scrubbers(input.contact);
    const error = parseErrorBody(json, sent);
    if (answer.status === 409 || ((answer.status === 400 || answer.status === 422) && isDuplicateMessage(error))) {
      return withRateLimit(
        {
          kind: 'already_blocked',
          status: answer.status,
          ...pick({ message: error.message ?? error.title, traceId: error.trace_id }),
        },
        rateLimit,
      );
    }
    return classifyFailure(answer, error, rateLimit, sent.text);
  }

  async function validateToken(call?: CallOptions): Promise<ValidateResult> {
    const answer = await send('POST', validateUrl, undefined, call);
    if (answer.kind === 'network') return answer.result;
    const rateLimit = readRateLimit(answer.headers);
    // 204 documented (§2); any 2xx means the key was accepted.
    if (answer.status >= 200 && answer.status < 300)
      return withRateLimit({ kind: 'valid', status: answer.status }, rateLimit);
    return classifyFailure(answer, parseErrorBody(parseJson(answer.text), scrub), rateLimit, scrub.text);
  }

  async function listBlockedContacts(input: ListBlockedContactsInput = {}, call?: CallOptions): Promise<ListResult> {
    const page = positiveInt(input.page, 1);
    const size = positiveInt(input.pageSize, DEFAULT_PAGE_SIZE);
    // A literal comma, exactly as the docs write `page=N,M` (§1.3); both parts are integers, nothing to escape.
    const query = `page=${page},${size}${input.readGdprFields ? '&read_gdpr_fields=true' : ''}`;
    const answer = await send('GET', `${createUrl}?${query}`, undefined, call);
    if (answer.kind === 'network') return answer.result;
    const rateLimit = readRateLimit(answer.headers);
    const json = parseJson(answer.text);
    if (answer.status >= 200 && answer.status < 300) {
      const list = BlockedContactListSchema.safeParse(json);
      if (list.success) {
        return withRateLimit(
          { kind: 'listed', status: answer.status, total: list.data.total, items: list.data.items },
          rateLimit,
        );
      }
      return withRateLimit(
        {
          kind: 'unavailable',
          status: answer.status,
          cause: 'bad_response',
          message: `Hood answered ${answer.status} without a {total, items} list`,
        },
        rateLimit,
      );
    }
    return classifyFailure(answer, parseErrorBody(json, scrub), rateLimit, scrub.text);
  }

  async function close(): Promise<void> {
    // Connections belong to Node's global dispatcher; idle ones close by themselves.
  }

  return { createBlockedContact, validateToken, listBlockedContacts, close };
}

interface Answer {
  kind?: undefined;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

interface NetworkFailure {
  kind: 'network';
  result: HoodFailure;
}

/** Read the whole body (so the socket goes back to the pool) up to a cap; a broken body reads as empty. */
async function readBody(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    // Leaving the loop cancels the stream (and that socket): acceptable for a body this far out of bounds.
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** How Hood's strings are cleaned: `text` for its words (title, message), `id` for its trace id. */
interface Scrubbers {
  text: (s: string) => string;
  id: (s: string) => string;
}

function parseErrorBody(json: unknown, scrub: Scrubbers): HoodErrorBody {
  const parsed = HoodErrorBodySchema.safeParse(json);
  if (!parsed.success) return {};
  const { code, title, message, trace_id } = parsed.data;
  return pick({
    code,
    title: title === undefined ? undefined : scrub.text(title),
    message: message === undefined ? undefined : scrub.text(message),
    trace_id: trace_id === undefined ? undefined : scrub.id(trace_id),
  });
}

function isDuplicateMessage(error: HoodErrorBody): boolean {
  return DUPLICATE_RE.test(error.message ?? '') || DUPLICATE_RE.test(error.title ?? '');
}

/** Everything that is not a success (or a duplicate, for creates), by status (§3.1, §7). */
function classifyFailure(
  answer: Answer,
  error: HoodErrorBody,
  rateLimit: RateLimitInfo | undefined,
  scrub: (s: string) => string,
): HoodFailure {
  const { status } = answer;
  const traceId = error.trace_id;
  if (status === 429) return rateLimited(answer, error, rateLimit);
  if (status === 401 || status === 403) {
    return withRateLimit(
      { kind: 'unauthorized', status, ...pick({ title: error.title, message: error.message, traceId }) },
      rateLimit,
    );
  }
  // 408 is the server giving up on *our* request: a timeout, worth a retry, not a rejection.
  if (status === 408) {
    return withRateLimit(
      {
        kind: 'unavailable',
        status,
        cause: 'timeout',
        message: describe(status, error, answer.text, scrub),
        ...pick({ traceId }),
      },
      rateLimit,
    );
  }
  if (status >= 400 && status < 500) {
    return withRateLimit(
      { kind: 'rejected', status, ...pick({ code: error.code, title: error.title, message: error.message, traceId }) },
      rateLimit,
    );
  }
  if (status >= 500) {
    return withRateLimit(
      {
        kind: 'unavailable',
        status,
        cause: 'server_error',
        message: describe(status, error, answer.text, scrub),
        ...pick({ traceId }),
      },
      rateLimit,
    );
  }
  // 1xx/3xx (undici does not follow redirects) or a 2xx we could not use.
  return withRateLimit(
    {
      kind: 'unavailable',
      status,
      cause: 'bad_response',
      message: describe(status, error, answer.text, scrub),
      ...pick({ traceId }),
    },
    rateLimit,
  );
}

function describe(status: number, error: HoodErrorBody, text: string, scrub: (s: string) => string): string {
  const detail = error.message ?? error.title;
  if (detail !== undefined) return `Hood answered ${status}: ${detail}`;
  if (text.trim() === '') return `Hood answered ${status} with an empty body`;
  // A proxy's HTML page: say so, without dumping it into logs.
  return scrub(`Hood answered ${status} with a non-JSON body (${Math.min(text.length, MAX_BODY_BYTES)} bytes)`);
}

function rateLimited(answer: Answer, error: HoodErrorBody, rateLimit: RateLimitInfo | undefined): HoodRateLimited {
  const raw = header(answer.headers, 'retry-after');
  // §3.2: "Retry-After: -1 means the parallel-concurrency limit was exceeded", no retry time exists.
  const parallelLimit = raw !== undefined && /^\s*-1\s*$/u.test(raw);
  const retryAfterSeconds = parallelLimit ? undefined : parseRetryAfter(raw);
  const exactMs = nonNegativeNumber(header(answer.headers, 'retry-after-ms'));
  const retryAfterMs = parallelLimit
    ? undefined
    : (exactMs ?? (retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000));
  return withRateLimit(
    {
      kind: 'rate_limited',
      status: 429,
      retryAfterSeconds,
      retryAfterMs,
      parallelLimit,
      ...pick({ message: error.message ?? error.title, traceId: error.trace_id }),
    },
    rateLimit,
  );
}

/** Integer seconds as Hood documents it (§3.2), or the HTTP-date form RFC 9110 §10.2.3 also allows. */
function parseRetryAfter(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (/^\d+$/u.test(value)) return Number(value);
  if (/^\d+\.\d+$/u.test(value)) return Math.ceil(Number(value));
  const date = Date.parse(value);
  if (!Number.isNaN(date) && /[A-Za-z]/u.test(value)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return undefined;
}

function readRateLimit(headers: Answer['headers']): RateLimitInfo | undefined {
  const info = pick({
    limit: nonNegativeNumber(header(headers, 'x-ratelimit-limit')),
    remaining: nonNegativeNumber(header(headers, 'x-ratelimit-remaining')),
    resetSeconds: nonNegativeNumber(header(headers, 'x-ratelimit-reset')),
  });
  return Object.keys(info).length === 0 ? undefined : info;
}

function header(headers: Answer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function nonNegativeNumber(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Map a thrown undici/abort error to `unavailable`. The caller's abort is reported as a timeout too: the
 * request may or may not have reached Hood, exactly as with our own budget expiring, and the retry is
 * protected by duplicate detection.
 */
function classifyNetworkError(
  error: unknown,
  budget: AbortSignal,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
  scrub: (s: string) => string,
): NetworkFailure {
  // fetch rejects with `TypeError: fetch failed` and the undici error (with its `code`) as the `cause`.
  const inner = error instanceof TypeError && error.cause !== undefined ? error.cause : error;
  const code =
    typeof inner === 'object' && inner !== null && 'code' in inner ? String((inner as { code: unknown }).code) : '';
  const name = inner instanceof Error ? inner.name : error instanceof Error ? error.name : '';
  const detail = scrub(inner instanceof Error ? inner.message : String(inner));
  let cause: 'timeout' | 'connection' = 'connection';
  let message = `could not reach Hood: ${code || name || 'error'}${detail ? ` (${detail})` : ''}`;
  if (
    budget.aborted ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    name === 'TimeoutError'
  ) {
    cause = 'timeout';
    message = `Hood did not answer within ${timeoutMs} ms (${code || name || 'timeout'})`;
  } else if (callerSignal?.aborted) {
    cause = 'timeout';
    message = 'request aborted by the caller before Hood answered';
  }
  return { kind: 'network', result: { kind: 'unavailable', cause, message } };
}

/** `X-Correlation-Id` must be a legal header value; drop what is not printable ASCII and cap the length. */
function safeHeaderValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.replace(/[^\x21-\x7E]/gu, '').slice(0, 128);
  return cleaned === '' ? undefined : cleaned;
}

function positiveInt(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

function withRateLimit<T extends object>(
  result: T,
  rateLimit: RateLimitInfo | undefined,
): T & { rateLimit?: RateLimitInfo } {
  return rateLimit === undefined ? result : { ...result, rateLimit };
}

/** Drop `undefined` members so results serialise and compare cleanly. */
function pick<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
