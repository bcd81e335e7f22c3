import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local HTTP stand-ins for the providers' suppression APIs, answering in each provider's documented shape
 * and paging (the URLs cited in lib/providers/<name>/suppressions.ts), for tests, the benchmark and the README's
 * "try it". Each provider's API is described in dev/<name>-api.ts (its rows, authentication and routes); this
 * file is the server they share. Rows are generated from their index on demand, so a stand-in serving 50,000
 * suppressions holds none of them. Faults are injected per request: a 429 with the provider's reset headers,
 * a 5xx. Not provider behaviour: the opaque next-page tokens (Mailgun, SparkPost) are offsets.
 */

export type Row = Record<string, unknown>;
export type ListData = { count: number; row?: (i: number) => Row } | { rows: Row[] };

export interface StandinOptions {
  /** A provider with a stand-in: dev/<provider>-api.ts. */
  provider: string;
  /**
   * Lists by name: SES `bounce`/`complaint`; SendGrid `bounces`, `spam_reports`, `unsubscribes`,
   * `group_unsubscribes`; Mailgun `bounces`, `complaints`, `unsubscribes`; Postmark `<stream>/<reason>`;
   * Brevo `blocked_contacts`; SparkPost `suppression_list`; Mandrill `rejects`.
   */
  lists: Record<string, ListData>;
  /** The accepted credential (API key, Postmark token); `undefined` accepts any. */
  apiKey?: string;
  /** Mailgun domain served. Default `mg.example.com`. */
  domain?: string;
  port?: number;
  /** Largest page the server hands out, whatever the client asks for. */
  maxPageSize?: number;
}

export interface StandinFault {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Standin {
  url: string;
  /** Requests answered, faults included. */
  requests(): number;
  /** Request paths in order (no query strings). */
  log(): string[];
  /** The next requests answer these faults, in order. */
  inject(...faults: StandinFault[]): void;
  /** Every request from now on fails with this fault (until `heal()`). */
  breakDown(fault: StandinFault): void;
  /** After `n` more answered requests, break down with this fault (an outage in the middle of a run). */
  breakAfter(n: number, fault: StandinFault): void;
  heal(): void;
  close(): Promise<void>;
}

/** What dev/<name>-api.ts declares: its generated rows, its authentication and its routes. */
export interface SuppressionApi {
  /** The lists `serve-standin` fills (every list that blocks). */
  sampleLists: readonly string[];
  /** The documented row shape of the list, for generated entries. */
  row(list: string, i: number, email: string, at: Date): Row;
  /** Whether the request carries `apiKey` as the provider expects it. */
  authorised(headers: IncomingMessage['headers'], body: string, apiKey: string): boolean;
  /** The answer to a bad credential, when it is not 401. */
  unauthorised?: { status: number; body: unknown };
  route(request: ApiRequest): void;
}

export interface ApiRequest {
  method: string | undefined;
  path: string;
  query: URLSearchParams;
  limit: number;
  send(status: number, payload: unknown, headers?: Record<string, string>): void;
  rows(list: string, from: number, n: number): Row[];
  count(list: string): number;
  /** The lists served, by name. */
  lists: string[];
  origin(): string;
  domain: string;
}

const DAY = 86_400_000;
const BASE_TIME = Date.UTC(2024, 0, 1);

/** The provider's stand-in API, from dev/<provider>-api.ts. */
export async function suppressionApi(provider: string): Promise<SuppressionApi> {
  if (!/^[a-z][a-z0-9-]*$/u.test(provider)) throw new Error(`no stand-in for "${provider}"`);
  // Named by the file, so that no shared code lists providers; `.ts` as tsx and vitest load dev/ from source.
  return ((await import(`./${provider}-api.ts`)) as { api: SuppressionApi }).api;
}

/** A generated row of the provider's list, as its API documents it. */
export function generatedRow(api: SuppressionApi, list: string, i: number): Row {
  const email = `${list.replace(/[^a-z]/giu, '').toLowerCase()}${i}@example.com`;
  return api.row(list, i, email, new Date(BASE_TIME + (i % 365) * DAY));
}

export async function startStandin(options: StandinOptions): Promise<Standin> {
  const api = await suppressionApi(options.provider);
  const faults: StandinFault[] = [];
  let broken: StandinFault | undefined;
  let breakAt: { n: number; fault: StandinFault } | undefined;
  let requests = 0;
  const log: string[] = [];
  const maxPage = options.maxPageSize ?? Number.POSITIVE_INFINITY;
  const domain = options.domain ?? 'mg.example.com';
  const count = (name: string) => {
    const l = options.lists[name];
    return l === undefined ? 0 : 'rows' in l ? l.rows.length : l.count;
  };
  const rows = (name: string, from: number, n: number): Row[] => {
    const l = options.lists[name];
    if (l === undefined) return [];
    const end = Math.min(count(name), from + Math.min(n, maxPage));
    const out: Row[] = [];
    for (let i = from; i < end; i += 1)
      out.push('rows' in l ? l.rows[i]! : (l.row ?? ((k) => generatedRow(api, name, k)))(i));
    return out;
  };
  let origin = '';

  const authorised = (req: IncomingMessage, body: string): boolean =>
    options.apiKey === undefined || api.authorised(req.headers, body, options.apiKey);

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    requests += 1;
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    log.push(url.pathname);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };
    if (breakAt !== undefined) {
      if (breakAt.n <= 0) {
        broken = breakAt.fault;
        breakAt = undefined;
      } else breakAt.n -= 1;
    }
    const fault = faults.shift() ?? broken;
    if (fault)
      return send(
        fault.status,
        fault.body ?? JSON.stringify({ errors: [{ message: `injected ${fault.status}` }] }),
        fault.headers,
      );
    if (!authorised(req, body)) {
      if (api.unauthorised) return send(api.unauthorised.status, api.unauthorised.body);
      return send(401, { errors: [{ message: 'authorization required' }] });
    }
    const q = url.searchParams;
    const limit = Number(q.get('limit') ?? q.get('PageSize') ?? 100);
    return api.route({
      method: req.method,
      path: url.pathname,
      query: q,
      limit,
      send,
      rows,
      count,
      lists: Object.keys(options.lists),
      origin: () => origin,
      domain,
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests: () => requests,
    log: () => [...log],
    inject: (...f) => void faults.push(...f),
    breakDown: (f) => {
      broken = f;
    },
    breakAfter: (n, f) => {
      breakAt = { n, fault: f };
    },
    heal: () => {
      broken = undefined;
      breakAt = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
