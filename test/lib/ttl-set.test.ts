import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentContacts } from '../../lib/consumer/recent.js';
import { TtlSet } from '../../lib/ttl-set.js';

describe('TtlSet', () => {
  it('holds a key for less than its TTL, fractional times included', () => {
    // Prepare
    const set = new TtlSet({ maxEntries: 10, ttlMs: 1000.5 });
    set.add('a', 10.25);
    // Act
    const before = set.has('a', 1010.7);
    const at = set.has('a', 1010.75);
    // Assess
    expect([before, at]).toEqual([true, false]);
  });

  it('evicts the oldest key when full, and re-adding makes a key the newest', () => {
    // Prepare
    const set = new TtlSet({ maxEntries: 2, ttlMs: 60_000 });
    set.add('a', 0);
    set.add('b', 1);
    set.add('a', 2);
    // Act
    set.add('c', 3);
    // Assess
    expect(['a', 'b', 'c'].filter((k) => set.has(k, 4))).toEqual(['a', 'c']);
  });

  it('drops expired keys from the old end when a key is added', () => {
    // Prepare
    const set = new TtlSet({ maxEntries: 10, ttlMs: 100 });
    set.add('a', 0);
    set.add('b', 50);
    // Act
    set.add('c', 120);
    // Assess
    expect(set.size).toBe(2);
  });

  it('never holds more than maxEntries and never answers for an expired key, for any sequence of adds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'),
            stepMs: fc.double({ min: 0, max: 300, noNaN: true }),
          }),
          { maxLength: 60 },
        ),
        (maxEntries, ttlMs, adds) => {
          // Prepare
          const set = new TtlSet({ maxEntries, ttlMs });
          const addedAt = new Map<string, number>();
          let now = 0;
          for (const { key, stepMs } of adds) {
            now += stepMs;
            // Act
            set.add(key, now);
            addedAt.set(key, now);
            // Assess
            expect(set.size).toBeLessThanOrEqual(maxEntries);
          }
          for (const [key, at] of addedAt) if (now - at >= ttlMs) expect(set.has(key, now)).toBe(false);
        },
      ),
    );
  });
});

describe('RecentContacts', () => {
  it('forgets a contact once its TTL has passed on the consumer clock', () => {
    // Prepare
    let now = 0;
    const recent = new RecentContacts(5, 1000, () => now);
    recent.add('+385911234567');
    // Act
    now = 999;
    const fresh = recent.has('+385911234567');
    now = 1000;
    const stale = recent.has('+385911234567');
    // Assess
    expect([fresh, stale]).toEqual([true, false]);
  });
});
