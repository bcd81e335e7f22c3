import { redactContacts } from '../contact.js';
import { HoodBlockerError, PermanentError, RetryableError } from '../errors.js';
import { createRedactor, requestCredentials } from './redact-secrets.js';

/**
 * The one HTTP path every provider source uses to read its suppression API: JSON answers, per-API 429
 * handling (each API names its wait differently, see `RetryAfterReader`), exponential backoff on 5xx and
 * network failures, and errors that never contain a credential. Clock and sleep are injectable so tests
 * run a whole throttled sequence without waiting.
 */

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>;

/** How long a 429 (or 503) answer asks us to wait, in ms from `now`; `undefined` when it says nothing usable. */
export type RetryAfterReader = (headers: Headers, now: number) => number | undefined;

export interface HttpOptions {
  /** Provider name for errors and logs (`sendgrid`). */
  api: string;
  fetch?: FetchLike;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per request for 5xx/network failures. Default 6. */
  maxAttempts?: number;
  /** First backoff after a 5xx/network failure; doubles per attempt. Default 1000 ms. */
  backoffBaseMs?: number;
  /** Upper bound of one wait (429 or backoff). Default 5 minutes. */
  maxWaitMs?: number;
  /** 429s tolerated in a row for one request before giving up. Default 20. */
  maxRateLimited?: number;
  retryAfter?: RetryAfterReader;
  requestTimeoutMs?: number;
  /**
   * Values that must never appear in an error message (the API key), in any spelling an echo may take
   * (lib/import/redact-secrets.ts); the credentials each request carries are removed too.
   */
  secrets?: readonly string[];
  /**
   * APIs that report some permanent errors with a 5xx (Mandrill answers `Invalid_Key` with HTTP 500):
   * return a message to fail at once instead of retrying.
   */
  permanentError?: (status: number, body: string) => string | undefined;
  /** Called before each wait (progress output: "rate-limited, waiting 12 s"). */
  onWait?: (info: { ms: number; why: 'rate_limited' | 'server_error' | 'network' }) => void;
}

export class ImportHttpError extends PermanentError {
  readonly status: number | undefined;
  constructor(reason: string, message: string, status?: number) {
    super(reason, message);
    this.status = status;
  }
}

export class ImportUnavailableError extends RetryableError {}

/** How much of an error body is searched for secrets; the message keeps its first 200 characters. */
const ECHO_SCAN_CHARS = 8192;

