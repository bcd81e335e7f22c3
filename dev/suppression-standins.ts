import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The providers whose suppression API has a stand-in here. */
export const STANDIN_PROVIDERS = ['ses', 'sendgrid', 'mailgun', 'postmark', 'brevo', 'sparkpost', 'mandrill'] as const;
export type StandinProvider = (typeof STANDIN_PROVIDERS)[number];

/** The lists `serve-standin` fills for each provider (every list that blocks). */
export const SAMPLE_LISTS: Record<StandinProvider, string[]> = {
  ses: ['bounce', 'complaint'],
  sendgrid: ['bounces', 'spam_reports', 'unsubscribes'],
  mailgun: ['bounces', 'complaints', 'unsubscribes'],
  postmark: ['outbound/HardBounce', 'outbound/SpamComplaint', 'broadcast/ManualSuppression'],
  brevo: ['blocked_contacts'],
  sparkpost: ['suppression_list'],
  mandrill: ['rejects'],
};

/**
 * Local HTTP stand-ins for the providers' suppression APIs, answering in each provider's documented shape
 * and paging (the URLs cited in lib/providers/<name>/suppressions.ts), for tests, the benchmark and docs/operate.md's
 * "try it". Rows are generated from their index on demand, so a stand-in serving 50,000 suppressions holds
 * none of them. Faults are injected per request: a 429 with the provider's reset headers, a 5xx.
 * Not provider behaviour: the opaque next-page tokens (Mailgun, SparkPost) are offsets.
 */

export type Row = Record<string, unknown>;
export type ListData = { count: number; row?: (i: number) => Row } | { rows: Row[] };

export interface StandinOptions {
  provider: StandinProvider;
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

const DAY = 86_400_000;
const BASE_TIME = Date.UTC(2024, 0, 1);

/** The documented row shape of each provider's list, for generated entries. */
export function defaultRow(provider: StandinProvider, list: string, i: number): Row {
  const email = `${list.replace(/[^a-z]/giu, '').toLowerCase()}${i}@example.com`;
  const at = new Date(BASE_TIME + (i % 365) * DAY);
  switch (provider) {
    case 'ses':
      return { EmailAddress: email, Reason: list === 'complaint' ? 'COMPLAINT' : 'BOUNCE', LastUpdateTime: at.getTime() / 1000 };
    case 'sendgrid':
      if (list === 'bounces') return { created: at.getTime() / 1000, email, reason: '550 5.1.1 The email account that you tried to reach does not exist.', status: '5.1.1' };
      if (list === 'spam_reports') return { created: at.getTime() / 1000, email, ip: '10.63.202.100' };
      if (list === 'group_unsubscribes') return { email, group_id: 42, group_name: 'Newsletter', created_at: at.getTime() / 1000 };
      return { created: at.getTime() / 1000, email };
    case 'mailgun':
      if (list === 'bounces') return { address: email, code: '550', error: 'No such mailbox', created_at: at.toUTCString() };
      if (list === 'unsubscribes') return { address: email, tags: ['*'], created_at: at.toUTCString() };
      return { address: email, created_at: at.toUTCString() };
    case 'postmark': {
      const reason = list.split('/')[1] ?? 'HardBounce';
      return { EmailAddress: email, SuppressionReason: reason, Origin: reason === 'ManualSuppression' ? 'Customer' : 'Recipient', CreatedAt: at.toISOString() };
    }
    case 'brevo': {
      const codes = ['hardBounce', 'unsubscribedViaEmail', 'contactFlaggedAsSpam', 'adminBlocked'];
      const code = codes[i % codes.length]!;
      return { email, senderEmail: 'news@example.com', reason: { code, message: `Reason ${code}` }, blockedAt: at.toISOString() };
    }
    case 'sparkpost': {
      const sources = ['Bounce Rule', 'Spam Complaint', 'Unsubscribe Link', 'Manually Added'];
      return { recipient: email, type: 'non_transactional', source: sources[i % sources.length], description: 'generated', created: at.toISOString(), updated: at.toISOString(), non_transactional: true };
    }
    case 'mandrill': {
      const reasons = ['hard-bounce', 'spam', 'unsub', 'custom'];
      return { email, reason: reasons[i % reasons.length], detail: '', created_at: at.toISOString().slice(0, 19).replace('T', ' '), last_event_at: null, expires_at: null, expired: false, sender: null, subaccount: null };
    }
  }
}

export async function startStandin(options: StandinOptions): Promise<Standin> {
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
    for (let i = from; i < end; i += 1) out.push('rows' in l ? l.rows[i]! : (l.row ?? ((k) => defaultRow(options.provider, name, k)))(i));
    return out;
  };
  let origin = '';

