import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRateLimits } from '../../../lib/config.js';
import { Pacer, shareWindows } from '../../../lib/pacing/pacer.js';

/** Drive a pacer on a virtual clock: each call takes `latency` ms; returns start and finish times. */
function simulate(pacer: Pacer, calls: number, latency: (i: number) => number, clock: { now: number }) {
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < calls; i += 1) {
    clock.now = pacer.nextSlot(clock.now);
    const start = clock.now;
    pacer.started(start);
    clock.now += latency(i);
    pacer.completed(clock.now);
    spans.push({ start, end: clock.now });
  }
  return spans;
}

/** Worst case count of arrivals in any fixed window of `windowMs`, for arrivals anywhere in [start, end]. */
function maxInAnyWindow(spans: { start: number; end: number }[], windowMs: number): number {
  // Adversarial: each arrival at its start; slide a window starting at every arrival.
  const starts = spans.map((s) => s.start).sort((a, b) => a - b);
  const ends = spans.map((s) => s.end).sort((a, b) => a - b);
  let worst = 0;
  for (const t of [...starts, ...ends]) {
    // Window [t, t + windowMs): arrivals that could land inside = spans overlapping it.
    const n = spans.filter((s) => s.end >= t && s.start < t + windowMs).length;
    worst = Math.max(worst, n);
  }
  return worst;
}

describe('shareWindows', () => {
  it('gives each consumer an equal whole share of every window', () => {
    // Prepare
    const windows = parseRateLimits('10/1s,150/1m');
    // Act
    const shares = shareWindows(windows, 2);
    // Assess
    expect(shares).toEqual([
      { count: 5, windowMs: 1000 },
      { count: 75, windowMs: 60_000 },
    ]);
  });

  it('stretches the window when there are more consumers than calls', () => {
    // Prepare
    const windows = parseRateLimits('1/1s');
    // Act
    const shares = shareWindows(windows, 3);
    // Assess
    expect(shares).toEqual([{ count: 1, windowMs: 3000 }]);
  });
});

