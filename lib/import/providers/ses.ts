import { ListSuppressedDestinationsCommand, SESv2Client, type SuppressionListReason } from '@aws-sdk/client-sesv2';
import type { SesImportConfig } from '../config.js';
import { walkLists } from '../paging.js';
import type { ImportSource, PageOptions, SourcePage, SuppressionEntry } from '../types.js';

/**
 * Amazon SES account-level suppression list, SESv2 `ListSuppressedDestinations`
 * (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_ListSuppressedDestinations.html):
 * `StartDate`/`EndDate` window, `Reasons` filter, `PageSize` up to 1000, `NextToken` paging.
 * BOUNCE → hard_bounce (SES only suppresses on hard bounces), COMPLAINT → complaint. The SDK's own retry
 * strategy handles `TooManyRequestsException` (SES v2 throttling) with backoff.
 */
const LISTS = ['bounce', 'complaint'] as const;
const REASON_OF: Record<(typeof LISTS)[number], SuppressionListReason> = { bounce: 'BOUNCE', complaint: 'COMPLAINT' };
const PAGE_SIZE = 1000;

export interface SesClientLike {
  send(command: ListSuppressedDestinationsCommand): Promise<{
    SuppressedDestinationSummaries?: { EmailAddress?: string; Reason?: string; LastUpdateTime?: Date }[];
    NextToken?: string;
  }>;
  destroy?(): void;
}

export function createSesSource(config: SesImportConfig, options: { client?: SesClientLike } = {}): ImportSource {
  const client: SesClientLike =
    options.client ??
    new SESv2Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.localCredentials ? { credentials: config.localCredentials } : {}),
      maxAttempts: 8,
    });
  let requests = 0;
  return {
    provider: 'ses',
    lists: LISTS,
    defaultLists: LISTS,
    get requests() {
      return requests;
    },
    pages(opts: PageOptions): AsyncGenerator<SourcePage> {
      return walkLists(opts.types, opts.cursor, async (list, token) => {
        requests += 1;
        const out = await client.send(
          new ListSuppressedDestinationsCommand({
            Reasons: [REASON_OF[list as (typeof LISTS)[number]]],
            ...(opts.since ? { StartDate: opts.since } : {}),
            EndDate: opts.until,
            PageSize: PAGE_SIZE,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        const entries: SuppressionEntry[] = [];
        const skipped: Record<string, number> = {};
        for (const s of out.SuppressedDestinationSummaries ?? []) {
          if (!s.EmailAddress) {
            skipped.no_contact = (skipped.no_contact ?? 0) + 1;
            continue;
          }
          const reason = s.Reason === 'COMPLAINT' ? 'complaint' : s.Reason === 'BOUNCE' ? 'hard_bounce' : undefined;
          if (reason === undefined) {
            skipped.unknown_reason = (skipped.unknown_reason ?? 0) + 1;
            continue;
          }
          entries.push({
            contact: s.EmailAddress,
            reason,
            list,
            providerReason: s.Reason!,
            occurredAt: s.LastUpdateTime instanceof Date && !Number.isNaN(s.LastUpdateTime.getTime()) ? s.LastUpdateTime.toISOString() : undefined,
          });
        }
        return { entries, skipped, next: out.NextToken || undefined };
      });
    },
    close() {
      client.destroy?.();
    },
  };
}
