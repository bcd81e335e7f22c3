import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetMs, TIMER_MAX_MS, waitMs, wholeSeconds } from '../../../lib/pacing/timer-ms.js';

describe('timer-ms', () => {
  it('gives AbortSignal.timeout a value it accepts for any computed budget', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (ms) => {
        // Act / Assess: the real Node API is the judge.
        expect(() => AbortSignal.timeout(budgetMs(ms))).not.toThrow();
      }),
    );
  });

  it('rounds a wait up (never early) and a budget down (never past it)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e9, noNaN: true }), (ms) => {
        // Act
        const wait = waitMs(ms);
        const budget = budgetMs(ms);
        // Assess
        expect(Number.isInteger(wait) && wait >= ms && wait - ms < 1).toBe(true);
        expect(Number.isInteger(budget) && budget <= ms && ms - budget < 1).toBe(true);
      }),
    );
  });

  it('clamps what no timer accepts: NaN and negatives wait 0, huge values wait the maximum', () => {
    // Act / Assess
    expect([waitMs(Number.NaN), waitMs(-5), waitMs(1e20)]).toEqual([0, 0, TIMER_MAX_MS]);
  });

  it('turns seconds into whole seconds within SQS bounds', () => {
    // Act / Assess
    expect([
      wholeSeconds(1.2, 900),
      wholeSeconds(Number.NaN, 900),
      wholeSeconds(-1, 900),
      wholeSeconds(5000, 900),
    ]).toEqual([2, 0, 0, 900]);
  });
});
