import { describe, expect, it } from 'vitest';
import { reconcile } from '../../lib/import/reconcile.js';
import { runImport } from '../../lib/import/run.js';
import type { SuppressionEntry } from '../../lib/import/types.js';
import type { ImportSource, SourcePage } from '../../lib/import/types.js';
import type { NormalisedMessage } from '../../lib/queue/message.js';
import type { Reason } from '../../lib/types.js';

/** A provider whose lists are read in order (SendGrid: bounces, then spam_reports, then unsubscribes). */
function source(pages: SourcePage[]): ImportSource {
  return {
    provider: 'sendgrid',
    lists: pages.map((p) => p.list),
    defaultLists: pages.map((p) => p.list),
    requests: 0,
    async *pages() {
      yield* pages;
    },
  };
}

describe('import: a contact on two lists', () => {
  it('queues the complaint even when the first list it was read from holds a reason BLOCK_REASONS does not block', async () => {
    // Prepare: an operator who blocks only explicit opt-outs (no hard_bounce); jane bounced once and later complained.
    const blockReasons = new Set<Reason>(['complaint', 'unsubscribe', 'sms_opt_out', 'manual']);
    const pages: SourcePage[] = [
      {
        list: 'bounces',
        entries: [{ contact: 'jane@example.com', reason: 'hard_bounce', list: 'bounces', providerReason: '550 5.1.1' }],
        skipped: {},
        cursor: 'spam_reports',
      },
      {
        list: 'spam_reports',
        entries: [
          { contact: 'jane@example.com', reason: 'complaint', list: 'spam_reports', providerReason: 'spam report' },
        ],
        skipped: {},
        cursor: undefined,
      },
    ];
    const sent: NormalisedMessage[] = [];

    // Act
    const counts = await runImport({
      source: source(pages),
      page: { types: ['bounces', 'spam_reports'], until: new Date() },
      policy: { blockReasons },
      send: async (m) => void sent.push(...m),
    });

    // Assess: the complaint is an opt-out the operator blocks; it must be on the queue.
    expect(sent.map((m) => [m.contact, m.reason])).toContainEqual(['jane@example.com', 'complaint']);
    expect(counts.queued).toBe(1);
  });

  it('reconcile --enqueue-missing offers the complaint, not only the first (unblockable) entry', async () => {
    // Prepare: as above; Hood has nothing yet. cli/reconcile.ts queues a missing entry only if BLOCK_REASONS has its reason.
    const blockReasons = new Set<Reason>(['complaint', 'unsubscribe', 'sms_opt_out', 'manual']);
    const pages: SourcePage[] = [
      {
        list: 'bounces',
        entries: [{ contact: 'jane@example.com', reason: 'hard_bounce', list: 'bounces', providerReason: '550 5.1.1' }],
        skipped: {},
        cursor: 'spam_reports',
      },
      {
        list: 'spam_reports',
        entries: [
          { contact: 'jane@example.com', reason: 'complaint', list: 'spam_reports', providerReason: 'spam report' },
        ],
        skipped: {},
        cursor: undefined,
      },
    ];
    const missing: SuppressionEntry[] = [];

    // Act
    await reconcile({
      hoodPages: (async function* () {})(),
      source: source(pages),
      page: { types: ['bounces', 'spam_reports'], until: new Date() },
      onMissing: (_c, entry) => void missing.push(entry),
    });

    // Assess
    expect(missing.filter((e) => blockReasons.has(e.reason)).map((e) => e.reason)).toEqual(['complaint']);
  });
});
