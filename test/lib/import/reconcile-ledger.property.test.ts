import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HoodListPage } from '../../../lib/import/hood-list.js';
import { reconcileLedger } from '../../../lib/import/reconcile.js';
import { MemoryLedger } from '../../../lib/ledger/index.js';

const email = fc.integer({ min: 0, max: 60 }).map((i) => `person${i}@example.com`);

async function* pages(contacts: readonly string[], size: number): AsyncGenerator<HoodListPage> {
  for (let i = 0, page = 1; i === 0 || i < contacts.length; i += size, page += 1) {
    yield {
      page,
      total: contacts.length,
      items: contacts.slice(i, i + size).map((contact, n) => ({ id: String(i + n + 1), contact })),
    };
  }
}

describe('reconcileLedger', () => {
  it('counts both, missing and only-in-Hood as the set differences, whatever the lists and page sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(email, { maxLength: 40 }),
        fc.array(email, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (inHood, inLedger, size) => {
          // Prepare
          const ledger = new MemoryLedger({ blockedDays: 30, historyDays: 30 });
          for (const c of inLedger)
            await ledger.markBlocked(c, {
              event: { at: '2026-01-01T00:00:00Z', source: 't', reason: 'unsubscribe', outcome: 'blocked' },
            });
          const missing: string[] = [];
          // Act
          const counts = await reconcileLedger({
            hoodPages: pages(inHood, size),
            ledger,
            onMissing: (e) => void missing.push(e.key),
          });
          // Assess
          const hood = new Set(inHood);
          const led = new Set(inLedger);
          expect(counts).toMatchObject({
            hood: hood.size,
            ledger: led.size,
            both: [...led].filter((c) => hood.has(c)).length,
            missing: [...led].filter((c) => !hood.has(c)).length,
            onlyInHood: [...hood].filter((c) => !led.has(c)).length,
          });
          expect(missing.sort()).toEqual(
            [...led]
              .filter((c) => !hood.has(c))
              .map((c) => ledger.contactKey(c))
              .sort(),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
