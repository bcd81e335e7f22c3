import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/start.js';
import type { ComponentLog } from '../../dev/file-log.js';
import { newLiveCounts, observeOutcomes, statusSnapshot } from '../../dev/live-counts.js';

// Honest local numbers (the status line of `hood-blocker start`): the bulk queue is counted, and shadow mode
// says "would block", never "blocked".

const silent: ComponentLog = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {}, resetKeys() {} };
const depth = (visible: number, inFlight = 0, delayed = 0) => ({ visible, inFlight, delayed });

describe('start status line numbers', () => {
  it('counts the bulk queue and its dead-letter queue', () => {
    // Prepare
    const live = newLiveCounts();

    // Act
    const s = statusSnapshot(
      live,
      { block: depth(1), dlq: depth(0), bulk: depth(40, 10, 2), bulkDlq: depth(3) },
      150,
      Date.now(),
    );

    // Assess
    expect(s.now).toMatchObject({ bulkQueued: 42, bulkInFlight: 10, bulkDeadLetterQueue: 3 });
    expect(formatStatus(s)).toContain('bulk: 42 queued, 10 in flight, 3 in DLQ');
  });

  it('in shadow mode says "would block" and never "blocked"', () => {
    // Prepare: the consumer logs a would-be block as `dry_run_blocked`, then the record as `blocked`.
    const live = newLiveCounts();
    const logger = observeOutcomes(silent, live);
    for (let i = 0; i < 3; i += 1) {
      logger.info('Shadow mode: would have blocked', { outcome: 'dry_run_blocked' });
      logger.info('Blocked', { outcome: 'blocked' });
    }

    // Act
    const s = statusSnapshot(live, { block: depth(0), dlq: depth(0) }, 150, Date.now(), { dryRun: true });
    const line = formatStatus(s);

    // Assess
    expect(s.totals).toMatchObject({ blocked: 0, wouldBlock: 3 });
    expect(line).toContain('3 would block');
    expect(line).not.toMatch(/\bblocked\b/u);
  });
});
