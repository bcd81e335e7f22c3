import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlockedContact } from '../../lib/hood/types.js';
import { reconcile } from '../../lib/import/reconcile.js';
import { runImport } from '../../lib/import/run.js';
import type { ImportSource, SourcePage } from '../../lib/import/types.js';
import type { NormalisedMessage } from '../../lib/queue/message.js';
import type { Reason } from '../../lib/types.js';

/**
 * runImport and reconcile identify a contact by the first 48 bits of its SHA-256 and treat equal keys as
 * the same person. Two different addresses share a key with probability ≈ n²/2⁴⁹: ≈ 0.2 % for a 1 M-entry
 * suppression list, ≈ 16 % at 10 M. The second one is then counted as a "duplicate" (import) or as
 * "already in Hood" (reconcile) and never queued: a lost opt-out. This pair was found by a birthday search
 * over 41 M generated addresses (5 collisions), i.e. it is not contrived.
 */
const A = 'user2897085@example.com';
const B = 'user29589228@example.com';
const key48 = (c: string) => createHash('sha256').update(c).digest().readUIntBE(0, 6);

function source(pages: SourcePage[]): ImportSource {
  return {
    provider: 'sendgrid',
    lists: ['spam_reports'],
    defaultLists: ['spam_reports'],
    requests: 0,
    async *pages() {
      yield* pages;
    },
  };
}
const complaint = (contact: string) => ({
  contact,
  reason: 'complaint' as Reason,
  list: 'spam_reports',
  providerReason: 'spam report',
});

describe('import/reconcile: two different contacts', () => {
  it('are two contacts even when their 48-bit keys are equal (precondition)', () => {
    expect(A).not.toBe(B);
    expect(key48(A)).toBe(key48(B));
  });

  it('import queues both', async () => {
    // Prepare
    const sent: NormalisedMessage[] = [];
    const pages: SourcePage[] = [
      { list: 'spam_reports', entries: [complaint(A), complaint(B)], skipped: {}, cursor: undefined },
    ];
    // Act
    await runImport({
      source: source(pages),
      page: { types: ['spam_reports'], until: new Date() },
      policy: { blockReasons: new Set<Reason>(['complaint']) },
      send: async (m) => void sent.push(...m),
    });
    // Assess
    expect(sent.map((m) => m.contact).sort()).toEqual([A, B].sort());
  });

  it('reconcile reports the one Hood lacks as missing', async () => {
    // Prepare: Hood has A only; the source lists B.
    const hoodItem = { id: '1', contact: A, type: 'email' } as unknown as BlockedContact;
    const missing: string[] = [];
    // Act
    await reconcile({
      hoodPages: (async function* () {
        yield { items: [hoodItem] } as never;
      })(),
      source: source([{ list: 'spam_reports', entries: [complaint(B)], skipped: {}, cursor: undefined }]),
      page: { types: ['spam_reports'], until: new Date() },
      onMissing: (contact) => void missing.push(contact),
    });
    // Assess
    expect(missing).toEqual([B]);
  });
});
