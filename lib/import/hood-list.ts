import type { RateWindow } from '../config.js';
import { HeldError, PermanentError, RetryableError } from '../errors.js';
import type { HoodClient } from '../hood/client.js';
import type { BlockedContact } from '../hood/types.js';
import { Pacer } from '../pacing/pacer.js';

export interface HoodListPage {
  page: number;
  total: number;
  items: BlockedContact[];
}

export interface HoodListOptions {
  client: Pick<HoodClient, 'listBlockedContacts'>;
  rateLimits: readonly RateWindow[];
  /**
   * Listing shares the account's budget with live blocks: it takes 1/`share` of every window (default 2,
   * half), so that a reconcile never starves the consumers.
   */
  share?: number;
  /** Items per page (M of `page=N,M`); Hood documents neither default nor maximum. Default 100. */
  pageSize?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Consecutive 5xx/network failures of one page before giving up. Default 6. */
  maxAttempts?: number;
}

/**
 * Pages through Hood's blocked contacts with real values (`GET /blocked-contacts?read_gdpr_fields=true&page=N,M`,
 * the documented paging: https://docs.ocamba.com/api/hood/v1.0/view-blocked-contacts), paced under the
 * account's windows, honouring 429 `Retry-After` and backing off on 5xx. Pages are read in Hood's default
 * order; a contact blocked while the listing runs may be seen on no page or on two, which a second
 * reconcile settles (nothing is blocked or unblocked because of it).
 */
export async function* pageHoodList(options: HoodListOptions): AsyncGenerator<HoodListPage> {
  const pacer = new Pacer({
    windows: options.rateLimits,
    consumers: options.share ?? 2,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pageSize = options.pageSize ?? 100;
  const maxAttempts = options.maxAttempts ?? 6;
  for (let page = 1; ; page += 1) {
    let failures = 0;
    for (;;) {
      const wait = pacer.delay();
      if (wait > 0) await sleep(wait);
      pacer.started();
      const result = await options.client.listBlockedContacts({ page, pageSize, readGdprFields: true });
      pacer.completed(undefined, result.rateLimit);
      if (result.kind === 'listed') {
        pacer.succeeded();
        yield { page, total: result.total, items: result.items };
        if (result.items.length < pageSize || page * pageSize >= result.total) return;
        break;
      }
      if (result.kind === 'rate_limited') {
        await sleep(pacer.rateLimited(result.parallelLimit ? undefined : result.retryAfterMs));
        continue;
      }
      if (result.kind === 'unauthorized')
        throw new HeldError(
          'hood_unauthorized',
          `Hood refused the token (HTTP ${result.status}): check HOOD_API_TOKEN`,
        );
      if (result.kind === 'rejected')
        throw new PermanentError(
          'hood_rejected',
          `Hood answered HTTP ${result.status} to page ${page}: ${result.message ?? result.title ?? ''}`.trim(),
        );
      failures += 1;
      if (failures >= maxAttempts)
        throw new RetryableError('hood_unavailable', `Hood unavailable while listing page ${page}: ${result.message}`);
      await sleep(Math.min(60_000, 1000 * 2 ** (failures - 1)));
    }
  }
}
