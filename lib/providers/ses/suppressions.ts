import { ListSuppressedDestinationsCommand, SESv2Client, type SuppressionListReason } from '@aws-sdk/client-sesv2';
import { z } from 'zod';
import { type Env, localCredentialsFor } from '../../config.js';
import { ConfigError } from '../../errors.js';
import { nonEmpty } from '../../config.js';
import { HttpUrlSchema } from '../../import/config.js';
import { walkLists } from '../../import/paging.js';
import type { ImportSource, SuppressionsSpec, PageOptions, SourcePage, SuppressionEntry } from '../../import/types.js';

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

export const SesImportConfigSchema = z.object({
  provider: z.literal('ses'),
  region: z.string().min(1),
  endpoint: HttpUrlSchema.optional(),
  localCredentials: z
    .object({ accessKeyId: z.string(), secretAccessKey: z.string(), sessionToken: z.string().optional() })
    .optional(),
});
export type SesImportConfig = z.infer<typeof SesImportConfigSchema>;

export function loadSesImportConfig(env: Env): SesImportConfig {
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL_SESV2) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const parsed = SesImportConfigSchema.safeParse({
    provider: 'ses',
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    endpoint,
    // A local stand-in accepts any signature; the SDK still wants credentials to sign with.
    // Keys given in the environment the CLI was handed are used as given (the SDK would only look at
    // process.env); an emulator on this machine gets config.ts's one local-credentials rule; otherwise
    // the SDK's default chain (profile, SSO, instance role).
    localCredentials:
      nonEmpty(env.AWS_ACCESS_KEY_ID) && nonEmpty(env.AWS_SECRET_ACCESS_KEY)
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID!.trim(),
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY!.trim(),
            ...(nonEmpty(env.AWS_SESSION_TOKEN) ? { sessionToken: env.AWS_SESSION_TOKEN!.trim() } : {}),
          }
        : localCredentialsFor(env, endpoint),
  });
  if (!parsed.success) throw new ConfigError('AWS_ENDPOINT_URL_SESV2', 'must be an http(s) URL');
  return parsed.data;
}

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
            occurredAt:
              s.LastUpdateTime instanceof Date && !Number.isNaN(s.LastUpdateTime.getTime())
                ? s.LastUpdateTime.toISOString()
                : undefined,
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

/** `import ses` / `reconcile --from ses`: the account's suppression list, with AWS credentials. */
export const suppressions: SuppressionsSpec<SesImportConfig> = {
  provider: 'ses',
  help: 'SESv2 account suppression list (AWS credentials; AWS_REGION; AWS_ENDPOINT_URL_SESV2)',
  load: async (env) => loadSesImportConfig(env),
  create: (config) => createSesSource(config),
};
