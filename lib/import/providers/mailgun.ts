import type { HttpImportConfig } from '../config.js';
import { createJsonClient, firstOf, readResetHeader, readRetryAfter } from '../http.js';
import { bounceSkipReason, bump, isoTime, sameOrigin, str, walkLists } from '../paging.js';
import type { SourceHttpOptions } from '../sources.js';
import type { ImportSource, PageOptions, SourcePage, SuppressionEntry } from '../types.js';
import type { Reason } from '../../types.js';

/**
 * Mailgun suppressions per domain (US https://api.mailgun.net, EU https://api.eu.mailgun.net):
 * `GET /v3/{domain}/bounces|complaints|unsubscribes?limit=1000` → `{items, paging: {next, …}}`; the next
 * page is the `paging.next` URL (keyed by address, so the order is stable), and a page with no items ends
 * the list (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/bounces,
 * …/complaints, …/unsubscribe). Basic auth `api:<key>`. The lists have no date filter: `--since` is
 * applied to `created_at` here. Bounces hold permanent failures; a 4xx SMTP code would be temporary and is
 * skipped as the live mapper does.
 */
const LISTS = ['bounces', 'complaints', 'unsubscribes'] as const;
const REASONS: Record<(typeof LISTS)[number], Reason> = { bounces: 'hard_bounce', complaints: 'complaint', unsubscribes: 'unsubscribe' };
const PAGE_SIZE = 1000;

export function createMailgunSource(config: HttpImportConfig, http: SourceHttpOptions): ImportSource {
  const client = createJsonClient({ api: 'mailgun', ...http, retryAfter: firstOf(readRetryAfter, readResetHeader('x-ratelimit-reset')), secrets: [config.apiKey] });
  const headers = { authorization: `Basic ${Buffer.from(`api:${config.apiKey}`).toString('base64')}` };
  const domain = encodeURIComponent(config.domain ?? '');
  return {
    provider: 'mailgun',
    lists: LISTS,
    defaultLists: LISTS,
    get requests() {
      return client.requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list, token) => {
        const key = list as (typeof LISTS)[number];
        const url = token ?? `${config.apiUrl}/v3/${domain}/${key}?limit=${PAGE_SIZE}`;
        const body = (await client.json<{ items?: unknown; paging?: { next?: unknown } }>(sameOrigin(url, config.apiUrl, 'mailgun'), { headers })) ?? {};
        const items = Array.isArray(body.items) ? (body.items as Record<string, unknown>[]) : [];
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const item of items) {
          const address = str(item?.address);
          if (address === undefined) {
            bump(skipped, 'no_contact');
            continue;
          }
          const created = isoTime(item.created_at);
          if (opts.since && created !== undefined && created < opts.since.toISOString()) {
            bump(skipped, 'before_since');
            continue;
          }
          const code = item.code === undefined || item.code === null ? undefined : String(item.code).trim();
          if (key === 'bounces' && code !== undefined && /^4\d\d$/u.test(code)) {
            bump(skipped, 'soft_bounce');
            continue;
          }
          const skip = key === 'bounces' ? bounceSkipReason(code, str(item.error)) : undefined;
          if (skip !== undefined) {
            bump(skipped, skip);
            continue;
          }
          const providerReason = key === 'bounces' ? [code, str(item.error)].filter(Boolean).join(' ') || 'bounce' : key === 'complaints' ? 'complaint' : `unsubscribe${Array.isArray(item.tags) && item.tags.length > 0 ? ` (tags ${item.tags.join(',')})` : ''}`;
          entries.push({ contact: address, reason: REASONS[key], list, providerReason, occurredAt: created });
        }
        const link = items.length > 0 ? str(body.paging?.next) : undefined;
        const next = link === undefined ? undefined : sameOrigin(link, config.apiUrl, 'mailgun');
        // A next link that names the page just read would loop for ever.
        if (next !== undefined && next === sameOrigin(url, config.apiUrl, 'mailgun')) throw new Error('mailgun: the next-page link repeats the current page');
        return { entries, skipped, next };
      });
    },
  };
}
