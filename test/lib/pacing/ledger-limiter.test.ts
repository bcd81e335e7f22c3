import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRateLimits } from '../../../lib/config.js';
import { LedgerRateLimiter } from '../../../lib/pacing/ledger-limiter.js';
import type { CallTicket } from '../../../lib/pacing/pacer.js';
import { type LocalTable, startLocalTable } from '../../helpers/dynalite.js';

let local: LocalTable;
beforeEach(async () => {
  local = await startLocalTable('ledger');
});
afterEach(async () => {
  await local.stop();
});

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => Date.now();

function limiter(spec: string, extra: Partial<ConstructorParameters<typeof LedgerRateLimiter>[0]> = {}) {
  const l = new LedgerRateLimiter({
    dynamo: local.client,
    table: local.table,
    windows: parseRateLimits(spec),
    clockSkewMs: 0,
    pollMs: 5,
    ...extra,
  });
  l.succeeded(); // a container whose Hood has answered before: full parallelism
  return l;
}

/** Arrivals can be anywhere in [start, end]: the most calls any interval of `windowMs` may hold. */
function worstWindow(spans: { start: number; end: number }[], windowMs: number): number {
  let worst = 0;
  for (const a of spans) {
    // Interval [t, t + windowMs) with t = a.end: every call with start < t + windowMs and end ≥ t can be in it.
    const t = a.end;
    worst = Math.max(worst, spans.filter((s) => s.start < t + windowMs && s.end >= t).length);
  }
  return worst;
}

/** The most calls in flight at once (a call is in flight from its start to its answer). */
function mostInFlight(spans: { start: number; end: number }[]): number {
  return Math.max(0, ...spans.map((a) => spans.filter((s) => s.start <= a.start && s.end > a.start).length));
}

