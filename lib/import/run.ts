import type { PolicyConfig } from '../config.js';
import { normaliseContact } from '../contact.js';
import { contactKey } from './reconcile.js';
import { bound, clean } from '../description.js';
import type { NormalisedMessage } from '../queue/message.js';
import type { Reason } from '../types.js';
import type { ImportProvider, ImportSource, PageOptions, SourcePage, SuppressionEntry } from './types.js';

/** Counts carried across pages (and across `--resume`, through the cursor file). */
export interface ImportCounts {
  /** Distinct contacts found (normalised), whatever their reason. */
  contacts: number;
  /** Distinct contacts by our reason label (a contact on two lists counts under the first one read). */
  byReason: Partial<Record<Reason, number>>;
  /** Messages put on the queue. */
  queued: number;
  /** Provider entries read (before de-duplication). */
  entries: number;
  /** Entries for a contact already seen in this run (another list, or both SparkPost lists). */
  duplicates: number;
  /** Entries deliberately not imported, by why (soft bounce, temporary block, unknown reason…). */
  skipped: Record<string, number>;
  /** Contacts that are neither an e-mail address nor a phone number (invalid syntax): not opt-outs. */
  invalid: number;
  /** Distinct contacts whose reason BLOCK_REASONS does not block: counted, not queued. */
  notBlockedByPolicy: Partial<Record<Reason, number>>;
  pages: number;
}

export function emptyCounts(): ImportCounts {
  return {
    contacts: 0,
    byReason: {},
    queued: 0,
    entries: 0,
    duplicates: 0,
    skipped: {},
    invalid: 0,
    notBlockedByPolicy: {},
    pages: 0,
  };
}

export interface ImportRunOptions {
  source: ImportSource;
  page: PageOptions;
  policy: Pick<PolicyConfig, 'blockReasons'>;
  /** Puts messages on the bulk queue; resolves only when all are there. Absent: dry run. */
  send?: (messages: NormalisedMessage[]) => Promise<void>;
  /** Called after each page is fully sent, with the cursor that resumes after it (save it there). */
  onPage?: (counts: ImportCounts, page: SourcePage) => Promise<void> | void;
  /** Counts from the interrupted run being resumed. */
  counts?: ImportCounts;
}

/**
 * Streams a provider's suppression list page by page onto the bulk queue: at most one page of entries
 * is held at a time, plus sets of 128-bit contact hashes so that a contact on several lists is counted
 * and queued once per run. Each message carries a stable `eventId` (provider, list, time of the
 * suppression), so a page sent again after an interruption is the same request; the consumer's ledger
 * (one key per contact) makes it free.
 */
export async function runImport(options: ImportRunOptions): Promise<ImportCounts> {
  const counts = options.counts ?? emptyCounts();
  // 128-bit keys: at 48 bits two contacts of a 10M-entry list collide with a probability of ~16%, and a
  // collision would drop one of them as a "duplicate".
  const seen = new Set<string>();
  const queuedKeys = new Set<string>();
  for await (const page of options.source.pages(options.page)) {
    counts.pages += 1;
    counts.entries += page.entries.length;
    for (const [why, n] of Object.entries(page.skipped)) counts.skipped[why] = (counts.skipped[why] ?? 0) + n;
    const messages: NormalisedMessage[] = [];
    for (const entry of page.entries) {
      const normalised = normaliseContact(entry.contact);
      if (!normalised.ok) {
        counts.invalid += 1;
        continue;
      }
      const contact = normalised.contact;
      const key = contactKey(contact);
      if (!seen.has(key)) {
        seen.add(key);
        counts.contacts += 1;
        counts.byReason[entry.reason] = (counts.byReason[entry.reason] ?? 0) + 1;
      }
      // The policy decides before de-duplication: a contact first read from a list whose reason does not
      // block (a bounce, when BLOCK_REASONS leaves hard_bounce out) is still queued from a later list
      // whose reason does (its complaint). A contact is queued once, with its first blocking reason.
      if (!options.policy.blockReasons.has(entry.reason) || entry.reason === 'soft_bounce') {
        counts.notBlockedByPolicy[entry.reason] = (counts.notBlockedByPolicy[entry.reason] ?? 0) + 1;
        continue;
      }
      if (queuedKeys.has(key)) {
        counts.duplicates += 1;
        continue;
      }
      queuedKeys.add(key);
      messages.push(importMessage(options.source.provider, entry, contact));
    }
    if (options.send && messages.length > 0) {
      await options.send(messages);
      counts.queued += messages.length;
    }
    await options.onPage?.(counts, page);
  }
  return counts;
}

/**
 * The queue message for one imported contact. `eventId` is stable for an entry (an import run twice, a
 * resumed page or `reconcile --enqueue-missing` sends the same request again) and holds nothing derived
 * from the contact: until issue 19 it ended in an unkeyed SHA-256 of it, which a dictionary of addresses
 * reverses. The message carries the contact anyway; the ledger keeps the id only keyed.
 */
export function importMessage(provider: ImportProvider, entry: SuppressionEntry, contact: string): NormalisedMessage {
  const source = `import:${provider}`;
  return {
    contact,
    reason: entry.reason,
    source,
    description: bound(clean(`${provider} ${entry.list}: ${entry.providerReason}`), 500),
    eventId: importEventId(source, entry),
    ...(entry.occurredAt ? { occurredAt: entry.occurredAt } : {}),
  };
}

/** `import:<provider>:<list>[:<time of the suppression>]`, within the queue message's 512 characters. */
export function importEventId(source: string, entry: Pick<SuppressionEntry, 'list' | 'occurredAt'>): string {
  return bound(clean(`${source}:${entry.list}${entry.occurredAt ? `:${entry.occurredAt}` : ''}`), 512);
}
