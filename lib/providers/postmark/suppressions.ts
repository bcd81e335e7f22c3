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
 * Postmark suppressions per message stream
 * (https://postmarkapp.com/developer/api/suppressions-api#suppression-dump):
 * `GET /message-streams/{stream}/suppressions/dump?SuppressionReason=…&fromdate=…&todate=…` →
 * `{Suppressions: [{EmailAddress, SuppressionReason, Origin, CreatedAt}]}`, one answer per stream.
 * Streams from `GET /message-streams` (https://postmarkapp.com/developer/api/message-streams-api), read in
 * ID order. Header `X-Postmark-Server-Token`. Lists are the suppression reasons:
 * HardBounce → hard_bounce, SpamComplaint → complaint, ManualSuppression → by `Origin`: `Recipient`
 * (the recipient unsubscribed) → unsubscribe, `Customer` (the company's own admins) → manual, `Admin`
 * (Postmark staff) → suppressed — the same split the live SubscriptionChange mapper makes.
 */
const LISTS = ['HardBounce', 'SpamComplaint', 'ManualSuppression'] as const;

export function createPostmarkSource(config: HttpImportConfig, http: SourceHttpOptions): ImportSource {
  const client = createJsonClient({ api: 'postmark', ...http, secrets: [config.apiKey] });
  const headers = { 'x-postmark-server-token': config.apiKey };
  let streams: string[] | undefined;
  const listStreams = async (): Promise<string[]> => {
    if (streams) return streams;
    const body = await client.json<{ MessageStreams?: { ID?: unknown }[] }>(
      `${config.apiUrl}/message-streams?MessageStreamType=All&IncludeArchivedStreams=true`,
      { headers },
    );
    streams = [
      ...new Set((body?.MessageStreams ?? []).map((s) => str(s?.ID)).filter((id): id is string => id !== undefined)),
    ].sort();
    return streams;
  };
  return {
    provider: 'postmark',
    lists: LISTS,
    defaultLists: LISTS,
    get requests() {
      return client.requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list, token) => {
        const all = await listStreams();
        if (all.length === 0) return { entries: [], next: undefined };
        const index = token === undefined ? 0 : all.indexOf(token);
        if (index < 0)
          throw new Error(
            `postmark: the saved cursor names message stream "${token}", which no longer exists; start again without --resume`,
          );
        const stream = all[index]!;
        const query = new URLSearchParams({ SuppressionReason: list, todate: day(opts.until) });
        if (opts.since) query.set('fromdate', day(opts.since));
        const body = await client.json<{ Suppressions?: unknown }>(
          `${config.apiUrl}/message-streams/${encodeURIComponent(stream)}/suppressions/dump?${query}`,
          { headers },
        );
        const rows = Array.isArray(body?.Suppressions) ? (body.Suppressions as Record<string, unknown>[]) : [];
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const row of rows) {
          const email = str(row?.EmailAddress);
          if (email === undefined) {
            bump(skipped, 'no_contact');
            continue;
          }
          const why = str(row.SuppressionReason) ?? list;
          const origin = str(row.Origin);
          const reason = reasonOf(why, origin);
          if (reason === undefined) {
            bump(skipped, 'unknown_reason');
            continue;
          }
          entries.push({
            contact: email,
            reason,
            list,
            providerReason: `${why}${origin ? ` (origin ${origin})` : ''}, stream ${stream}`,
            occurredAt: isoTime(row.CreatedAt),
          });
        }
        return { entries, skipped, next: all[index + 1] };
      });
    },
  };
}

function reasonOf(why: string, origin: string | undefined): Reason | undefined {
  if (why === 'HardBounce') return 'hard_bounce';
  if (why === 'SpamComplaint') return 'complaint';
  if (why === 'ManualSuppression')
    return origin === 'Recipient' ? 'unsubscribe' : origin === 'Customer' ? 'manual' : 'suppressed';
  return undefined;
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `import postmark` / `reconcile --from postmark`: its credential, API URL (public API, or a stand-in) and lists. */
export const suppressions: SuppressionsSpec<HttpImportConfig> = {
  provider: 'postmark',
  help: 'POSTMARK_SERVER_TOKEN         (POSTMARK_API_URL)    HardBounce, SpamComplaint, ManualSuppression (every stream)',
  load: (env, options) =>
    loadHttpImportConfig(
      {
        provider: 'postmark',
        keyVariable: 'POSTMARK_SERVER_TOKEN',
        urlVariable: 'POSTMARK_API_URL',
        defaultUrl: 'https://api.postmarkapp.com',
      },
      env,
      options,
    ),
  create: (config, options) => createPostmarkSource(config, options.http ?? {}),
};
