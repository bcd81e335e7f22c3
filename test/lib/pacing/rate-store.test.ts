import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CAP_STEP_BUMP,
  parseRateItem,
  type RateItem,
  RESET_VERSION,
  type StoredCall,
} from '../../../lib/pacing/rate-item.js';
import { type ClaimWrite, RateStore } from '../../../lib/pacing/rate-store.js';
import { type LocalTable, startLocalTable } from '../../helpers/dynalite.js';

let local: LocalTable;
let store: RateStore;
beforeEach(async () => {
  local = await startLocalTable('ledger');
  store = new RateStore(local.client, local.table);
});
afterEach(async () => {
  await local.stop();
});

const T = 1_700_000_000_000;
const limits = { now: T, requestTimeoutMs: 10_000, longestMs: 60_000 };
const call = (id: string, start = T, end?: number): StoredCall => ({
  id,
  start,
  deadline: start + 10_000,
  end,
  lane: 'live',
});
const view = async (): Promise<RateItem> => parseRateItem(await store.read(), limits);
const claim = (item: RateItem, mine: StoredCall[], extra: Partial<ClaimWrite> = {}) =>
  store.claim({ item, room: mine.length, mine, ends: [], drop: [], lane: 'live', expiresAt: 1, ...extra });

describe('RateStore (dynalite)', () => {
  it('creates the item with the first claim', async () => {
    // Act
    const out = await claim(await view(), [call('a.1'), call('a.2')]);
    // Assess
    const item = await view();
    expect(out.ok).toBe(true);
    expect(item.version).toBe(2);
    expect(item.calls.map((c) => c.id).sort()).toEqual(['a.1', 'a.2']);
  });

  it('lets two claims planned on the same item both succeed when they fit its room together', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    const seen = await view();
    // Act
    const first = await claim(seen, [call('b.1')], { room: 2 });
    const second = await claim(seen, [call('c.1')], { room: 2 });
    // Assess
    expect([first.ok, second.ok]).toEqual([true, true]);
  });

  it('lets a claim that replaces our answered call pass whatever others claimed since, within its room', async () => {
    // Prepare: our a.1 in flight; another container claims after we read.
    await claim(await view(), [call('a.1')]);
    const seen = await view();
    await claim(seen, [call('b.1')]);
    // Act: a.1's end and a.2 in one claim, the room counting no cap (the calls in flight stay as many).
    const out = await claim(seen, [call('a.2')], { ends: [call('a.1', T, T + 500)], replaced: ['a.1'], room: 50 });
    // Assess
    expect(out.ok).toBe(true);
    expect((await view()).calls.find((c) => c.id === 'a.1')?.end).toBe(T + 500);
  });

  it('refuses a replacing claim once the replaced call shows an end (another container may have used its slot)', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    const seen = await view();
    await store.writeEnd(call('a.1', T, T + 500));
    // Act
    const out = await claim(seen, [call('a.2')], { ends: [call('a.1', T, T + 500)], replaced: ['a.1'], room: 50 });
    // Assess
    expect(out.ok).toBe(false);
  });

  it('refuses a replacing claim when the replaced call is gone from the item', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    const seen = await view();
    // Act
    const out = await claim(seen, [call('a.2')], { ends: [call('x.9', T, T + 500)], replaced: ['x.9'], room: 50 });
    // Assess
    expect(out.ok).toBe(false);
  });

  it('refuses a claim when others claimed more than its room left since the item was read', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    const seen = await view();
    await claim(seen, [call('b.1')], { room: 1 });
    // Act
    const late = await claim(seen, [call('c.1')], { room: 1 });
    // Assess
    expect(late.ok).toBe(false);
    expect((await view()).calls.map((c) => c.id)).not.toContain('c.1');
  });

  it('carries the ends of earlier calls and removes the dropped ones with a claim', async () => {
    // Prepare
    await claim(await view(), [call('a.1', T - 5000), call('a.2', T - 4000)]);
    // Act
    await claim(await view(), [call('a.3')], { ends: [call('a.2', T - 4000, T - 3000)], drop: ['a.1'] });
    // Assess
    const item = await view();
    expect(item.calls.map((c) => [c.id, c.end])).toEqual(
      expect.arrayContaining([
        ['a.2', T - 3000],
        ['a.3', undefined],
      ]),
    );
    expect(item.calls).toHaveLength(2);
  });

  it('writes an end into its entry, and not into an entry that was trimmed', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    // Act
    const kept = await store.writeEnd(call('a.1', T, T + 50));
    const gone = await store.writeEnd(call('a.9', T, T + 50));
    // Assess
    expect(kept.ok).toBe(true);
    expect(gone.ok).toBe(false);
    expect((await view()).calls[0]!.end).toBe(T + 50);
  });

  it('writes several ends in one request', async () => {
    // Prepare
    await claim(await view(), [call('a.1'), call('a.2')]);
    // Act
    const out = await store.writeEnds([call('a.1', T, T + 50), call('a.2', T, T + 70)]);
    // Assess
    expect(out.ok).toBe(true);
    expect(Object.fromEntries((await view()).calls.map((c) => [c.id, c.end]))).toEqual({
      'a.1': T + 50,
      'a.2': T + 70,
    });
  });

  it('writes none of several ends when one entry was trimmed', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    // Act
    const out = await store.writeEnds([call('a.1', T, T + 50), call('a.9', T, T + 70)]);
    // Assess
    expect(out.ok).toBe(false);
    expect((await view()).calls[0]!.end).toBeUndefined();
  });

  it('stores a stepped-back cap and makes claims planned before it fail', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    const before = await view();
    // Act
    await store.stepBack({ cap: 3, proven: 3, holdUntil: T + 300_000 }, 1);
    const stale = await claim(before, [call('b.1')], { room: 4 });
    // Assess
    const after = await view();
    expect(stale.ok).toBe(false);
    expect(after.cap).toEqual({ cap: 3, proven: 3, holdUntil: T + 300_000 });
    expect(after.version).toBe(1 + CAP_STEP_BUMP);
  });

  it('replaces an item whose counter cannot be claimed on, keeping the calls it could trust', async () => {
    // Prepare: a counter at DynamoDB's largest magnitude (adding to it fails), and one honest call.
    await local.client.send(
      new PutItemCommand({
        TableName: local.table,
        Item: {
          pk: { S: 'rate#hood' },
          sk: { S: 'calls' },
          v: { N: '9.9E+125' },
          c: { M: { 'x.1': { M: { s: { N: String(T) }, d: { N: String(T + 10_000) }, l: { S: 'live' } } } } },
        },
      }),
    );
    const corrupt = await view();
    // Act
    const out = await claim(corrupt, [call('a.1')], { room: 1 });
    // Assess
    const item = await view();
    expect(corrupt.corrupt).toBe(true);
    expect(out.ok).toBe(true);
    expect(item.version).toBe(RESET_VERSION + 1);
    expect(item.calls.map((c) => c.id).sort()).toEqual(['a.1', 'x.1']);
  });

  it('raises the live-waiting mark, never lowers it', async () => {
    // Prepare
    await claim(await view(), [call('a.1')]);
    // Act
    await store.markLiveWaiting(T + 500);
    await store.markLiveWaiting(T + 100);
    // Assess
    const raw = await local.client.send(
      new GetItemCommand({ TableName: local.table, Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } } }),
    );
    expect(raw.Item?.lw).toEqual({ N: String(T + 500) });
  });
});
