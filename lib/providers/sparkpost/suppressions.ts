import { type HttpImportConfig, loadHttpImportConfig } from '../../import/config.js';
import { createJsonClient, firstOf, readResetHeader, readRetryAfter } from '../../import/http.js';
import { bump, isoTime, sameOrigin, str, walkLists } from '../../import/paging.js';
import type {
  ImportSource,
  SourceHttpOptions,
  SuppressionsSpec,
  PageOptions,
  SourcePage,
  SuppressionEntry,
} from '../../import/types.js';
import type { Reason } from '../../types.js';

/**
 * SparkPost suppression list (https://developers.sparkpost.com/api/suppression-list/#suppression-list-get-search-suppressions):
 * `GET /api/v1/suppression-list?from&to&limit&cursor=initial` → `{results: [{recipient, type, source,
 * description, created}], links: [{href, rel: "next"}]}`; cursor paging follows the `next` link.
 * Header `Authorization: <key>` (no scheme). By `source`: Spam Complaint → complaint, List Unsubscribe /
 * Unsubscribe Link → unsubscribe, Bounce Rule → hard_bounce, Manually Added (the company's admins) →
 * manual, Compliance (SparkPost's compliance team) → suppressed. A recipient on both the transactional and
 * the non-transactional list appears twice; the import counts and queues it once.
 */
const LISTS = ['suppression_list'] as const;
const PAGE_SIZE = 10_000;
const REASONS: ReadonlyMap<string, Reason> = new Map([
  ['spam complaint', 'complaint'],
  ['list unsubscribe', 'unsubscribe'],
  ['unsubscribe link', 'unsubscribe'],
  ['bounce rule', 'hard_bounce'],
  ['manually added', 'manual'],
  ['compliance', 'suppressed'],
]);

export function createSparkpostSource(config: HttpImportConfig, http: SourceHttpOptions): ImportSource {
  const client = createJsonClient({
    api: 'sparkpost',
    ...http,
    retryAfter: firstOf(readRetryAfter, readResetHeader('x-ratelimit-reset')),
    secrets: [config.apiKey],
  });
  const headers = { authorization: config.apiKey };
  return {
    provider: 'sparkpost',
    lists: LISTS,
    defaultLists: LISTS,
    get requests() {
      return client.requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list, token) => {
        let url = token;
        if (url === undefined) {
          const query = new URLSearchParams({
            cursor: 'initial',
            limit: String(PAGE_SIZE),
            to: opts.until.toISOString().slice(0, 19),
          });
          if (opts.since) query.set('from', opts.since.toISOString().slice(0, 19));
          url = `${config.apiUrl}/api/v1/suppression-list?${query}`;
        }
        const body = await client.json<{ total_count?: unknown; results?: unknown; links?: unknown }>(
          sameOrigin(url, config.apiUrl, 'sparkpost'),
          { headers },
        );
        const rows = Array.isArray(body?.results) ? (body.results as Record<string, unknown>[]) : [];
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const row of rows) {
          const recipient = str(row?.recipient);
          const source = str(row?.source);
          const reason = source === undefined ? undefined : REASONS.get(source.toLowerCase());
          if (recipient === undefined) bump(skipped, 'no_contact');
          else if (reason === undefined) bump(skipped, 'unknown_reason');
          else {
            entries.push({
              contact: recipient,
              reason,
              list,
              providerReason: [source, str(row.type), str(row.description)].filter(Boolean).join(', '),
              occurredAt: isoTime(row.created),
            });
          }
        }
        const links = Array.isArray(body?.links) ? (body.links as { href?: unknown; rel?: unknown }[]) : [];
        const nextHref = rows.length > 0 ? str(links.find((l) => l?.rel === 'next')?.href) : undefined;
        const next = nextHref === undefined ? undefined : sameOrigin(nextHref, config.apiUrl, 'sparkpost');
        // A next link that names the page just read would loop for ever.
        if (next !== undefined && next === sameOrigin(url, config.apiUrl, 'sparkpost'))
          throw new Error('sparkpost: the next-page link repeats the current page');
        return { entries, skipped, total: typeof body?.total_count === 'number' ? body.total_count : undefined, next };
      });
    },
  };
}

/** `import sparkpost` / `reconcile --from sparkpost`: its credential, API URL (public API, or a stand-in) and lists. */
export const suppressions: SuppressionsSpec<HttpImportConfig> = {
  provider: 'sparkpost',
  help: 'SPARKPOST_API_KEY             (SPARKPOST_API_URL)   suppression_list',
  load: (env, options) =>
    loadHttpImportConfig(
      {
        provider: 'sparkpost',
        keyVariable: 'SPARKPOST_API_KEY',
        urlVariable: 'SPARKPOST_API_URL',
        defaultUrl: 'https://api.sparkpost.com',
      },
      env,
      options,
    ),
  create: (config, options) => createSparkpostSource(config, options.http ?? {}),
};
