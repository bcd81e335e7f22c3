import { describe, expect, it } from 'vitest';
import { callBudgetNeededMs } from '../../../lib/consumer/hood-call.js';

describe('callBudgetNeededMs: the time a Hood call needs left before the deadline to be started', () => {
  it.each([
    // [request timeout, typical call time, needed]
    [10_000, undefined, 2000], // nothing answered yet: the minimum
    [10_000, 200, 2000], // fast calls: the minimum
    [10_000, 2000, 3000], // 1.5 × typical once that is over the minimum
    [10_000, 4000, 6000],
    [10_000, 1333.4, 2001], // whole milliseconds, rounded up
    [10_000, 9000, 10_000], // never more than the request timeout
    [1500, undefined, 1500], // a timeout under the minimum bounds it too
  ])('timeout %s ms, typical %s ms → %s ms', (timeoutMs, typicalMs, neededMs) => {
    // Act
    const needed = callBudgetNeededMs(timeoutMs, typicalMs);
    // Assess
    expect(needed).toBe(neededMs);
  });
});
