import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/start.js';
import {
  callsInLastMinute,
  countHoodCalls,
  newLiveCounts,
  observeOutcomes,
  statusSnapshot,
} from '../../dev/live-counts.js';
import type { ComponentLog } from '../../dev/file-log.js';
import { Pacer } from '../../lib/pacing/pacer.js';

// The live status line of `hood-blocker start`: it moves per record, labels totals and current depths,
// and measures its rate as Hood calls started.

const silent: ComponentLog = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, resetKeys() {} };
const depth = (visible: number, inFlight = 0, delayed = 0) => ({ visible, inFlight, delayed });

describe('start status line', () => {
  it('counts a record the moment the consumer logs its outcome, not when its batch ends', () => {
    // Prepare
    const live = newLiveCounts();
    const logger = observeOutcomes(silent, live);

    // Act
    logger.info('Blocked', { outcome: 'blocked', contact: 'j***@e***.com' });

    // Assess
    expect(live.outcomes.blocked).toBe(1);
  });

  it('ignores log lines that are not about a record', () => {
    // Prepare
    const live = newLiveCounts();
    const logger = observeOutcomes(silent, live);

    // Act
    logger.info('Invocation finished', { records: 10 });
    logger.warn('Dead-lettered', { outcome: 'dead_lettered' });

    // Assess
    expect(Object.values(live.outcomes).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('measures the rate as the Hood calls the pacer started in the last 60 seconds', async () => {
    // Prepare
    let now = 1_000_000;
    const live = newLiveCounts();
    const consumer = {
      pacer: new Pacer({ windows: [{ count: 100_000, windowMs: 60_000 }], consumers: 1, clock: () => now }),
    };
    countHoodCalls(consumer, live, () => now);
    const sleep = async (ms: number) => {
      now += ms;
    };
    const call = async () => {
      const ticket = await consumer.pacer.acquire(Number.POSITIVE_INFINITY, sleep);
      await ticket!.finish(now);
    };

    // Act: 3 calls, then 59.5 s later 2 more, then past the first three's minute.
    for (let i = 0; i < 3; i += 1) await call();
    now += 59_500;
    await call();
    await call();
    const withinMinute = callsInLastMinute(live, now);
    now += 600;
    const afterMinute = callsInLastMinute(live, now);

    // Assess
    expect([live.hoodCalls, withinMinute, afterMinute]).toEqual([5, 5, 2]);
  });

  it('labels current depths as "now" and counts since start as "total"', () => {
    // Prepare
    const live = newLiveCounts();
    live.outcomes.blocked = 7;
    live.outcomes.already_blocked = 2;
    live.outcomes.deduplicated = 1;
    live.outcomes.ignored = 4;
    live.outcomes.dead_lettered = 1;
    live.hoodCalls = 9;

    // Act
    const line = formatStatus(statusSnapshot(live, { block: depth(12, 3, 1), dlq: depth(2) }, 150, Date.now()));

    // Assess
    expect(line).toBe(
      'now: 13 queued · 3 in flight · 2 in DLQ | total: 7 blocked · 3 already · 4 ignored · 1 dead-lettered | Hood: 9 calls, 0 in the last min (limit 150/min)',
    );
  });
});
