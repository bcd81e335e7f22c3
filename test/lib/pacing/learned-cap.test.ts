import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig, parseRateLimits } from '../../../lib/config.js';
import { BatchState, createContactCaller } from '../../../lib/consumer/hood-call.js';
import { RecentContacts } from '../../../lib/consumer/recent.js';
import { LedgerRateLimiter } from '../../../lib/pacing/ledger-limiter.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import {
  type CapBounds,
  type CapState,
  neededInFlight,
  raisedCap,
  steppedBack,
  trustedCap,
} from '../../../lib/pacing/parallel-cap.js';
import type { CreateResult } from '../../../lib/hood/client.js';
import type { BlockDecision } from '../../../lib/types.js';
import { type LocalTable, startLocalTable } from '../../helpers/dynalite.js';

const T = 1_700_000_000_000;
const bounds: CapBounds = { ceiling: 10, start: 4, probeIntervalMs: 300_000 };
const hood = parseRateLimits('10/1s,150/1m');

describe('neededInFlight (Little’s law on the sliding rule’s best rate)', () => {
  it.each([
    ['150/min at 2 s: 150 × 2 / 62 × 1.1 = 5.3 → 6', '150/1m', 2000, 6],
    ['10/s at 2 s: 10 × 2 / 3 × 1.1 = 7.3 → 8', '10/1s', 2000, 8],
    ['Hood’s windows at 2 s: the slower rate (150/min) → 6', '10/1s,150/1m', 2000, 6],
    ['Hood’s windows at 1 s: 150 / 61 × 1.1 = 2.7 → 3', '10/1s,150/1m', 1000, 3],
    ['Hood’s windows at 4 s: 10/s is the slower then, 10 × 4 / 5 × 1.1 = 8.8 → 9', '10/1s,150/1m', 4000, 9],
    ['the margin tips a need just under a whole number: 150/min at 1.6 s, 3.9 × 1.1 → 5', '150/1m', 1600, 5],
    ['Hood’s windows at 50 ms → 1', '10/1s,150/1m', 50, 1],
    ['no latency known yet → 1', '10/1s', 0, 1],
  ])('%s', (_name, spec, latency, expected) => {
    expect(neededInFlight(parseRateLimits(spec), latency)).toBe(expected);
  });
});

describe('raisedCap and steppedBack', () => {
  const at4: CapState = { cap: 4, proven: 0, holdUntil: 0 };
  const evidence = { provenLevel: 4, latencyMs: 2000, windows: hood, demand: true };
  it.each([
    ['proven at the cap, latency asks for more: one more', at4, evidence, { cap: 5, proven: 4, holdUntil: 0 }],
    ['no callers waiting for the cap', at4, { ...evidence, demand: false }, undefined],
    ['the cap not reached by an answered call yet', at4, { ...evidence, provenLevel: 3 }, undefined],
    ['fast answers need no more in flight', at4, { ...evidence, latencyMs: 100 }, undefined],
    ['held after a -1', { ...at4, holdUntil: T + 1 }, evidence, undefined],
    [
      'at HOOD_MAX_IN_FLIGHT',
      { cap: 10, proven: 9, holdUntil: 0 },
      { ...evidence, provenLevel: 10, latencyMs: 60_000 },
      undefined,
    ],
  ])('%s', (_name, state, given, expected) => {
    expect(raisedCap(state, given, bounds, T)).toEqual(expected);
  });

  it.each([
    ['a -1 at the 6th call after 5 was proven: back to 5', { cap: 6, proven: 5, holdUntil: 0 }, 6, 5],
    ['a -1 at the 4th before anything was proven: 3', { cap: 4, proven: 0, holdUntil: 0 }, 4, 3],
    [
      'a -1 at a level below the proven one (others in flight too): below that level',
      { cap: 6, proven: 5, holdUntil: 0 },
      3,
      2,
    ],
    ['never below one', { cap: 1, proven: 0, holdUntil: 0 }, 1, 1],
  ])('%s', (_name, state, level, cap) => {
    expect(steppedBack(state, level, bounds, T)).toEqual({ cap, proven: cap, holdUntil: T + 300_000 });
  });

  it('trusts a stored cap only within the bounds and a hold only within a probe interval', () => {
    expect(trustedCap({ cap: 1e9, proven: -3, holdUntil: T + 1e12 }, bounds, T)).toEqual({
      cap: 10,
      proven: 0,
      holdUntil: 0,
    });
    expect(trustedCap({ cap: 2.7, proven: 2, holdUntil: T + 1000 }, bounds, T)).toEqual({
      cap: 2,
      proven: 2,
      holdUntil: T + 1000,
    });
    expect(trustedCap(undefined, bounds, T)).toEqual({ cap: 4, proven: 0, holdUntil: 0 });
  });
});