describe('Pacer', () => {
  it('keeps its typical call time when a slot is given back without a request', () => {
    // Prepare: one call answered after 40 ms, then a slot given back at once.
    const pacer = new Pacer({ windows: parseRateLimits('100/10s'), consumers: 1, clock: () => 0 });
    const first = pacer.started(0);
    pacer.completed(40, undefined, first);
    const given = pacer.started(40);
    // Act
    pacer.completed(40, undefined, given, false, false);
    // Assess
    expect(pacer.typicalCallMs).toBe(40);
  });

  it('starts the first call at once', () => {
    // Prepare
    const clock = { now: 1_000_000 };
    const pacer = new Pacer({ windows: parseRateLimits('10/1s,150/1m'), consumers: 2, clock: () => clock.now });
    // Act
    const spans = simulate(pacer, 1, () => 0, clock);
    // Assess
    expect(spans[0]!.start).toBe(1_000_000);
  });

  it('spreads calls evenly at the steady share (150/min over 2 consumers: one per 800 ms)', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('10/1s,150/1m'), consumers: 2, clock: () => clock.now });
    // Act
    const spans = simulate(pacer, 5, () => 5, clock);
    // Assess: a fresh pacer starts at once, then one call every 800 ms.
    expect(spans.map((s) => s.start)).toEqual([0, 800, 1600, 2400, 3200]);
  });

  it('makes up for a call that started late instead of pushing every later call back', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('150/1m'), consumers: 2, clock: () => clock.now });
    simulate(pacer, 3, () => 5, clock); // 0, 800, 1600
    // Act: the next call is 300 ms late (fetching a batch), then calls follow as fast as allowed.
    clock.now = 2700;
    const spans = simulate(pacer, 3, () => 5, clock);
    // Assess: 2700, then back on the 800 ms grid (3200, 4000) rather than 3500, 4300.
    expect(spans.map((s) => s.start)).toEqual([2700, 3200, 4000]);
  });

  it('holds the next call until the share-th previous call finished one window ago', () => {
    // Prepare: 5/1s share; calls take 300 ms, longer than the 200 ms spacing.
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('10/1s'), consumers: 2, clock: () => clock.now });
    // Act
    const spans = simulate(pacer, 6, () => 300, clock);
    // Assess: calls 1–5 back to back (300 ms each); call 6 must wait for call 1's end (300) + 1000.
    expect(spans[5]!.start).toBe(1500);
  });

  it('never puts more than its share into any window, whatever the alignment and latency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 50, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 50 }),
        (count, consumers, windowMs, latencies) => {
          // Prepare
          const clock = { now: 0 };
          const pacer = new Pacer({ windows: [{ count, windowMs }], consumers, clock: () => clock.now });
          // Act
          const spans = simulate(pacer, 120, (i) => latencies[i % latencies.length]!, clock);
          // Assess
          const share = pacer.shares[0]!;
          expect(maxInAnyWindow(spans, share.windowMs)).toBeLessThanOrEqual(share.count);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reaches the steady limit within a latency of the ideal over a long backlog', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('10/1s,150/1m'), consumers: 2, clock: () => clock.now });
    // Act: 750 calls (10 minutes' share) with 15 ms latency.
    const spans = simulate(pacer, 750, () => 15, clock);
    // Assess: each call starts one window plus one latency after the call 75 places back, so 675
    // calls span 9 × (60 s + 15 ms): 99.97% of the steady share.
    expect(spans[749]!.start - spans[74]!.start).toBeLessThanOrEqual(9 * (60_000 + 15));
  });

  it('keeps a container handoff within one call of the share (a fresh container knows no history)', () => {
    // Prepare: container A drains at its share, then a fresh container C takes over at once.
    const windows = parseRateLimits('150/1m');
    const clock = { now: 0 };
    const a = new Pacer({ windows, consumers: 2, clock: () => clock.now });
    const spans = simulate(a, 100, () => 5, clock);
    const c = new Pacer({ windows, consumers: 2, clock: () => clock.now });
    // Act
    spans.push(...simulate(c, 100, () => 5, clock));
    // Assess
    expect(maxInAnyWindow(spans, 60_000)).toBeLessThanOrEqual(76);
  });

  it('pauses for Retry-After after a 429', () => {
    // Prepare
    const clock = { now: 5000 };
    const pacer = new Pacer({ windows: parseRateLimits('10/1s'), consumers: 1, clock: () => clock.now });
    // Act
    pacer.rateLimited(3000, clock.now);
    // Assess
    expect(pacer.nextSlot(clock.now)).toBe(8000);
  });

  it('backs off exponentially for Retry-After -1 (parallel limit) and resets on success', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('10/1s'), consumers: 1, clock: () => clock.now });
    // Act
    const first = pacer.rateLimited(undefined, 0);
    const second = pacer.rateLimited(undefined, 0);
    pacer.succeeded();
    const afterReset = pacer.rateLimited(undefined, 0);
    // Assess
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThanOrEqual(1000);
    expect(second).toBeGreaterThanOrEqual(1000);
    expect(afterReset).toBeLessThanOrEqual(1000);
  });

  it('bounds the wait for a server reset by the window the server names', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('10/100ms,150/6s'), consumers: 2, clock: () => clock.now });
    // Act: X-RateLimit-Reset is whole seconds; Limit 10 is our 100 ms window.
    pacer.started(0);
    pacer.completed(10, { limit: 10, remaining: 0, resetSeconds: 3 });
    // Assess
    expect(pacer.nextSlot(10)).toBe(110);
  });

  it('waits for the server reset when the server says nothing remains', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('150/1m'), consumers: 2, clock: () => clock.now });
    // Act
    pacer.started(0);
    pacer.completed(10, { limit: 150, remaining: 0, resetSeconds: 7 });
    // Assess: the window surely lasts 6 s more (Reset is rounded up).
    expect(pacer.nextSlot(10)).toBe(6010);
  });

  it('does not pause when the used-up window ends within the second (our own even traffic)', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('150/1m'), consumers: 2, clock: () => clock.now });
    // Act
    pacer.started(0);
    pacer.completed(10, { limit: 150, remaining: 0, resetSeconds: 1 });
    // Assess: only the even spacing.
    expect(pacer.nextSlot(10)).toBe(800);
  });

  it('ignores server headers that still leave room', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({ windows: parseRateLimits('150/1m'), consumers: 2, clock: () => clock.now });
    // Act
    pacer.started(0);
    pacer.completed(10, { limit: 150, remaining: 40, resetSeconds: 7 });
    // Assess: not the 7 s reset, only the even spacing.
    expect(pacer.nextSlot(10)).toBe(800);
  });
});

