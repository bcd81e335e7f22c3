import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRateLimits } from '../../../lib/config.js';
import { LedgerRateLimiter } from '../../../lib/pacing/ledger-limiter.js';
import { type LocalTable, startLocalTable } from '../../helpers/dynalite.js';
import { VirtualTime } from '../../helpers/virtual-time.js';

let local: LocalTable;
beforeEach(async () => {
  local = await startLocalTable('ledger');
});
afterEach(async () => {
  await local.stop();
});

/**
 * DynamoDB (dynalite) answers over real I/O while the limiter's clock and sleeps are virtual: the run jumps to the
 * next wake-up only once no request is pending, and it ends when no request is pending and no sleep is scheduled:
 * whoever still waits then has stalled (waits for an event that never comes).
 */
function harness(client: LocalTable['client']) {
  const vt = new VirtualTime();
  const pending = new Set<Promise<unknown>>();
  let sleeping = 0;
  const dynamo = {
    send: (command: never) => {
      const p = client.send(command);
      pending.add(p);
      void p.finally(() => pending.delete(p)).catch(() => undefined);
      return p;
    },
  };
  const sleep = (ms: number): Promise<void> => {
    sleeping += 1;
    return vt.sleep(ms).finally(() => (sleeping -= 1));
  };
  const runUntil = async (done: () => boolean): Promise<boolean> => {
    for (;;) {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await new Promise<void>((r) => setImmediate(r));
      if (done()) return true;
      if (pending.size > 0) continue;
      if (sleeping === 0) return false;
      await vt.run(() => false, 1);
    }
  };
  return { vt, dynamo, sleep, runUntil };
}

describe('LedgerRateLimiter with answers as instant as shadow mode gives them', () => {
  it('serves every caller of a batch when each call ends in the millisecond it started', async () => {
    // However many microtask turns the answer takes (0 to 16), it may land while the limiter plans its next
    // step: a fresh container probes with one call at a time and waits for that call's answer.
    const stalled: number[] = [];
    for (let turns = 0; turns <= 16; turns += 1) {
      // Prepare: a fresh container (probing until Hood answers), three callers in one batch, one budget each.
      const { vt, dynamo, sleep, runUntil } = harness(local.client);
      const gate = new LedgerRateLimiter({
        dynamo,
        table: local.table,
        key: `instant-${turns}`,
        windows: parseRateLimits('10/1s,150/60s'),
        clock: vt.clock,
      });
      let served = 0;
      const caller = async () => {
        const ticket = await gate.acquire(vt.now + 60_000, sleep);
        if (ticket === undefined) return;
        served += 1;
        for (let i = 0; i < turns; i += 1) await Promise.resolve(); // the dry-run Hood: no I/O, no time
        gate.succeeded();
        await ticket.finish(vt.clock());
      };
      // Act
      const all = Promise.all([caller(), caller(), caller()]);
      const finished = await runUntil(() => served === 3);
      // The limiter writes its last ends before the next run starts (and before the table stops).
      await runUntil(() => false);
      if (finished) await all;
      else stalled.push(turns);
    }
    // Assess
    expect(stalled).toEqual([]);
  });
});