describe('Pacer: a container with static shares learns within its share', () => {
  /** Calls of `latencyMs` as fast as the pacer allows (virtual time); a -1 for the calls `limited` picks. */
  function drive(pacer: Pacer, calls: number, latencyMs: number, limited: (level: number) => boolean = () => false) {
    let now = T;
    const inFlight: { end: number; id: number; level: number }[] = [];
    const caps: number[] = [];
    for (let made = 0; made < calls; ) {
      inFlight.sort((a, b) => a.end - b.end);
      const slot = pacer.nextSlot(now);
      if (inFlight.length > 0 && inFlight[0]!.end <= slot) {
        const done = inFlight.shift()!;
        now = Math.max(now, done.end);
        pacer.completed(now, undefined, done.id, limited(done.level));
        continue;
      }
      now = slot;
      const level = inFlight.length + 1;
      inFlight.push({ end: now + latencyMs, id: pacer.started(now), level });
      caps.push(pacer.learnedCap);
      made += 1;
    }
    return { caps, now };
  }

  it('raises the cap one at a time up to what 2 s answers need (8 for 10/s with the margin), never past HOOD_MAX_IN_FLIGHT', () => {
    // Prepare: one consumer, HOOD_MAX_IN_FLIGHT 10, start 4.
    const pacer = new Pacer({
      windows: parseRateLimits('10/1s'),
      consumers: 1,
      maxInFlight: 10,
      startInFlight: 4,
      clock: () => T,
    });
    pacer.succeeded();
    // Act
    const { caps } = drive(pacer, 60, 2000);
    // Assess
    expect(caps[0]).toBe(4);
    expect(Math.max(...caps)).toBe(8);
    for (let i = 1; i < caps.length; i += 1) expect(caps[i]! - caps[i - 1]!).toBeLessThanOrEqual(1);
  });

  it('learns within its share of HOOD_MAX_IN_FLIGHT (10 over 4 consumers: 2)', () => {
    const pacer = new Pacer({ windows: hood, consumers: 4, maxInFlight: 10, startInFlight: 4, clock: () => T });
    pacer.succeeded();
    const { caps } = drive(pacer, 30, 4000);
    expect(caps[0]).toBe(1);
    expect(Math.max(...caps)).toBe(2);
  });

  it('steps back after a -1 and holds there for the probe interval', () => {
    // Prepare: Hood takes 5 in flight; the 6th answers -1.
    const pacer = new Pacer({
      windows: parseRateLimits('10/1s'),
      consumers: 1,
      maxInFlight: 10,
      startInFlight: 4,
      probeIntervalMs: 60_000,
      clock: () => T,
    });
    pacer.succeeded();
    // Act
    const { caps, now } = drive(pacer, 200, 2000, (level) => level > 5);
    // Assess: back to 5 after the -1, and no second try within the minute after it.
    const firstSix = caps.indexOf(6);
    expect(firstSix).toBeGreaterThan(0);
    expect(caps.slice(firstSix + 10, firstSix + 10 + 50).every((c) => c <= 5)).toBe(true);
    expect(now - T).toBeGreaterThan(60_000);
    expect(pacer.parallelReport().parallelLimited).toBeGreaterThanOrEqual(1);
  });
});