describe('Pacer: several calls in flight', () => {
  /** Starts `calls` calls as the pacer allows, each answering after `latency` ms; event-driven on a virtual clock. */
  function simulateInFlight(pacer: Pacer, calls: number, latency: number, clock: { now: number }) {
    const spans: { start: number; end: number }[] = [];
    const pending: { end: number; id: number; span: { start: number; end: number } }[] = [];
    while (spans.length < calls || pending.length > 0) {
      const slot = spans.length < calls ? pacer.nextSlot(clock.now) : Number.POSITIVE_INFINITY;
      pending.sort((a, b) => a.end - b.end);
      if (pending.length > 0 && pending[0]!.end <= slot) {
        const done = pending.shift()!;
        clock.now = Math.max(clock.now, done.end);
        pacer.completed(clock.now, undefined, done.id);
        pacer.succeeded();
        continue;
      }
      clock.now = slot;
      const id = pacer.started(clock.now);
      const span = { start: clock.now, end: clock.now + latency };
      spans.push(span);
      pending.push({ end: span.end, id, span });
    }
    return spans;
  }

  it('spaces calls by their start times, not by Hood answering (2 s latency, 800 ms spacing)', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({
      windows: parseRateLimits('10/1s,150/1m'),
      consumers: 2,
      maxInFlight: 8,
      clock: () => clock.now,
    });
    pacer.succeeded(); // Hood has answered this container before
    // Act
    const spans = simulateInFlight(pacer, 6, 2000, clock);
    // Assess: a fresh pacer starts at once, then one call every 800 ms although each takes 2 s.
    expect(spans.map((s) => s.start)).toEqual([0, 800, 1600, 2400, 3200, 4000]);
  });

  it('keeps at most its part of HOOD_MAX_IN_FLIGHT in flight (4 over 2 consumers: 2)', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({
      windows: parseRateLimits('150/1m'),
      consumers: 2,
      maxInFlight: 4,
      clock: () => clock.now,
    });
    pacer.succeeded(); // Hood has answered this container before
    // Act
    const spans = simulateInFlight(pacer, 6, 2000, clock);
    // Assess: the third call waits for the first answer (at 2000 ms).
    expect(pacer.maxInFlight).toBe(2);
    expect(spans.map((s) => s.start)).toEqual([0, 800, 2000, 2800, 4000, 4800]);
  });

  it('leaves HOOD_RATE_HEADROOM percent of every window to other clients', () => {
    // Prepare / Act
    const pacer = new Pacer({ windows: parseRateLimits('10/1s,150/1m'), consumers: 2, headroomPercent: 30 });
    // Assess: 70% of 150 is 105, 52 per consumer; 70% of 10 is 7, 3 per consumer.
    expect(pacer.shares).toEqual([
      { count: 3, windowMs: 1000 },
      { count: 52, windowMs: 60_000 },
    ]);
  });

  it('waits for the reset when the server reports only the declared headroom left', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({
      windows: parseRateLimits('150/1m'),
      consumers: 1,
      headroomPercent: 20,
      clock: () => clock.now,
    });
    const id = pacer.started(0);
    // Act: 30 of 150 left is the 20% promised to others.
    pacer.completed(10, { limit: 150, remaining: 30, resetSeconds: 12 }, id);
    // Assess: Reset 12 s (rounded up) → the window surely lasts 11 s more.
    expect(pacer.nextSlot(10)).toBe(11_010);
  });

  it('probes with one call at a time until Hood has answered properly', () => {
    // Prepare
    const clock = { now: 0 };
    const pacer = new Pacer({
      windows: parseRateLimits('1000/1s'),
      consumers: 1,
      maxInFlight: 4,
      clock: () => clock.now,
    });
    pacer.started(0);
    // Act
    const beforeSuccess = pacer.nextSlot(1);
    pacer.completed(5);
    pacer.succeeded();
    pacer.started(5);
    const afterSuccess = pacer.nextSlot(6);
    // Assess
    expect(beforeSuccess).toBe(Number.POSITIVE_INFINITY);
    expect(afterSuccess).toBe(6);
  });
});

describe('Pacer: lanes with static shares', () => {
  it('gives a bulk lane only its budget percent (10% of 150 over 2 bulk consumers: 7 each)', () => {
    // Prepare / Act
    const bulk = new Pacer({ windows: parseRateLimits('150/1m'), consumers: 2, lane: 'bulk', budgetPercent: 10 });
    const live = new Pacer({ windows: parseRateLimits('150/1m'), consumers: 2, budgetPercent: 90 });
    // Assess: 15 and 135 of 150, split by 2.
    expect([bulk.shares[0]!.count, live.shares[0]!.count]).toEqual([7, 67]);
  });
});