  const authorised = (req: IncomingMessage, body: string): boolean => {
    if (options.apiKey === undefined) return true;
    const h = req.headers;
    switch (options.provider) {
      case 'ses':
        return typeof h.authorization === 'string' && h.authorization.startsWith('AWS4-HMAC-SHA256');
      case 'sendgrid':
        return h.authorization === `Bearer ${options.apiKey}`;
      case 'mailgun':
        return h.authorization === `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
      case 'postmark':
        return h['x-postmark-server-token'] === options.apiKey;
      case 'brevo':
        return h['api-key'] === options.apiKey;
      case 'sparkpost':
        return h.authorization === options.apiKey;
      case 'mandrill':
        try {
          return (JSON.parse(body) as { key?: string }).key === options.apiKey;
        } catch {
          return false;
        }
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    requests += 1;
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    log.push(url.pathname);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    if (breakAt !== undefined) {
      if (breakAt.n <= 0) {
        broken = breakAt.fault;
        breakAt = undefined;
      } else breakAt.n -= 1;
    }
    const fault = faults.shift() ?? broken;
    if (fault) return send(fault.status, fault.body ?? JSON.stringify({ errors: [{ message: `injected ${fault.status}` }] }), fault.headers);
    if (!authorised(req, body)) {
      if (options.provider === 'mandrill') return send(500, { status: 'error', code: -1, name: 'Invalid_Key', message: 'Invalid API key' });
      return send(401, { errors: [{ message: 'authorization required' }] });
    }
    const q = url.searchParams;
    const limit = Number(q.get('limit') ?? q.get('PageSize') ?? 100);
    const p = url.pathname;
    switch (options.provider) {
      case 'ses': {
        // SESv2 REST-JSON: GET /v2/email/suppression/addresses?Reason=BOUNCE&PageSize=&NextToken=
        if (p !== '/v2/email/suppression/addresses') return send(404, { message: 'not found' });
        const reasons = q.getAll('Reason');
        const list = reasons.includes('COMPLAINT') && !reasons.includes('BOUNCE') ? 'complaint' : 'bounce';
        const offset = Number(q.get('NextToken') ?? 0);
        const page = rows(list, offset, limit);
        const next = offset + page.length;
        return send(200, { SuppressedDestinationSummaries: page, ...(next < count(list) ? { NextToken: String(next) } : {}) });
      }
      case 'sendgrid': {
        const list = { '/v3/suppression/bounces': 'bounces', '/v3/suppression/spam_reports': 'spam_reports', '/v3/suppression/unsubscribes': 'unsubscribes', '/v3/asm/suppressions': 'group_unsubscribes' }[p];
        if (list === undefined) return send(404, { errors: [{ message: 'not found' }] });
        if (list === 'group_unsubscribes') return send(200, rows(list, 0, count(list)));
        return send(200, rows(list, Number(q.get('offset') ?? 0), limit), { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '599', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60) });
      }
      case 'mailgun': {
        const m = /^\/v3\/([^/]+)\/(bounces|complaints|unsubscribes)$/u.exec(p);
        if (!m || decodeURIComponent(m[1]!) !== domain) return send(404, { message: 'Domain not found' });
        const list = m[2]!;
        const offset = Number(q.get('p') ?? 0);
        const page = rows(list, offset, limit);
        const at = (o: number) => `${origin}/v3/${domain}/${list}?page=next&p=${o}&limit=${limit}`;
        return send(200, { items: page, paging: { first: at(0), last: at(Math.max(0, count(list) - limit)), next: at(offset + page.length), previous: at(Math.max(0, offset - limit)) } });
      }
      case 'postmark': {
        if (p === '/message-streams') {
          const streams = [...new Set(Object.keys(options.lists).map((k) => k.split('/')[0]!))];
          return send(200, { MessageStreams: streams.map((ID) => ({ ID, Name: ID, MessageStreamType: 'Transactional' })), TotalCount: streams.length });
        }
        const m = /^\/message-streams\/([^/]+)\/suppressions\/dump$/u.exec(p);
        if (!m) return send(404, { ErrorCode: 1235, Message: 'not found' });
        const list = `${decodeURIComponent(m[1]!)}/${q.get('SuppressionReason') ?? ''}`;
        return send(200, { Suppressions: rows(list, 0, count(list)) });
      }
      case 'brevo': {
        if (p !== '/v3/smtp/blockedContacts') return send(404, { code: 'not_found', message: 'not found' });
        const list = 'blocked_contacts';
        return send(200, { contacts: rows(list, Number(q.get('offset') ?? 0), limit), count: count(list) });
      }
      case 'sparkpost': {
        if (p !== '/api/v1/suppression-list') return send(404, { errors: [{ message: 'not found' }] });
        const list = 'suppression_list';
        const cursor = q.get('cursor') ?? 'initial';
        const offset = cursor === 'initial' ? 0 : Number(cursor);
        const page = rows(list, offset, limit);
        const next = offset + page.length;
        const links = next < count(list) ? [{ href: `/api/v1/suppression-list?cursor=${next}&limit=${limit}`, rel: 'next' }] : [];
        return send(200, { results: page, links, total_count: count(list) });
      }
      case 'mandrill': {
        if (p !== '/api/1.0/rejects/list.json' || req.method !== 'POST') return send(500, { status: 'error', code: -1, name: 'Unknown_Method', message: 'not found' });
        return send(200, rows('rejects', 0, count('rejects')));
      }
    }
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
