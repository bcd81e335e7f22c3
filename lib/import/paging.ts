import { classifySmtp } from '../providers/shared/smtp.js';
import type { SourcePage, SuppressionEntry } from './types.js';

/** What one request of one list returned: entries, skipped counts, and the token of the next page. */
export interface ListPage {
  entries: SuppressionEntry[];
  skipped?: Record<string, number>;
  /** `undefined`: this list is finished. */
  next: string | undefined;
  total?: number | undefined;
}

export type ListReader = (list: string, token: string | undefined) => Promise<ListPage>;

interface Cursor {
  list: string;
  token?: string | undefined;
}

/**
 * Walks the chosen lists in order, page by page, yielding each page with a cursor that names the list
 * and the provider's own next-page token. A cursor from another run of the same lists resumes at that
 * page; one naming a list that is no longer chosen is refused rather than silently reading everything.
 */
export async function* walkLists(
  lists: readonly string[],
  cursor: string | undefined,
  read: ListReader,
): AsyncGenerator<SourcePage> {
  let start = 0;
  let token: string | undefined;
  if (cursor !== undefined) {
    const parsed = parseCursor(cursor);
    start = lists.indexOf(parsed.list);
    if (start < 0)
      throw new Error(
        `the saved cursor is for list "${parsed.list}", which this run does not read (different --types?)`,
      );
    token = parsed.token;
  }
  for (let i = start; i < lists.length; i += 1) {
    const list = lists[i]!;
    let pageToken = i === start ? token : undefined;
    for (;;) {
      const page = await read(list, pageToken);
      const nextCursor: Cursor | undefined =
        page.next !== undefined
          ? { list, token: page.next }
          : i + 1 < lists.length
            ? { list: lists[i + 1]! }
            : undefined;
      yield {
        list,
        entries: page.entries,
        skipped: page.skipped ?? {},
        cursor: nextCursor && JSON.stringify(nextCursor),
        ...(page.total !== undefined ? { total: page.total } : {}),
      };
      if (page.next === undefined) break;
      pageToken = page.next;
    }
  }
}

function parseCursor(text: string): Cursor {
  try {
    const c = JSON.parse(text) as Cursor;
    if (typeof c.list === 'string' && (c.token === undefined || typeof c.token === 'string')) return c;
  } catch {
    // fall through
  }
  throw new Error('the saved cursor is not readable; start again without --resume');
}

export function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** ISO-8601 from a provider time: epoch seconds, epoch ms, or a date string; `undefined` when unreadable. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const ms = value > 1e12 ? value : value * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+$/u.test(value.trim())) return isoTime(Number(value.trim()));
    // `YYYY-MM-DD HH:MM:SS` without a zone (Mandrill, Hood) is UTC, not this machine's local time.
    const text = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?$/u.test(value.trim())
      ? `${value.trim().replace(' ', 'T')}Z`
      : value.trim();
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

/** A next-page URL must stay on the API's own origin: the credential goes with it. */
export function sameOrigin(next: string, base: string, api: string): string {
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    throw new Error(`${api}: the next-page link is not a URL`);
  }
  if (url.origin !== new URL(base).origin)
    throw new Error(
      `${api}: the next-page link points to another host (${url.origin}); refusing to send the API key there`,
    );
  return url.toString();
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Why an entry of a provider's *bounce* list is not imported, by the same SMTP rules as the live mappers
 * (lib/providers/shared/smtp.ts): only a failure of the recipient's address blocks. A sender-side rejection
 * (`550 5.7.1 … blocked using Spamhaus`) is on the list because the provider stops sending, not because
 * the address is bad; a full mailbox is temporary. An entry with nothing to classify stays a hard
 * bounce: the provider put it on its bounce list and no text says otherwise. Undefined: import it.
 */
export function bounceSkipReason(code: string | undefined, text: string | undefined): string | undefined {
  const verdict = classifySmtp({ code, enhanced: code, text });
  if (verdict === 'mailbox') return 'mailbox_full';
  if (verdict === 'other') return 'not_recipient_address';
  return undefined;
}