const DEFAULTS = {
  maxAttempts: 6,
  backoffBaseMs: 1000,
  maxWaitMs: 300_000,
  maxRateLimited: 20,
  requestTimeoutMs: 30_000,
};

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3). */
export function readRetryAfter(headers: Headers, now: number): number | undefined {
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/u.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A reset header that is either seconds-until-reset or an epoch timestamp (seconds or ms): APIs differ
 * and some document neither precisely. Values above 10^9 are timestamps.
 */
export function readResetHeader(name: string): RetryAfterReader {
  return (headers, now) => {
    const raw = headers.get(name)?.trim();
    if (!raw || !/^\d+(\.\d+)?$/u.test(raw)) return undefined;
    const n = Number(raw);
    if (n > 1e12) return Math.max(0, n - now);
    if (n > 1e9) return Math.max(0, n * 1000 - now);
    return n * 1000;
  };
}

/** First reader that has an answer. */
export function firstOf(...readers: RetryAfterReader[]): RetryAfterReader {
  return (headers, now) => {
    for (const read of readers) {
      const ms = read(headers, now);
      if (ms !== undefined) return ms;
    }
    return undefined;
  };
}

export interface JsonClient {
  /** GET/POST a URL and parse the JSON answer; retries 429/5xx/network failures as configured. */
  json<T = unknown>(
    url: string,
    init?: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  ): Promise<T>;
  /** Requests made, including retries (for the bench and tests). */
  readonly requests: number;
}

export function createJsonClient(options: HttpOptions): JsonClient {
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const clock = options.clock ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const cfg = { ...DEFAULTS, ...definedOnly(options) };
  const readWait = options.retryAfter ?? readRetryAfter;
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  // One request's headers are the same on every page: the redactor is built once per distinct set.
  let last: { key: string; redact: (text: string) => string } | undefined;
  const redactorFor = (url: string, headers: Record<string, string> | undefined, body: string | undefined) => {
    const credentials = requestCredentials(url, headers, body);
    const key = JSON.stringify(credentials);
    if (last?.key !== key) last = { key, redact: createRedactor(secrets, credentials) };
    return last.redact;
  };
  let requests = 0;

  return {
    get requests() {
      return requests;
    },
    async json<T>(
      url: string,
      init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
    ): Promise<T> {
      const scrub = redactorFor(url, init.headers, init.body);
      const where = scrub(redactQuery(url));
      let failures = 0;
      let throttled = 0;
      for (;;) {
        requests += 1;
        let response: Response;
        try {
          response = await fetchImpl(url, {
            method: init.method ?? 'GET',
            headers: { accept: 'application/json', ...init.headers },
            ...(init.body !== undefined ? { body: init.body } : {}),
            signal: AbortSignal.timeout(cfg.requestTimeoutMs),
          });
        } catch (error) {
          failures += 1;
          const cause =
            error instanceof Error
              ? error.name === 'TimeoutError'
                ? 'timeout'
                : ((error.cause as { code?: string } | undefined)?.code ?? error.name)
              : 'error';
          if (failures >= cfg.maxAttempts) {
            throw new ImportUnavailableError(
              'provider_unreachable',
              `${options.api}: ${where} failed ${failures} times (${scrub(String(cause))})`,
            );
          }
          const ms = Math.min(cfg.maxWaitMs, cfg.backoffBaseMs * 2 ** (failures - 1));
          options.onWait?.({ ms, why: 'network' });
          await sleep(ms);
          continue;
        }
        const text = await response.text();
        if (response.status === 429) {
          throttled += 1;
          if (throttled > cfg.maxRateLimited) {
            throw new ImportUnavailableError(
              'provider_rate_limited',
              `${options.api}: still rate-limited after ${throttled - 1} waits on ${where}`,
            );
          }
          // The API's own reset time when it gives one; otherwise back off as for a 5xx.
          const told = readWait(response.headers, clock());
          const ms = Math.min(cfg.maxWaitMs, told ?? cfg.backoffBaseMs * 2 ** Math.min(throttled - 1, 8));
          options.onWait?.({ ms, why: 'rate_limited' });
          await sleep(ms);
          continue;
        }
        if (response.status >= 500) {
          const permanent = options.permanentError?.(response.status, text);
          if (permanent !== undefined) {
            throw new ImportHttpError(
              'provider_rejected',
              `${options.api}: ${redactContacts(scrub(permanent))}`,
              response.status,
            );
          }
          failures += 1;
          if (failures >= cfg.maxAttempts) {
            throw new ImportUnavailableError(
              'provider_unavailable',
              `${options.api}: ${where} answered ${response.status} ${failures} times`,
            );
          }
          const told = response.status === 503 ? readWait(response.headers, clock()) : undefined;
          const ms = Math.min(cfg.maxWaitMs, told ?? cfg.backoffBaseMs * 2 ** (failures - 1));
          options.onWait?.({ ms, why: 'server_error' });
          await sleep(ms);
          continue;
        }
        if (response.status === 401 || response.status === 403) {
          throw new ImportHttpError(
            'provider_unauthorized',
            `${options.api}: the API key was refused (HTTP ${response.status}); check its value and permissions`,
            response.status,
          );
        }
        if (response.status < 200 || response.status >= 300) {
          // Scrubbed before it is cut: a cut through a secret would leave a piece no rule matches. The body
          // may quote suppressed contacts too (a list entry, a validation message): masked like them.
          const echo = redactContacts(scrub(text.slice(0, ECHO_SCAN_CHARS)))
            .slice(0, 200)
            .replace(/\s+/gu, ' ');
          const message = `${options.api}: ${where} answered HTTP ${response.status}: ${echo}`;
          throw new ImportHttpError('provider_rejected', message, response.status);
        }
        if (text.trim() === '') return undefined as T;
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ImportHttpError(
            'provider_bad_response',
            `${options.api}: ${where} did not answer JSON`,
            response.status,
          );
        }
      }
    },
  };
}

/** Query strings can carry keys (Mandrill's is in the body, but a proxy could add one): never print them. */
function redactQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '[url]';
  }
}

function definedOnly(o: HttpOptions): Partial<typeof DEFAULTS> {
  const out: Partial<typeof DEFAULTS> = {};
  for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const v = o[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

export function isImportError(error: unknown): error is HoodBlockerError {
  return error instanceof HoodBlockerError;
}
