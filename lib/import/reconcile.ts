import { createHash } from 'node:crypto';
import { normaliseContact } from '../contact.js';
import type { BlockedContact } from '../hood/types.js';
import type { Ledger, LedgerBlockedEntry } from '../ledger/types.js';
import type { HoodListPage } from './hood-list.js';
import type { ImportSource, PageOptions, SuppressionEntry } from './types.js';

export interface ReconcileCounts {
  /** Distinct contacts in Hood's list (readable ones). */
  hood: number;
  /** Hood rows whose contact could not be read (masked: `read_gdpr_fields` not honoured, or not a contact). */
  hoodUnreadable: number;
  /** Distinct contacts in the source (valid ones). */
  source: number;
  both: number;
  /** In the source, not in Hood: people still being contacted. */
  missing: number;
  onlyInHood: number;
  /** Source entries that are not contacts (invalid syntax). */
  sourceInvalid: number;
  hoodPages: number;
  sourcePages: number;
}

/**
 * A 128-bit key of a normalised contact: both lists are held as sets of these, never as text. (48 bits
 * collide for ~16% of 10M-entry lists: one contact would pass for another.)
 */
export function contactKey(contact: string): string {
  return createHash('sha256').update(contact).digest().subarray(0, 16).toString('base64');
}

export interface ReconcileOptions {
  hoodPages: AsyncIterable<HoodListPage>;
  source: ImportSource;
  page: PageOptions;
  /** Each contact the source has and Hood lacks (normalised, in clear), once. */
  onMissing?: (contact: string, entry: SuppressionEntry) => Promise<void> | void;
  onProgress?: (counts: ReconcileCounts) => void;
}

/**
 * Hood's list first (into a set of contact keys), then the source streamed page by page against it.
 * Memory: one key per Hood contact and per source contact, never the lists themselves.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileCounts> {
  const counts: ReconcileCounts = {
    hood: 0,
    hoodUnreadable: 0,
    source: 0,
    both: 0,
    missing: 0,
    onlyInHood: 0,
    sourceInvalid: 0,
    hoodPages: 0,
    sourcePages: 0,
  };
  const inHood = new Set<string>();
  for await (const page of options.hoodPages) {
    counts.hoodPages += 1;
    for (const item of page.items) {
      const key = hoodKey(item);
      if (key === undefined) counts.hoodUnreadable += 1;
      else inHood.add(key);
    }
    counts.hood = inHood.size;
    options.onProgress?.(counts);
  }
  const seen = new Set<string>();
  // Each (contact, reason) of a missing contact is offered once: the caller applies BLOCK_REASONS, and a
  // contact first read with a reason it does not block must still be offered with the one it does.
  const offered = new Set<string>();
  const matched = new Set<string>();
  for await (const page of options.source.pages(options.page)) {
    counts.sourcePages += 1;
    for (const entry of page.entries) {
      const n = normaliseContact(entry.contact);
      if (!n.ok) {
        counts.sourceInvalid += 1;
        continue;
      }
      const key = contactKey(n.contact);
      const first = !seen.has(key);
      if (first) {
        seen.add(key);
        counts.source += 1;
      }
      if (inHood.has(key)) {
        if (first) counts.both += 1;
        matched.add(key);
        continue;
      }
      if (first) counts.missing += 1;
      const pair = `${key}|${entry.reason}`;
      if (offered.has(pair)) continue;
      offered.add(pair);
      await options.onMissing?.(n.contact, entry);
    }
    options.onProgress?.(counts);
  }
  counts.onlyInHood = inHood.size - matched.size;
  return counts;
}

function hoodKey(item: BlockedContact): string | undefined {
  const n = normaliseContact(item.contact);
  return n.ok ? contactKey(n.contact) : undefined;
}

export interface LedgerReconcileCounts {
  /** Distinct contacts in Hood's list (readable ones). */
  hood: number;
  hoodUnreadable: number;
  /** Contacts the ledger holds as blocked. */
  ledger: number;
  both: number;
  /** Blocked in the ledger, not in Hood: the pipeline skips their opt-outs, yet Hood still contacts them. */
  missing: number;
  onlyInHood: number;
  hoodPages: number;
  ledgerPages: number;
}

export interface LedgerReconcileOptions {
  hoodPages: AsyncIterable<HoodListPage>;
  /** `contactKeys` (every key a contact may be held under) when the ledger has it, else `contactKey`. */
  ledger: Pick<Ledger, 'contactKey' | 'blockedContacts'> & Partial<Pick<Ledger, 'contactKeys'>>;
  /** Each contact the ledger holds as blocked and Hood lacks (known by key and masked form only), once. */
  onMissing?: (entry: LedgerBlockedEntry) => Promise<void> | void;
  onProgress?: (counts: LedgerReconcileCounts) => void;
}

/**
 * Hood's list against the ledger: each Hood contact is hashed with the ledger's own key (the ledger holds
 * no contact in clear, so that is the only way to match), kept as a 128-bit digest of that key; then the
 * ledger's blocked contacts are streamed page by page against the set.
 */
export async function reconcileLedger(options: LedgerReconcileOptions): Promise<LedgerReconcileCounts> {
  const counts: LedgerReconcileCounts = {
    hood: 0,
    hoodUnreadable: 0,
    ledger: 0,
    both: 0,
    missing: 0,
    onlyInHood: 0,
    hoodPages: 0,
    ledgerPages: 0,
  };
  // Ledger key digest → the Hood contact's own digest: a contact held under the key of an earlier
  // canonical form (an IDN domain as its U-label) still matches its Hood row, and counts once.
  const inHood = new Map<string, string>();
  const hoodContacts = new Set<string>();
  const keysOf = (contact: string) => options.ledger.contactKeys?.(contact) ?? [options.ledger.contactKey(contact)];
  for await (const page of options.hoodPages) {
    counts.hoodPages += 1;
    for (const item of page.items) {
      const n = normaliseContact(item.contact);
      if (!n.ok) {
        counts.hoodUnreadable += 1;
        continue;
      }
      const id = contactKey(n.contact);
      hoodContacts.add(id);
      for (const key of keysOf(n.contact)) inHood.set(contactKey(key), id);
    }
    counts.hood = hoodContacts.size;
    options.onProgress?.(counts);
  }
  const seen = new Set<string>();
  const matched = new Set<string>();
  for await (const page of options.ledger.blockedContacts()) {
    counts.ledgerPages += 1;
    for (const entry of page) {
      const key = contactKey(entry.key);
      if (seen.has(key)) continue;
      seen.add(key);
      counts.ledger += 1;
      const hood = inHood.get(key);
      if (hood !== undefined) {
        counts.both += 1;
        matched.add(hood);
      } else {
        counts.missing += 1;
        await options.onMissing?.(entry);
      }
    }
    options.onProgress?.(counts);
  }
  counts.onlyInHood = hoodContacts.size - matched.size;
  return counts;
}
