import { type HttpImportConfig, loadHttpImportConfig } from '../../import/config.js';
import { createJsonClient, firstOf, readResetHeader, readRetryAfter } from '../../import/http.js';
import { bounceSkipReason, bump, isoTime, str, walkLists } from '../../import/paging.js';
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
 * SendGrid suppressions (v3), offset/limit paging with a `start_time`/`end_time` window (unix seconds):
 * - bounces  https://www.twilio.com/docs/sendgrid/api-reference/bounces-api/retrieve-all-bounces  → hard_bounce
 * - spam_reports  https://www.twilio.com/docs/sendgrid/api-reference/spam-reports-api/retrieve-all-spam-reports → complaint
 * - unsubscribes (global)  https://www.twilio.com/docs/sendgrid/api-reference/suppressions-global-suppressions/retrieve-all-global-suppressions → unsubscribe
 * - group_unsubscribes  https://www.twilio.com/docs/sendgrid/api-reference/suppressions-suppressions/retrieve-all-suppressions → group_unsubscribe,
 *   read only when BLOCK_REASONS includes group_unsubscribe (an unsubscribe from one group is not from all mail).
 * Not "blocks" (/v3/suppression/blocks): SendGrid's own docs call them temporary, like a soft bounce.
 * Newest first, so `end_time` is fixed at the run's start (kept in the resume file) and offsets do not shift.
 * 429: `X-RateLimit-Reset` is the epoch second the window resets
 * (https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits).
 */
const LISTS = ['bounces', 'spam_reports', 'unsubscribes', 'group_unsubscribes'] as const;
const PATHS: Record<(typeof LISTS)[number], string> = {
  bounces: '/v3/suppression/bounces',
  spam_reports: '/v3/suppression/spam_reports',
  unsubscribes: '/v3/suppression/unsubscribes',
  group_unsubscribes: '/v3/asm/suppressions',
};
const REASONS: Record<(typeof LISTS)[number], Reason> = {
  bounces: 'hard_bounce',
  spam_reports: 'complaint',
  unsubscribes: 'unsubscribe',
  group_unsubscribes: 'group_unsubscribe',
};
// The documented maximum `limit` of the suppression list endpoints.
const PAGE_SIZE = 500;

export function createSendgridSource(
  config: HttpImportConfig,
  http: SourceHttpOptions,
  options: { includeGroupUnsubscribes: boolean },
): ImportSource {
  const client = createJsonClient({
    api: 'sendgrid',
    ...http,
    retryAfter: firstOf(readRetryAfter, readResetHeader('x-ratelimit-reset')),
    secrets: [config.apiKey],
  });
  const headers = { authorization: `Bearer ${config.apiKey}` };
  return {
    provider: 'sendgrid',
    lists: LISTS,
    defaultLists: options.includeGroupUnsubscribes ? LISTS : LISTS.filter((l) => l !== 'group_unsubscribes'),
    get requests() {
      return client.requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list, token) => {
        const key = list as (typeof LISTS)[number];
        const offset = token === undefined ? 0 : Number(token);
        const query = new URLSearchParams({
          limit: String(PAGE_SIZE),
          offset: String(offset),
          end_time: String(Math.floor(opts.until.getTime() / 1000)),
        });
        if (opts.since) query.set('start_time', String(Math.floor(opts.since.getTime() / 1000)));
        const body = await client.json<unknown>(`${config.apiUrl}${PATHS[key]}?${query}`, { headers });
        const rows = Array.isArray(body) ? body : [];
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const row of rows as Record<string, unknown>[]) {
          const email = str(row?.email);
          if (email === undefined) {
            bump(skipped, 'no_contact');
            continue;
          }
          const created = isoTime(row.created ?? row.created_at);
          // /v3/asm/suppressions has no time filter: apply the window here.
          if (
            key === 'group_unsubscribes' &&
            created !== undefined &&
            ((opts.since && created < opts.since.toISOString()) || created >= opts.until.toISOString())
          ) {
            bump(skipped, 'outside_window');
            continue;
          }
          const status = str(row.status);
          // A 4.x.x enhanced status is temporary (RFC 3463); the live mapper ignores soft bounces too.
          if (key === 'bounces' && status !== undefined && status.startsWith('4')) {
            bump(skipped, 'soft_bounce');
            continue;
          }
          const skip = key === 'bounces' ? bounceSkipReason(status, str(row.reason)) : undefined;
          if (skip !== undefined) {
            bump(skipped, skip);
            continue;
          }
          const providerReason =
            key === 'bounces'
              ? [status, str(row.reason)].filter(Boolean).join(' ') || 'bounce'
              : key === 'group_unsubscribes'
                ? `group ${str(row.group_name) ?? String(row.group_id ?? '?')}`
                : key === 'spam_reports'
                  ? 'spam report'
                  : 'global unsubscribe';
          entries.push({ contact: email, reason: REASONS[key], list, providerReason, occurredAt: created });
        }
        // /v3/asm/suppressions is not paged: one answer holds it all.
        const next =
          key !== 'group_unsubscribes' && rows.length >= PAGE_SIZE ? String(offset + rows.length) : undefined;
        return { entries, skipped, next };
      });
    },
  };
}

/** `import sendgrid` / `reconcile --from sendgrid`: its credential, API URL (public API, or a stand-in) and lists. */
export const suppressions: SuppressionsSpec<HttpImportConfig> = {
  provider: 'sendgrid',
  help: 'SENDGRID_API_KEY              (SENDGRID_API_URL)    bounces, spam_reports, unsubscribes[, group_unsubscribes]',
  load: (env, options) =>
    loadHttpImportConfig(
      {
        provider: 'sendgrid',
        keyVariable: 'SENDGRID_API_KEY',
        urlVariable: 'SENDGRID_API_URL',
        defaultUrl: 'https://api.sendgrid.com',
      },
      env,
      options,
    ),
  create: (config, options) =>
    createSendgridSource(config, options.http ?? {}, {
      includeGroupUnsubscribes: options.includeGroupUnsubscribes === true,
    }),
};
