import { type HttpImportConfig, loadHttpImportConfig } from '../../import/config.js';
import { createJsonClient } from '../../import/http.js';
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
 * Mandrill (Mailchimp Transactional) rejection denylist
 * (https://mailchimp.com/developer/transactional/api/rejects/list-denylisted-email-addresses/):
 * `POST /api/1.0/rejects/list.json {key, include_expired: false}` → `[{email, reason, detail, created_at,
 * expired}]`, one answer (no paging). hard-bounce → hard_bounce, spam → complaint, unsub → unsubscribe,
 * custom (added by the account's own admins) → manual; soft-bounce is temporary (Mandrill expires it) and
 * is skipped, like the live mapper's soft bounces. Mandrill reports errors such as `Invalid_Key` with
 * HTTP 500 and `{"status":"error","name":…}` (https://mailchimp.com/developer/transactional/docs/fundamentals/#api-errors):
 * those fail at once instead of being retried.
 */
const LISTS = ['rejects'] as const;
const REASONS: ReadonlyMap<string, Reason> = new Map([
  ['hard-bounce', 'hard_bounce'],
  ['spam', 'complaint'],
  ['unsub', 'unsubscribe'],
  ['custom', 'manual'],
]);

export function createMandrillSource(config: HttpImportConfig, http: SourceHttpOptions): ImportSource {
  const client = createJsonClient({
    api: 'mandrill',
    ...http,
    secrets: [config.apiKey],
    permanentError: (_status, text) => {
      try {
        const body = JSON.parse(text) as { status?: unknown; name?: unknown; message?: unknown };
        if (body.status === 'error' && typeof body.name === 'string' && body.name !== 'GeneralError') {
          return `${body.name}${body.name === 'Invalid_Key' ? ': the API key was refused' : typeof body.message === 'string' ? `: ${body.message}` : ''}`;
        }
      } catch {
        // not Mandrill's error envelope: a real server error, retried
      }
      return undefined;
    },
  });
  return {
    provider: 'mandrill',
    lists: LISTS,
    defaultLists: LISTS,
    get requests() {
      return client.requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list) => {
        const body = await client.json<unknown>(`${config.apiUrl}/api/1.0/rejects/list.json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key: config.apiKey, include_expired: false }),
        });
        const rows = Array.isArray(body) ? (body as Record<string, unknown>[]) : [];
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const row of rows) {
          const email = str(row?.email);
          const why = str(row?.reason);
          const created = isoTime(row?.created_at);
          const reason = why === undefined ? undefined : REASONS.get(why);
          if (email === undefined) bump(skipped, 'no_contact');
          else if (row.expired === true) bump(skipped, 'expired');
          else if (why === 'soft-bounce') bump(skipped, 'soft_bounce');
          else if (reason === undefined) bump(skipped, 'unknown_reason');
          else if (opts.since && created !== undefined && created < opts.since.toISOString())
            bump(skipped, 'before_since');
          else
            entries.push({
              contact: email,
              reason,
              list,
              providerReason: [why, str(row.detail)].filter(Boolean).join(': '),
              occurredAt: created,
            });
        }
        return { entries, skipped, next: undefined };
      });
    },
  };
}

/** `import mandrill` / `reconcile --from mandrill`: its credential, API URL (public API, or a stand-in) and lists. */
export const suppressions: SuppressionsSpec<HttpImportConfig> = {
  provider: 'mandrill',
  help: 'MANDRILL_API_KEY              (MANDRILL_API_URL)    rejects',
  load: (env, options) =>
    loadHttpImportConfig(
      {
        provider: 'mandrill',
        keyVariable: 'MANDRILL_API_KEY',
        urlVariable: 'MANDRILL_API_URL',
        defaultUrl: 'https://mandrillapp.com',
      },
      env,
      options,
    ),
  create: (config, options) => createMandrillSource(config, options.http ?? {}),
};
