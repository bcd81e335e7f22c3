import { describe, expect, it } from 'vitest';
import { type Plan, type PlanInput, type PlannerConfig, plan } from '../../../lib/pacing/planner.js';
import { EMPTY_ITEM, type RateItem, type StoredCall } from '../../../lib/pacing/rate-item.js';

/** Virtual time: every row is at T (ms); calls are placed relative to it. */
const T = 1_700_000_000_000;

const config: PlannerConfig = {
  windows: [{ count: 3, windowMs: 10_000 }],
  lane: 'live',
  instance: 'me',
  requestTimeoutMs: 5000,
  pollMs: 100,
  off: new Set(),
  consumers: 8,
};

function call(id: string, start: number, end?: number, lane: 'live' | 'bulk' = 'live'): StoredCall {
  return { id, start: T + start, deadline: T + start + 5000, end: end === undefined ? undefined : T + end, lane };
}

function item(calls: StoredCall[], extra: Partial<RateItem> = {}): RateItem {
  return { ...EMPTY_ITEM, exists: true, version: calls.length, calls, seen: { N: String(calls.length) }, ...extra };
}

function input(extra: Partial<PlanInput> = {}): PlanInput {
  return {
    item: item([]),
    fresh: true,
    ageMs: 0,
    unwrittenEnds: 0,
    replaceable: [],
    waiters: [T + 60_000],
    now: T,
    cap: 4,
    pausedUntil: 0,
    healthy: true,
    localInFlight: 0,
    typicalCallMs: undefined,
    claimMs: undefined,
    contention: 0,
    random: 0,
    ...extra,
  };
}

