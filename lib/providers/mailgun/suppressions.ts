import { z } from 'zod';
import type { Env } from '../../config.js';
import { ConfigError } from '../../errors.js';
import { nonEmpty } from '../../config.js';
import { type HttpImportConfig, loadHttpImportConfig } from '../../import/config.js';
import { createJsonClient, firstOf, readResetHeader, readRetryAfter } from '../../import/http.js';
import { bounceSkipReason, bump, isoTime, sameOrigin, str, walkLists } from '../../import/paging.js';
import type {
  ImportSource,
  SourceHttpOptions,
  SuppressionsSpec,
  PageOptions,
  SourcePage,
  SuppressionEntry,
} from '../../import/types.js';
import type { SsmLike } from '../../ssm-env.js';
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
const REASONS: Record<(typeof LISTS)[number], Reason> = {
  bounces: 'hard_bounce',
  complaints: 'complaint',
  unsubscribes: 'unsubscribe',
};
const PAGE_SIZE = 1000;
// https://documentation.mailgun.com/docs/mailgun/api-reference/ : "EU: https://api.eu.mailgun.net".
export const MAILGUN_API_URL = 'https://api.mailgun.net';
export const MAILGUN_EU_API_URL = 'https://api.eu.mailgun.net';
const DomainSchema = z
  .string()
  .trim()
  .min(1)
  .regex(/^[A-Za-z0-9.-]+$/u, 'is not a domain name');

/** Mailgun's lists are per sending domain. */
export type MailgunImportConfig = HttpImportConfig & { domain: string };

async function loadMailgunImportConfig(env: Env, options: { ssm?: SsmLike }): Promise<MailgunImportConfig> {
  const declared = {
    provider: 'mailgun',
    keyVariable: 'MAILGUN_API_KEY',
    urlVariable: 'MAILGUN_API_URL',
    defaultUrl: MAILGUN_API_URL,
  };
  const base = await loadHttpImportConfig(declared, env, options);
  if (nonEmpty(env.MAILGUN_API_URL) === undefined) {
    const region = nonEmpty(env.MAILGUN_REGION)?.toLowerCase();
    if (region !== undefined && region !== 'us' && region !== 'eu')
      throw new ConfigError('MAILGUN_REGION', 'must be us or eu');
    if (region === 'eu') base.apiUrl = MAILGUN_EU_API_URL;
  }
  const domain = nonEmpty(env.MAILGUN_DOMAIN);
  if (domain === undefined)
    throw new ConfigError('MAILGUN_DOMAIN', 'is not set (the sending domain whose suppressions are imported)');
  const parsed = DomainSchema.safeParse(domain);
  if (!parsed.success) throw new ConfigError('MAILGUN_DOMAIN', parsed.error.issues[0]!.message);
  return { ...base, domain: parsed.data };
}

export function createMailgunSource(config: MailgunImportConfig, http: SourceHttpOptions): ImportSource {
  const client = createJsonClient({
    api: 'mailgun',
    ...http,
    retryAfter: firstOf(readRetryAfter, readResetHeader('x-ratelimit-reset')),
    secrets: [config.apiKey],
  });
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
        const body =
          (await client.json<{ items?: unknown; paging?: { next?: unknown } }>(
            sameOrigin(url, config.apiUrl, 'mailgun'),
            { headers },
          )) ?? {};
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
          const providerReason =
            key === 'bounces'
              ? [code, str(item.error)].filter(Boolean).join(' ') || 'bounce'
              : key === 'complaints'
                ? 'complaint'
                : `unsubscribe${Array.isArray(item.tags) && item.tags.length > 0 ? ` (tags ${item.tags.join(',')})` : ''}`;
          entries.push({ contact: address, reason: REASONS[key], list, providerReason, occurredAt: created });
        }
        const link = items.length > 0 ? str(body.paging?.next) : undefined;
        const next = link === undefined ? undefined : sameOrigin(link, config.apiUrl, 'mailgun');
        // A next link that names the page just read would loop for ever.
        if (next !== undefined && next === sameOrigin(url, config.apiUrl, 'mailgun'))
          throw new Error('mailgun: the next-page link repeats the current page');
        return { entries, skipped, next };
      });
    },
  };
}

/** `import mailgun` / `reconcile --from mailgun`: its key, domain, API URL (or region) and lists. */
export const suppressions: SuppressionsSpec<MailgunImportConfig> = {
  provider: 'mailgun',
  help: 'MAILGUN_API_KEY, MAILGUN_DOMAIN (MAILGUN_API_URL, or MAILGUN_REGION=eu)  bounces, complaints, unsubscribes',
  load: loadMailgunImportConfig,
  create: (config, options) => createMailgunSource(config, options.http ?? {}),
};