describe('LedgerRateLimiter', () => {
  it('lets a fresh container see the calls its predecessor made (no slot left in the window)', async () => {
    // Prepare: container A uses the whole 3/10s window.
    const a = limiter('3/10s');
    for (let i = 0; i < 3; i += 1) {
      const ticket = (await a.acquire(now() + 1000, realSleep))!;
      await ticket.finish(now());
    }
    const fresh = limiter('3/10s');
    // Act
    const ticket = await fresh.acquire(now() + 50, realSleep);
    // Assess
    expect(ticket).toBeUndefined();
  });

  it('keeps its typical call time when a slot is given back without a request', async () => {
    // Prepare: one call answered after 40 ms (virtual clock), then a slot given back at once.
    let t = 1_700_000_000_000;
    const l = limiter('100/10s', { clock: () => t });
    const answered = (await l.acquire(t + 1000, realSleep))!;
    t += 40;
    await answered.finish(t);
    const given = (await l.acquire(t + 1000, realSleep))!;
    // Act
    await given.finish(t, undefined, false, false);
    // Assess
    expect(l.typicalCallMs).toBe(40);
  });

  it('writes each end once when an answer comes in while the line is still being served', async () => {
    // Prepare: count the end writes that reach DynamoDB.
    let endWrites = 0;
    const dynamo = {
      send: (command: { input: { UpdateExpression?: string } }) => {
        if (/^SET #c\.#n0\.#e = :e0/.test(command.input.UpdateExpression ?? '')) endWrites += 1;
        return local.client.send(command as never);
      },
    };
    const l = limiter('100/10s', { dynamo: dynamo as never });
    // Act: each ticket is finished as soon as it is handed out (a slot given back), twice.
    for (let i = 0; i < 2; i += 1) {
      const ticket = (await l.acquire(now() + 1000, realSleep))!;
      await ticket.finish(now(), undefined, false, false);
    }
    await realSleep(50);
    // Assess
    expect(endWrites).toBe(2);
  });

  it('bulk leaves the live reserve of every window untouched', async () => {
    // Prepare: 10 per 10 s; bulk keeps 10% (one call) for live traffic.
    const bulk = limiter('10/10s', { lane: 'bulk' });
    const live = limiter('10/10s');
    const bulkTickets: (CallTicket | undefined)[] = [];
    // Act
    for (let i = 0; i < 10; i += 1) {
      const ticket = await bulk.acquire(now() + 200, realSleep);
      await ticket?.finish(now());
      bulkTickets.push(ticket);
    }
    const liveTicket = await live.acquire(now() + 200, realSleep);
    // Assess
    expect(bulkTickets.filter(Boolean)).toHaveLength(9);
    expect(liveTicket).toBeDefined();
  });

  it('bulk takes no slot while a live caller is waiting for one', async () => {
    // Prepare: the window is full (3 live calls); a live caller starts waiting for the next slot.
    const live = limiter('3/400ms');
    for (let i = 0; i < 3; i += 1) await (await live.acquire(now() + 1000, realSleep))!.finish(now());
    const waitingLive = live.acquire(now() + 5000, realSleep);
    await realSleep(30);
    const bulk = limiter('3/400ms', { lane: 'bulk' });
    // Act: bulk asks for a slot within the window the live caller is waiting for.
    const bulkTicket = await bulk.acquire(now() + 200, realSleep);
    // Assess
    expect(bulkTicket).toBeUndefined();
    expect(await waitingLive).toBeDefined();
  });

  it('bounds the calls in flight across all containers (HOOD_MAX_IN_FLIGHT)', async () => {
    // Prepare: two containers, cap 2.
    const a = limiter('100/1s', { maxInFlight: 2 });
    const b = limiter('100/1s', { maxInFlight: 2 });
    expect(await a.acquire(now() + 1000, realSleep)).toBeDefined();
    expect(await b.acquire(now() + 1000, realSleep)).toBeDefined();
    // Act: a third call, anywhere, within the next 50 ms
    const third = await a.acquire(now() + 50, realSleep);
    // Assess
    expect(third).toBeUndefined();
    expect(await b.inFlightNow()).toBe(2);
  });

  it('sleeps until a window slot instead of polling the item while it waits', async () => {
    // Prepare: container A fills a 2/300ms window; B's reads of the rate item are counted.
    const a = limiter('2/300ms');
    for (let i = 0; i < 2; i += 1) await (await a.acquire(now() + 1000, realSleep))!.finish(now());
    let reads = 0;
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'GetItemCommand') reads += 1;
        return local.client.send(command as never);
      },
    };
    const b = limiter('2/300ms', { dynamo: counting as never });
    // Act
    const ticket = await b.acquire(now() + 5000, realSleep);
    // Assess: one read finds the window full, the next (at the slot) claims it — a conflict at most adds one.
    expect(ticket).toBeDefined();
    expect(reads).toBeLessThanOrEqual(3);
  });

  it('claims for every caller queued behind the first in one write when they may all start now', async () => {
    // Prepare: a fresh item, room for 4 (cap 4); writes of the rate item are counted.
    let writes = 0;
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        if (command.constructor.name !== 'GetItemCommand') writes += 1;
        return local.client.send(command as never);
      },
    };
    const gate = limiter('10/1s', { dynamo: counting as never, maxInFlight: 4 });
    // Act
    const tickets = await Promise.all(Array.from({ length: 4 }, () => gate.acquire(now() + 1000, realSleep)));
    // Assess
    expect(tickets.every(Boolean)).toBe(true);
    expect(writes).toBe(1);
    expect(await gate.inFlightNow()).toBe(4);
  });

  it('lets two containers that read the same item both claim when their calls fit the room together', async () => {
    // Prepare: both containers' reads are held until both have read, so both claim from the same version.
    let held: (() => void)[] = [];
    let reads = 0;
    let failed = 0;
    const barrier = {
      send: async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'GetItemCommand' && (reads += 1) <= 2) {
          const out = await local.client.send(command as never);
          await new Promise<void>((release) => {
            held.push(release);
            if (held.length === 2) {
              for (const r of held) r();
              held = [];
            }
          });
          return out;
        }
        return local.client.send(command as never).catch((error: Error) => {
          if (error.name === 'ConditionalCheckFailedException') failed += 1;
          throw error;
        });
      },
    };
    const seed = limiter('10/1s', { maxInFlight: 4 });
    await (await seed.acquire(now() + 1000, realSleep))!.finish(now()); // the item exists
    const a = limiter('10/1s', { dynamo: barrier as never, maxInFlight: 4 });
    const b = limiter('10/1s', { dynamo: barrier as never, maxInFlight: 4 });
    // Act
    const [ta, tb] = await Promise.all([a.acquire(now() + 1000, realSleep), b.acquire(now() + 1000, realSleep)]);
    // Assess
    expect(ta).toBeDefined();
    expect(tb).toBeDefined();
    expect(failed).toBe(0);
  });

  it('uses the item DynamoDB returns with a failed claim instead of reading it again', async () => {
    // Prepare: another container claims between our read and our write; like DynamoDB (and unlike the local
    // one), the failure carries the item as it is (ReturnValuesOnConditionCheckFailure: ALL_OLD).
    const other = limiter('2/10s', { maxInFlight: 4 });
    let readsAfterRace = 0;
    let raced = false;
    const edge = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name === 'GetItemCommand' && raced) readsAfterRace += 1;
        if (
          command.constructor.name === 'UpdateItemCommand' &&
          command.input.ConditionExpression === '#v <= :v' &&
          !raced
        ) {
          raced = true;
          await (await other.acquire(now() + 1000, realSleep))!.finish(now());
          try {
            return await local.client.send(command as never);
          } catch (error) {
            const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
            const current = await local.client.send(
              new GetItemCommand({
                TableName: local.table,
                Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } },
                ConsistentRead: true,
              }),
            );
            throw Object.assign(error as Error, { Item: current.Item });
          }
        }
        return local.client.send(command as never);
      },
    };
    const gate = limiter('2/10s', { dynamo: edge as never, maxInFlight: 4 });
    await (await gate.acquire(now() + 1000, realSleep))!.finish(now()); // one of two calls used (the item's first claim)
    // Act: our next claim loses to the other container's, which took the window's last call.
    const ticket = await gate.acquire(now() + 100, realSleep);
    // Assess: the window is full (no ticket), learnt from the failure's item without reading it again.
    expect(raced).toBe(true);
    expect(ticket).toBeUndefined();
    expect(readsAfterRace).toBe(0);
  });

  it("gives the slot a container's own answer frees to its next caller, whose claim carries the end", async () => {
    // Prepare: cap 1; writes of an end on its own are counted.
    let endWrites = 0;
    const counting = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const update = String(command.input.UpdateExpression ?? '');
        if (/\.#e = :e\d/.test(update) && !update.includes('#v = #v + :m')) endWrites += 1;
        return local.client.send(command as never);
      },
    };
    const gate = limiter('100/1s', { dynamo: counting as never, maxInFlight: 1 });
    const first = (await gate.acquire(now() + 5000, realSleep))!;
    const second = gate.acquire(now() + 5000, realSleep);
    // Act
    await first.finish(now());
    const ticket = await second;
    // Assess: the next call got the slot, and its claim wrote the first call's end (no write of its own).
    expect(ticket).toBeDefined();
    expect(endWrites).toBe(0);
    expect(await gate.inFlightNow()).toBe(1);
  });

  it('replaces its own answered call at the cap in one write, though another container claimed since', async () => {
    // Prepare: cap 2, shared by two containers; ours has a second caller waiting; requests of ours are counted.
    const sent: string[] = [];
    const counting = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const update = String(command.input.UpdateExpression ?? '');
        sent.push(
          update.includes('#v = #v + :m') ? 'claim' : command.constructor.name === 'GetItemCommand' ? 'read' : 'other',
        );
        return local.client.send(command as never);
      },
    };
    const caps = { maxInFlight: 2, startInFlight: 2 };
    const gate = limiter('100/1s', { dynamo: counting as never, ...caps });
    const other = limiter('100/1s', caps);
    const first = (await gate.acquire(now() + 5000, realSleep))!;
    const theirFirst = (await other.acquire(now() + 5000, realSleep))!;
    const theirNext = other.acquire(now() + 5000, realSleep);
    const second = gate.acquire(now() + 5000, realSleep);
    await realSleep(50); // both next callers have found the cap full and wait
    // The other container's next call takes the slot of its answer after we looked: our view is one claim behind.
    await theirFirst.finish(now());
    const theirs = (await theirNext)!;
    sent.length = 0;
    // Act
    await first.finish(now());
    const ticket = await second;
    // Assess: one claim carried our end and the next call; no read, no end of its own; still 2 in flight.
    expect(ticket).toBeDefined();
    expect(sent).toEqual(['claim']);
    expect(await gate.inFlightNow()).toBe(2);
    await theirs.finish(now());
  });

  it('never lets any window see more than its limit, for any consumer count, windows, latencies and hand-overs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('4/120ms', '3/80ms,7/300ms', '5/100ms,9/250ms', '12/100ms'),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(1, 2, 4),
        fc.boolean(),
        async (consumers, spec, latencies, handovers, parallel, capMoving) => {
          // Prepare
          const windows = parseRateLimits(spec);
          const spans: { start: number; end: number }[] = [];
          const perConsumer = 8;
          // The learned cap moving: it starts at 1 and rises with the latency; Hood answers some calls with
          // `Retry-After: -1`, which steps it back for a short probe interval.
          const caps = capMoving ? { maxInFlight: 3, startInFlight: 1, probeIntervalMs: 30 } : { maxInFlight: 3 };
          let answered = 0;
          const run = async (c: number) => {
            let gate = limiter(spec, caps);
            for (let i = 0; i < perConsumer; i += parallel) {
              // A container hand-over: a fresh limiter (no memory) takes over this consumer's work.
              if (i > 0 && i % Math.max(1, Math.floor(perConsumer / (handovers + 1))) === 0 && handovers > 0)
                gate = limiter(spec, caps);
              // Several callers of one container at once (records of a batch side by side).
              await Promise.all(
                Array.from({ length: parallel }, async (_, k) => {
                  const ticket = (await gate.acquire(Number.POSITIVE_INFINITY, realSleep))!;
                  const sent = now();
                  expect(sent).toBeGreaterThanOrEqual(ticket.startedAt);
                  await realSleep(latencies[(c + i + k) % latencies.length]!);
                  const end = now();
                  spans.push({ start: ticket.startedAt, end });
                  answered += 1;
                  await ticket.finish(end, undefined, capMoving && answered % 5 === 0);
                }),
              );
            }
          };
          // Act
          await Promise.all(Array.from({ length: consumers }, (_, c) => run(c)));
          // Assess
          expect(spans).toHaveLength(consumers * perConsumer);
          for (const w of windows) expect(worstWindow(spans, w.windowMs)).toBeLessThanOrEqual(w.count);
          expect(mostInFlight(spans)).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);
});
