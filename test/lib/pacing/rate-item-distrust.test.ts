import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRateLimits } from '../../../lib/config.js';
import { LedgerRateLimiter } from '../../../lib/pacing/ledger-limiter.js';
import { type LocalTable, startLocalTable } from '../../helpers/dynalite.js';

/**
 * Issue 19 item 7: the limiter distrusts what it reads from the rate item. A role that may write the item
 * (a compromised webhook, before its role was narrowed) must not be able to halt blocking by stuffing it: calls
 * that never end, ends far after their starts, starts in the future, counters that cannot be added to.
 */
let local: LocalTable;
beforeEach(async () => {
  local = await startLocalTable('ledger');
});
afterEach(async () => {
  await local.stop();
});

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => Date.now();
const N = (n: number): AttributeValue => ({ N: String(n) });

function limiter(extra: Partial<ConstructorParameters<typeof LedgerRateLimiter>[0]> = {}) {
  const l = new LedgerRateLimiter({
    dynamo: local.client,
    table: local.table,
    windows: parseRateLimits('3/200ms'),
    maxInFlight: 2,
    requestTimeoutMs: 300,
    clockSkewMs: 0,
    pollMs: 5,
    ...extra,
  });
  l.succeeded();
  return l;
}

async function stuff(attributes: Record<string, AttributeValue>): Promise<void> {
  await local.client.send(
    new PutItemCommand({
      TableName: local.table,
      Item: { pk: { S: 'rate#hood' }, sk: { S: 'calls' }, v: N(3), ...attributes },
    }),
  );
}

/** Calls stuffed into the item, each `{ s, d?, e? }` relative to now. */
function calls(...entries: { s: number; d?: number; e?: number }[]): AttributeValue {
  const t = now();
  return {
    M: Object.fromEntries(
      entries.map((c, i) => {
        // A deadline a day after the start unless given: the entry looks like any other.
        const m: Record<string, AttributeValue> = {
          s: N(t + c.s),
          d: N(t + (c.d ?? c.s + 86_400_000)),
          l: { S: 'live' },
        };
        if (c.e !== undefined) m.e = N(t + c.e);
        return [`forged.${i}`, { M: m }];
      }),
    ),
  };
}

/** Within `ms`, or `'timed out'` (the old limiter loops on some stuffed items until the caller gives up). */
function within<T>(ms: number, p: Promise<T>): Promise<T | 'timed out'> {
  return Promise.race([p, realSleep(ms).then(() => 'timed out' as const)]);
}

describe('the shared limiter distrusts the rate item', () => {
  it('ends a call that claims to stay in flight for ages at its start plus the request timeout', async () => {
    // Prepare: the cap (2) filled by calls whose deadline is a day away.
    await stuff({ c: calls({ s: -10, d: 86_400_000 }, { s: -10, d: 86_400_000 }) });
    // Act
    const ticket = await within(5000, limiter().acquire(now() + 2000, realSleep));
    // Assess
    expect(ticket).toEqual(expect.objectContaining({ startedAt: expect.any(Number) }));
  });

  it('caps an end written far after its start at the start plus the request timeout', async () => {
    // Prepare: a full window (3) of calls that "end" in a day.
    await stuff({ c: calls({ s: -10, e: 86_400_000 }, { s: -10, e: 86_400_000 }, { s: -10, e: 86_400_000 }) });
    // Act
    const ticket = await within(5000, limiter({ maxInFlight: 4 }).acquire(now() + 2000, realSleep));
    // Assess: the window frees at most a timeout plus a window after those starts.
    expect(ticket).toEqual(expect.objectContaining({ startedAt: expect.any(Number) }));
  });

  it('ignores calls that start in the future', async () => {
    // Prepare: the cap filled by calls that start in an hour.
    await stuff({ c: calls({ s: 3_600_000 }, { s: 3_600_000 }) });
    // Act
    const ticket = await within(5000, limiter().acquire(now() + 1000, realSleep));
    // Assess
    expect(ticket).toEqual(expect.objectContaining({ startedAt: expect.any(Number) }));
  });

  it.each([
    ['a counter too large to add to', N(9.9e125)],
    ['a counter that is not a number', { S: 'many' }],
    ['a negative fraction', N(-2.5)],
  ])('claims on an item with %s', async (_name, v) => {
    // Prepare
    await stuff({ v, c: calls() });
    // Act
    const ticket = await within(
      5000,
      limiter()
        .acquire(now() + 1000, realSleep)
        .catch((error: Error) => error.name),
    );
    // Assess
    expect(ticket).toEqual(expect.objectContaining({ startedAt: expect.any(Number) }));
  });

  it('does not let a live-waiting mark far in the future stop bulk traffic', async () => {
    // Prepare: `lw` a day away.
    await stuff({ c: calls(), lw: N(now() + 86_400_000) });
    // Act
    const ticket = await within(
      5000,
      limiter({ lane: 'bulk', windows: parseRateLimits('10/200ms') }).acquire(now() + 2000, realSleep),
    );
    // Assess: bulk waits at most a window and a timeout.
    expect(ticket).toEqual(expect.objectContaining({ startedAt: expect.any(Number) }));
  });

  it('keeps the item expiring: every claim leaves expiresAt within minutes', async () => {
    // Prepare: a stuffed item without expiresAt.
    await stuff({ c: calls() });
    // Act
    await (await limiter().acquire(now() + 1000, realSleep))!.finish(now());
    // Assess
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const item = (
      await local.client.send(
        new GetItemCommand({ TableName: local.table, Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } } }),
      )
    ).Item!;
    const expiresAt = Number(item.expiresAt?.N);
    expect(expiresAt).toBeGreaterThan(now() / 1000);
    expect(expiresAt).toBeLessThan(now() / 1000 + 600);
  });
});
