import { type HttpImportConfig, loadHttpImportConfig } from '../../import/config.js';
import { createJsonClient, firstOf, readResetHeader, readRetryAfter } from '../../import/http.js';
import { bump, isoTime, str, walkLists } from '../../import/paging.js';
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
 * Brevo transactional blocked contacts (https://developers.brevo.com/reference/gettransacblockedcontacts):
 * `GET /v3/smtp/blockedContacts?startDate&endDate&limit=100&offset&sort=asc` → `{count, contacts: [{email,
 * senderEmail, reason: {code, message}, blockedAt}]}`. Header `api-key`. Oldest first with a fixed
 * `endDate`: entries added during a run land after the last offset read, so offsets never shift.
 * Reason codes: unsubscribedViaMA/unsubscribedViaEmail/unsubscribedViaApi → unsubscribe, hardBounce →
 * hard_bounce, contactFlaggedAsSpam → complaint, adminBlocked (the company's admins) → manual.
 * 429: `x-sib-ratelimit-reset`, seconds until the window resets (https://developers.brevo.com/docs/api-limits).
 */
const LISTS = ['blocked_contacts'] as const;
const PAGE_SIZE = 100;
// startDate is mandatory when endDate is given; Brevo (Sendinblue) has no data before its 2012 launch.
const EARLIEST = '2012-01-01';
const REASONS: ReadonlyMap<string, Reason> = new Map([
  ['unsubscribedViaMA', 'unsubscribe'],
  ['unsubscribedViaEmail', 'unsubscribe'],
  ['unsubscribedViaApi', 'unsubscribe'],
  ['hardBounce', 'hard_bounce'],
  ['contactFlaggedAsSpam', 'complaint'],
  ['adminBlocked', 'manual'],
]);

export function createBrevoSource(config: HttpImportConfig, http: SourceHttpOptions): ImportSource {
  const client = createJsonClient({
    api: 'brevo',
    ...http,
    retryAfter: firstOf(readRetryAfter, readResetHeader('x-sib-ratelimit-reset')),
    secrets: [config.apiKey],
  });
  const headers = { 'api-key': config.apiKey };
  return {
    provider: 'brevo',
    lists: LISTS,
    defaultLists: LISTS,
    get requests() {
      return client.requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list, token) => {
        const offset = token === undefined ? 0 : Number(token);
        const query = new URLSearchParams({
          startDate: opts.since ? opts.since.toISOString().slice(0, 10) : EARLIEST,
          endDate: opts.until.toISOString().slice(0, 10),
          limit: String(PAGE_SIZE),
          offset: String(offset),
          sort: 'asc',
        });
        const body = await client.json<{ count?: unknown; contacts?: unknown }>(
          `${config.apiUrl}/v3/smtp/blockedContacts?${query}`,
          { headers },
        );
        const rows = Array.isArray(body?.contacts) ? (body.contacts as Record<string, unknown>[]) : [];
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const row of rows) {
          const email = str(row?.email);
          const r = (row?.reason ?? {}) as { code?: unknown; message?: unknown };
          const code = str(r.code);
          const reason = code === undefined ? undefined : REASONS.get(code);
          if (email === undefined) bump(skipped, 'no_contact');
          else if (reason === undefined) bump(skipped, `unknown_reason`);
          else
            entries.push({
              contact: email,
              reason,
              list,
              providerReason: [code, str(r.message)].filter(Boolean).join(': '),
              occurredAt: isoTime(row.blockedAt),
            });
        }
        return {
          entries,
          skipped,
          total: typeof body?.count === 'number' ? body.count : undefined,
          next: rows.length >= PAGE_SIZE ? String(offset + rows.length) : undefined,
        };
      });
    },
  };
}

/** `import brevo` / `reconcile --from brevo`: its credential, API URL (public API, or a stand-in) and lists. */
export const suppressions: SuppressionsSpec<HttpImportConfig> = {
  provider: 'brevo',
  help: 'BREVO_API_KEY                 (BREVO_API_URL)       blocked_contacts',
  load: (env, options) =>
    loadHttpImportConfig(
      {
        provider: 'brevo',
        keyVariable: 'BREVO_API_KEY',
        urlVariable: 'BREVO_API_URL',
        defaultUrl: 'https://api.brevo.com',
      },
      env,
      options,
    ),
  create: (config, options) => createBrevoSource(config, options.http ?? {}),
};