const rows: {
  name: string;
  config?: Partial<PlannerConfig>;
  input: Partial<PlanInput>;
  expected: Partial<Plan> & { kind: Plan['kind'] };
}[] = [
  { name: 'nobody waiting: nothing to serve', input: { waiters: [] }, expected: { kind: 'give-up' } },
  {
    name: 'an empty item: one claim serves every caller up to the room',
    input: { waiters: [T + 1, T + 1, T + 1] },
    expected: { kind: 'claim', n: 3, room: 3 },
  },
  {
    name: 'the room is bounded by the learned cap',
    input: { cap: 2, waiters: [T + 1, T + 1, T + 1] },
    expected: { kind: 'claim', n: 2, room: 2, fillsCap: true },
  },
  {
    name: 'a view that is not current and shows a slot now: claim on it (the condition makes it exact)',
    input: { fresh: false, ageMs: 500 },
    expected: { kind: 'claim' },
  },
  {
    name: 'a view older than the longest window: read first',
    input: { fresh: false, ageMs: 10_001 },
    expected: { kind: 'read' },
  },
  {
    name: 'a view that is not current at the cap: read (only the item shows other containers’ answers)',
    input: { fresh: false, cap: 1, item: item([call('a.1', -10)]) },
    expected: { kind: 'read' },
  },
  {
    name: 'a view that is not current and shows a later slot: sleep until it without reading',
    input: {
      fresh: false,
      item: item([call('me.1', -3000, -2900), call('me.2', -2000, -1900), call('me.3', -1000, -900)]),
    },
    expected: { kind: 'wait', ms: 10_000 - 2900 },
  },
  {
    name: 'the window is full: wait until the third largest end plus the window',
    input: { item: item([call('me.1', -3000, -2900), call('me.2', -2000, -1900), call('me.3', -1000, -900)]) },
    expected: { kind: 'wait', ms: 7100 },
  },
  {
    name: 'the slot comes after the first caller’s latest start: give it up',
    input: {
      waiters: [T + 5000],
      item: item([call('a.1', -3000, -2900), call('a.2', -2000, -1900), call('a.3', -1000, -900)]),
    },
    expected: { kind: 'give-up' },
  },
  {
    name: 'at the cap with time left: poll for an answer',
    input: { cap: 1, item: item([call('a.1', -10)]) },
    expected: { kind: 'wait' },
  },
  {
    name: 'at the cap with a call of ours in flight: wait for its answer (it wakes us), no reads meanwhile',
    input: { cap: 1, localInFlight: 1, item: item([call('me.1', -10)]) },
    expected: { kind: 'wait', ms: 60_000, atCap: true },
  },
  {
    name: 'at the cap with none of ours in flight, after many reads that found it full: read every few calls’ time',
    input: { cap: 1, contention: 8, typicalCallMs: 100, item: item([call('a.1', -10)]) },
    // Four calls' time (400 ms), times 0.5 + random (0 here).
    expected: { kind: 'wait', ms: 200, atCap: true },
  },
  {
    name: 'reads at a full cap are never further apart than the sustained rate takes for ten calls',
    config: { windows: [{ count: 150, windowMs: 60_000 }] },
    input: { cap: 1, contention: 8, typicalCallMs: 4000, item: item([call('a.1', -3990)]) },
    // Four calls' time would be 16 s; ten calls at 150/min take 4 s (times 0.5 + random, 0 here).
    expected: { kind: 'wait', ms: 2000, atCap: true },
  },
  {
    name: 'containers cannot outnumber the cap: read a claim’s time after another container’s call is expected to end',
    config: { consumers: 2 },
    input: {
      cap: 2,
      localInFlight: 1,
      typicalCallMs: 2000,
      claimMs: 10,
      item: item([call('me.1', -1900), call('a.1', -500)]),
    },
    // a.1 is expected to end at +1500 (our me.1 at +100 wakes us by its answer); then 10 ms for its end's write.
    expected: { kind: 'wait', ms: 1510, atCap: true },
  },
  {
    name: 'containers cannot outnumber the cap, none of ours in flight: the next of the others’ calls, not the oldest',
    config: { consumers: 2 },
    input: {
      cap: 2,
      contention: 8,
      typicalCallMs: 2000,
      claimMs: 10,
      item: item([call('a.1', -1000), call('b.1', -1500)]),
    },
    expected: { kind: 'wait', ms: 510, atCap: true },
  },
  {
    name: 'containers cannot outnumber the cap, two others hold calls: one of their next two ends, picked at random',
    config: { consumers: 3 },
    input: {
      cap: 3,
      random: 0.75,
      typicalCallMs: 2000,
      claimMs: 10,
      item: item([call('a.1', -1000), call('b.1', -1500), call('b.2', -100)]),
    },
    // Ends at +500 (b.1), +1000 (a.1), +1900 (b.2); 2 others → index ⌊2 × 0.75⌋ = 1: +1000, then 10 × 1.75 ms.
    expected: { kind: 'wait', ms: 1018, atCap: true },
  },
  {
    name: 'containers cannot outnumber the cap and the others’ calls are late: widening steps',
    config: { consumers: 2 },
    input: { cap: 1, contention: 8, typicalCallMs: 100, item: item([call('a.1', -200)]) },
    // Four calls' time (400 ms), times 0.5 + random (0 here).
    expected: { kind: 'wait', ms: 200, atCap: true },
  },
  {
    name: 'a window slot: sleep until it (a little late at random)',
    input: {
      random: 0.75,
      typicalCallMs: 100,
      item: item([call('a.1', -3000, -2900), call('b.1', -2000, -1900), call('a.2', -1000, -900)]),
    },
    // 3 per 10 s: the third-latest end (-2900) + 10 s; 0.75 × 20 ms of jitter.
    expected: { kind: 'wait', ms: 7115 },
  },
  {
    name: 'a window slot after claims lost: one of the next slots, each counted as taken (spread-turns)',
    input: {
      random: 0.75,
      contention: 2,
      typicalCallMs: 100,
      item: item([call('a.1', -3000, -2900), call('b.1', -2000, -1900), call('a.2', -1000, -900)]),
    },
    // 3 containers active, 2 lost claims: turn ⌊0.75 × min(3, 4)⌋ = 2 → slots +7100, +8100, then +9100.
    expected: { kind: 'wait', ms: 9115 },
  },
  {
    name: 'a window slot after claims lost, spread-turns off: the next slot',
    config: { off: new Set(['spread-turns'] as const) },
    input: {
      random: 0.75,
      contention: 2,
      typicalCallMs: 100,
      item: item([call('a.1', -3000, -2900), call('b.1', -2000, -1900), call('a.2', -1000, -900)]),
    },
    expected: { kind: 'wait', ms: 7115 },
  },
  {
    name: 'at the cap and the latest start reached: give up',
    input: { cap: 1, waiters: [T], item: item([call('a.1', -10)]) },
    expected: { kind: 'give-up' },
  },
  {
    name: 'probing after a failure: one call of ours at a time',
    input: { healthy: false, localInFlight: 1 },
    expected: { kind: 'wait', ms: Number.POSITIVE_INFINITY },
  },
  {
    name: 'probing with none of ours in flight: claim one only',
    input: { healthy: false, waiters: [T + 1, T + 1] },
    expected: { kind: 'claim', n: 1 },
  },
  { name: 'a 429 pause: wait it out', input: { pausedUntil: T + 250 }, expected: { kind: 'wait', ms: 250 } },
  {
    name: 'bulk stands back while a live caller waits',
    config: { lane: 'bulk' },
    input: { item: item([], { liveWaitUntil: T + 400 }) },
    expected: { kind: 'wait', ms: 400 },
  },
  {
    name: 'a live caller waiting beside bulk traffic marks the item',
    input: {
      item: item([
        call('b.1', -3000, -2900, 'bulk'),
        call('b.2', -2000, -1900, 'bulk'),
        call('b.3', -1000, -900, 'bulk'),
      ]),
    },
    expected: { kind: 'wait', liveWaitingUntil: T + 7100 },
  },
  {
    name: 'two containers claiming: each takes half the room',
    config: { windows: [{ count: 10, windowMs: 10_000 }] },
    input: { waiters: [T + 1, T + 1, T + 1, T + 1], item: item([call('me.1', -900, -800), call('x.1', -1000, -900)]) },
    expected: { kind: 'claim', n: 2, room: 4 },
  },
  {
    name: 'a caller whose latest start has passed does not ride along',
    input: { now: T + 10, waiters: [T + 100, T + 5] },
    expected: { kind: 'claim', n: 1 },
  },
  {
    name: 'our answered call at the cap: replace it, the room counting the windows only',
    config: { windows: [{ count: 100, windowMs: 1000 }] },
    input: {
      cap: 2,
      unwrittenEnds: 1,
      replaceable: ['me.1'],
      waiters: [T + 1, T + 1],
      item: item([call('me.1', -900, -10), call('x.1', -500)]),
    },
    expected: { kind: 'claim', n: 1, replaced: ['me.1'], room: 98 },
  },
  {
    name: 'the room of a replacement stays under the step-back bump (a step back since still refuses it)',
    config: { windows: [{ count: 1000, windowMs: 1000 }] },
    input: {
      cap: 2,
      unwrittenEnds: 1,
      replaceable: ['me.1'],
      item: item([call('me.1', -900, -10), call('x.1', -500)]),
    },
    expected: { kind: 'claim', n: 1, replaced: ['me.1'], room: 100 },
  },
  {
    name: 'our own freed slot is not stood back from for containers ahead in line',
    config: { windows: [{ count: 100, windowMs: 1000 }] },
    input: {
      cap: 3,
      unwrittenEnds: 1,
      replaceable: ['me.1'],
      item: item([call('x.1', -3000, -2900), call('y.1', -2000), call('z.1', -1500), call('me.1', -900, -10)]),
    },
    expected: { kind: 'claim', n: 1, replaced: ['me.1'] },
  },
  {
    name: 'bulk does not replace (live traffic’s reserve of the cap is not checked by a replacement)',
    config: { lane: 'bulk', windows: [{ count: 100, windowMs: 1000 }] },
    input: {
      cap: 2,
      unwrittenEnds: 1,
      replaceable: ['me.1'],
      item: item([call('me.1', -900, -10), call('x.1', -500)]),
    },
    expected: { kind: 'claim', n: 1, replaced: [], room: 1 },
  },
  {
    name: 'the item shows more in flight than the cap (a step back): no replacement until calls end',
    config: { windows: [{ count: 100, windowMs: 1000 }] },
    input: {
      cap: 1,
      unwrittenEnds: 1,
      replaceable: ['me.1'],
      item: item([call('me.1', -900, -10), call('x.1', -500)]),
    },
    expected: { kind: 'wait' },
  },
  {
    name: 'calls that no longer bound anything are dropped',
    input: { item: item([call('a.1', -30_000, -29_000), call('a.2', -3000, -2900)]) },
    expected: { kind: 'claim', drop: ['a.1'] },
  },
];

describe('plan (pure, virtual time)', () => {
  it.each(rows)('$name', ({ config: extra, input: given, expected }) => {
    // Prepare
    const c = { ...config, ...extra };
    // Act
    const got = plan(c, input(given));
    // Assess
    expect(got).toMatchObject(expected);
  });

  it('never claims more than the room, whatever the item, waiters and cap', () => {
    for (let cap = 1; cap <= 6; cap += 1) {
      for (let inFlight = 0; inFlight <= 6; inFlight += 1) {
        // Prepare
        const calls = Array.from({ length: inFlight }, (_, i) => call(`o.${i}`, -i - 1));
        // Act
        const got = plan(
          { ...config, windows: [{ count: 100, windowMs: 1000 }] },
          input({
            cap,
            item: item(calls),
            waiters: Array.from({ length: 8 }, () => T + 60_000),
          }),
        );
        // Assess
        if (got.kind === 'claim') expect(got.n).toBeLessThanOrEqual(Math.max(0, cap - inFlight));
        else expect(inFlight).toBeGreaterThanOrEqual(cap);
      }
    }
  });
});