describe('LedgerRateLimiter: the learned cap is the account’s (dynalite)', () => {
  let local: LocalTable;
  beforeEach(async () => {
    local = await startLocalTable('ledger');
  });
  afterEach(async () => {
    await local.stop();
  });
  const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const gate = (extra: Partial<ConstructorParameters<typeof LedgerRateLimiter>[0]> = {}) => {
    const l = new LedgerRateLimiter({
      dynamo: local.client,
      table: local.table,
      windows: parseRateLimits('100/1s'),
      maxInFlight: 8,
      startInFlight: 2,
      clockSkewMs: 0,
      pollMs: 5,
      ...extra,
    });
    l.succeeded();
    return l;
  };
  const storedCap = async () => {
    const item = (
      await local.client.send(
        new GetItemCommand({
          TableName: local.table,
          Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } },
          ConsistentRead: true,
        }),
      )
    ).Item;
    return item?.pc?.M ? { cap: Number(item.pc.M.n?.N), holdUntil: Number(item.pc.M.h?.N) } : undefined;
  };
  /** `callers` side by side, `calls` each, every call `latencyMs` long. */
  const run = async (
    l: LedgerRateLimiter,
    callers: number,
    calls: number,
    latencyMs: number,
    limited: (i: number) => boolean = () => false,
  ) => {
    let n = 0;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = 0; i < calls; i += 1) {
          const ticket = (await l.acquire(Date.now() + 10_000, realSleep))!;
          await realSleep(latencyMs);
          await ticket.finish(Date.now(), undefined, limited((n += 1)));
        }
      }),
    );
  };

  it('raises the cap on the item, where a fresh container finds it', async () => {
    // Prepare: 100/s at 60 ms needs ceil(100 × 60 / 1060) = 6 in flight (more on a busy machine, where a call
    // takes longer than its 60 ms); the cap starts at 2.
    const a = gate();
    // Act
    await run(a, 8, 8, 60);
    const fresh = gate();
    await (await fresh.acquire(Date.now() + 1000, realSleep))!.finish(Date.now());
    // Assess
    const learnt = (await storedCap())!.cap;
    expect(learnt).toBeGreaterThanOrEqual(6);
    expect(fresh.parallelReport().learnedCap).toBe(learnt);
  });

  it('steps the account back after a -1 and keeps it there on the item for the probe interval', async () => {
    // Prepare: learnt up to 6 or more.
    const a = gate({ probeIntervalMs: 60_000 });
    await run(a, 8, 8, 60);
    // Act: one -1 answer.
    await run(a, 6, 1, 60, (i) => i === 6);
    const afterMinusOne = await storedCap();
    await run(gate({ probeIntervalMs: 60_000 }), 8, 4, 60);
    // Assess: back below the 6th call, held for the minute, and a fresh container does not raise it meanwhile.
    expect(afterMinusOne!.cap).toBeLessThan(6);
    expect(afterMinusOne!.holdUntil).toBeGreaterThan(Date.now() + 50_000);
    expect((await storedCap())!.cap).toBe(afterMinusOne!.cap);
    expect(a.parallelReport().parallelLimited).toBe(1);
  });

  it('never exceeds HOOD_MAX_IN_FLIGHT, however slow the answers', async () => {
    const a = gate({ maxInFlight: 3 });
    await run(a, 6, 4, 80);
    expect((await storedCap())?.cap ?? 2).toBeLessThanOrEqual(3);
  });
});

describe('a -1 answer reaches the gate', () => {
  it('tells the gate which call drew Retry-After: -1', async () => {
    // Prepare
    const config = loadConsumerConfig({
      HOOD_API_TOKEN: 't',
      BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/q',
      DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/d',
    });
    const pacer = new Pacer({ windows: hood, consumers: 1, maxInFlight: 10, startInFlight: 4 });
    pacer.succeeded();
    const minusOne: CreateResult = {
      kind: 'rate_limited',
      status: 429,
      retryAfterSeconds: -1,
      retryAfterMs: undefined,
      parallelLimit: true,
    };
    const hoodClient = { createBlockedContact: async () => minusOne };
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const call = createContactCaller(
      { config, hood: hoodClient, pacer, recent: new RecentContacts(), logger },
      new BatchState(),
      {
        clock: () => Date.now(),
        deadlineAt: () => Date.now() + 60_000,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      },
    );
    // Act
    await call(
      { action: 'block', contact: 'a@example.com', reason: 'unsubscribe', source: 'test' } as unknown as BlockDecision,
      'c1',
      { messageId: 'm1', body: '{}' } as never,
    );
    // Assess
    expect(pacer.parallelReport()).toEqual({ learnedCap: 1, parallelLimited: 1 });
  });
});

describe('the learned cap on the dashboard', () => {
  it('plots the metrics the consumer publishes: the learned cap and the -1 answers', async () => {
    // Prepare
    const { createRequire } = await import('node:module');
    const dashboard = createRequire(import.meta.url)('../../../infra/dashboard.cjs') as {
      body(options: { resolveVariable(name: string): Promise<unknown> }): Promise<{ 'Fn::Sub': string }>;
    };
    const { parallelEmfPublisher } = await import('../../../lib/consumer/consumer.js');
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    // Act
    try {
      parallelEmfPublisher()({ learnedCap: 5, parallelLimited: 1 }, 'live');
    } finally {
      process.stdout.write = write;
    }
    // The default stage as osls resolves it: no optional parameter set.
    const resolveVariable = async (name: string) => (name === 'sls:stage' ? 'ci' : undefined);
    const body = (await dashboard.body({ resolveVariable }))['Fn::Sub'];
    // Assess
    const published = JSON.parse(lines.join('').trim().split('\n').pop()!) as Record<string, unknown>;
    expect(published).toMatchObject({ hood_parallel_cap: 5, hood_parallel_limited: 1 });
    expect(body).toContain('"hood_parallel_cap"');
    expect(body).toContain('"hood_parallel_limited"');
  });
});

describe('learning the stand-in’s parallel cap over HTTP (real Hood client, dynalite)', () => {
  it('settles at the stand-in’s cap with one -1 per probe interval, and blocks everyone', async () => {
    // Prepare: the stand-in takes 3 in flight and answers in 250 ms; we may go up to 8, starting at 2.
    const { startHoodSandbox } = await import('../../../dev/hood-sandbox.js');
    const { createHoodClient } = await import('../../../lib/hood/client.js');
    const sandbox = await startHoodSandbox({
      token: 'tok',
      rateLimits: parseRateLimits('100/1s'),
      latencyMs: 250,
      maxParallel: 3,
      duplicateBehaviour: 'create',
    });
    const local = await startLocalTable('ledger');
    try {
      const gate = new LedgerRateLimiter({
        dynamo: local.client,
        table: local.table,
        windows: parseRateLimits('100/1s'),
        maxInFlight: 8,
        startInFlight: 2,
        probeIntervalMs: 60_000,
        clockSkewMs: 0,
        pollMs: 5,
      });
      gate.succeeded();
      const hoodClient = createHoodClient({ apiUrl: sandbox.url, token: 'tok', requestTimeoutMs: 5000 });
      const config = loadConsumerConfig({
        HOOD_API_TOKEN: 'tok',
        BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/q',
        DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/d',
      });
      const logger = { debug() {}, info() {}, warn() {}, error() {} };
      const call = createContactCaller(
        { config, hood: hoodClient, pacer: gate, recent: new RecentContacts(), logger },
        new BatchState(),
        {
          clock: () => Date.now(),
          deadlineAt: () => Date.now() + 60_000,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        },
      );
      const contacts = Array.from({ length: 45 }, (_, i) => `p${i}@example.com`);
      // Act: 8 callers side by side; a contact answered 429 is tried again, as the queue would.
      let next = 0;
      let limited = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < contacts.length) {
            const contact = contacts[next++]!;
            for (;;) {
              const result = await call(
                { action: 'block', contact, reason: 'unsubscribe', source: 'test' } as unknown as BlockDecision,
                contact,
                { messageId: contact, body: '{}' } as never,
              );
              if (result.kind === 'done') break;
              limited += 1;
            }
          }
        }),
      );
      // Assess
      const stats = sandbox.stats();
      expect(new Set(sandbox.contacts().map((c) => c.contact)).size).toBe(45);
      expect(stats.parallelViolations).toBe(1);
      expect(limited).toBe(1);
      expect(stats.windowViolations).toBe(0);
      expect(gate.parallelReport()).toEqual({ learnedCap: 3, parallelLimited: 1 });
      await (hoodClient as { close?: () => Promise<void> }).close?.();
    } finally {
      await sandbox.close();
      await local.stop();
    }
  }, 60_000);
});
