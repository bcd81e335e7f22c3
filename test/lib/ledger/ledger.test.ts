import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../../lib/ledger/dynamo.js';
import { type Ledger, type LedgerEvent, MemoryLedger } from '../../../lib/ledger/index.js';
import { type LocalDynamo, startLocalDynamo } from '../../../dev/dynalite.js';

const KEY = 'test-ledger-hash-key-0123456789';
const DAY = 86_400_000;
let dynamo: LocalDynamo;
let tableSeq = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-unit' });
});
afterAll(async () => {
  await dynamo.stop();
});

interface Made {
  ledger: Ledger;
  clock: { now: number };
}

const event = (outcome: string, at = '2026-01-01T00:00:00.000Z', extra: Partial<LedgerEvent> = {}): LedgerEvent => ({
  at,
  source: 'test',
  reason: 'unsubscribe',
  outcome,
  ...extra,
});

// Each test gets its own key, so items of one test never meet another's in the shared table.
const implementations: [string, (blockedDays?: number) => Made][] = [
  [
    'memory',
    (blockedDays = 30) => {
      const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
      return {
        clock,
        ledger: new MemoryLedger({
          hashKey: `${KEY}${(tableSeq += 1)}`,
          blockedDays,
          historyDays: 400,
          clock: () => clock.now,
        }),
      };
    },
  ],
  [
    'dynamodb (dynalite)',
    (blockedDays = 30) => {
      const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
      return {
        clock,
        ledger: new DynamoLedger({
          table: dynamo.table,
          client: dynamo.client,
          hashKey: `${KEY}${(tableSeq += 1)}`,
          blockedDays,
          historyDays: 400,
          clock: () => clock.now,
        }),
      };
    },
  ],
];

describe.each(implementations)('%s ledger', (_name, make) => {
  it('grants a claim to one caller and answers pending to the next while the lease runs', async () => {
    // Prepare
    const { ledger } = make();
    // Act
    const first = await ledger.claim('jane@example.com', 60_000);
    const second = await ledger.claim('jane@example.com', 60_000);
    // Assess
    expect(first.kind).toBe('claimed');
    expect(second.kind).toBe('pending');
  });

  it('lets a second caller claim once the lease has ended', async () => {
    // Prepare
    const { ledger, clock } = make();
    await ledger.claim('jane@example.com', 60_000);
    // Act
    clock.now += 60_001;
    const again = await ledger.claim('jane@example.com', 60_000);
    // Assess
    expect(again.kind).toBe('claimed');
  });

  it('answers blocked with Hood’s id after markBlocked, until LEDGER_BLOCKED_DAYS have passed', async () => {
    // Prepare
    const { ledger, clock } = make(30);
    await ledger.claim('jane@example.com', 60_000);
    await ledger.markBlocked('jane@example.com', { hoodId: 'hood-1', event: event('blocked') });
    // Act
    const within = await ledger.claim('jane@example.com', 60_000);
    clock.now += 30 * DAY + 1;
    const after = await ledger.claim('jane@example.com', 60_000);
    // Assess
    expect(within).toMatchObject({ kind: 'blocked', hoodId: 'hood-1' });
    expect(after.kind).toBe('claimed');
  });

  it('frees the contact at once when the claim is released', async () => {
    // Prepare
    const { ledger } = make();
    await ledger.claim('jane@example.com', 60_000);
    // Act
    await ledger.release('jane@example.com');
    const again = await ledger.claim('jane@example.com', 60_000);
    // Assess
    expect(again.kind).toBe('claimed');
  });

  it('tells the story newest last, with the masked contact and Hood’s id', async () => {
    // Prepare
    const { ledger } = make();
    await ledger.record('jane@example.com', event('retried', '2026-01-01T00:00:00.000Z', { eventId: 'ev-1' }));
    await ledger.claim('jane@example.com', 60_000);
    await ledger.markBlocked('jane@example.com', {
      hoodId: 'hood-7',
      event: event('blocked', '2026-01-01T00:05:00.000Z', { eventId: 'ev-2' }),
    });
    // Act
    const story = await ledger.why('jane@example.com');
    // Assess: the provider's ids as the ledger keeps them, keyed
    expect(story).toEqual({
      contact: 'j***@e***.com',
      status: 'blocked',
      hoodId: 'hood-7',
      events: [
        {
          at: '2026-01-01T00:00:00.000Z',
          source: 'test',
          reason: 'unsubscribe',
          outcome: 'retried',
          eventId: ledger.eventKey('ev-1'),
        },
        {
          at: '2026-01-01T00:05:00.000Z',
          source: 'test',
          reason: 'unsubscribe',
          outcome: 'blocked',
          eventId: ledger.eventKey('ev-2'),
        },
      ],
    });
    expect(ledger.eventKey('ev-1')).toMatch(/^e#[\w-]{22}$/u);
  });

  it('knows nothing of a contact it never saw', async () => {
    // Prepare
    const { ledger } = make();
    // Act
    const story = await ledger.why('nobody@example.com');
    // Assess
    expect(story).toBeUndefined();
  });

  it('reports a claimed, unfinished contact as pending', async () => {
    // Prepare
    const { ledger } = make();
    await ledger.claim('+38761234567', 60_000);
    // Act
    const story = await ledger.why('+38761234567');
    // Assess
    expect(story?.status).toBe('pending');
  });

  it('forget clears the blocked state and keeps the history', async () => {
    // Prepare
    const { ledger } = make();
    await ledger.claim('jane@example.com', 60_000);
    await ledger.markBlocked('jane@example.com', { hoodId: 'hood-1', event: event('blocked') });
    // Act
    const known = await ledger.forget('jane@example.com', event('forgotten', '2026-01-01T00:01:00.000Z'));
    const story = await ledger.why('jane@example.com');
    const claim = await ledger.claim('jane@example.com', 60_000);
    // Assess
    expect(known).toBe(true);
    expect(story?.status).toBe('not_blocked');
    expect(story?.hoodId).toBeUndefined();
    expect(story?.events.map((e) => e.outcome)).toEqual(['blocked', 'forgotten']);
    expect(claim.kind).toBe('claimed');
  });

  it('forget resets the soft-bounce count, so old bounces do not re-block at the next one', async () => {
    // Prepare
    const { ledger, clock } = make();
    await ledger.countSoftBounce('jane@example.com', 'm1', clock.now, 30 * DAY);
    await ledger.countSoftBounce('jane@example.com', 'm2', clock.now, 30 * DAY);
    // Act
    await ledger.forget('jane@example.com', event('forgotten'));
    const n = await ledger.countSoftBounce('jane@example.com', 'm3', clock.now + 1000, 30 * DAY);
    // Assess
    expect(n).toBe(1);
  });

  it('keeps Hood’s id when a later "already blocked" answer carries none', async () => {
    // Prepare
    const { ledger, clock } = make(30);
    await ledger.claim('jane@example.com', 60_000);
    await ledger.markBlocked('jane@example.com', { hoodId: 'hood-1', event: event('blocked') });
    clock.now += 31 * DAY;
    await ledger.claim('jane@example.com', 60_000);
    // Act
    await ledger.markBlocked('jane@example.com', { event: event('already_blocked') });
    const story = await ledger.why('jane@example.com');
    // Assess
    expect(story?.hoodId).toBe('hood-1');
  });

  it('forget of an unknown contact says so', async () => {
    // Prepare
    const { ledger } = make();
    // Act
    const known = await ledger.forget('nobody@example.com', event('forgotten'));
    // Assess
    expect(known).toBe(false);
  });

  it('counts soft bounces once per sent message and only within the period', async () => {
    // Prepare
    const { ledger } = make();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    // Act
    const a = await ledger.countSoftBounce('jane@example.com', 'msg-1', t0, 30 * DAY);
    const again = await ledger.countSoftBounce('jane@example.com', 'msg-1', t0 + 1000, 30 * DAY);
    const b = await ledger.countSoftBounce('jane@example.com', 'msg-2', t0 + 10 * DAY, 30 * DAY);
    const late = await ledger.countSoftBounce('jane@example.com', 'msg-3', t0 + 35 * DAY, 30 * DAY);
    // Assess
    expect([a, again, b, late]).toEqual([1, 1, 2, 2]);
  });

  it('accepts a one-time token once within its TTL, again after release or expiry', async () => {
    // Prepare
    const { ledger, clock } = make();
    // Act
    const first = await ledger.claimToken('mailgun:tok-1', 1000);
    const replay = await ledger.claimToken('mailgun:tok-1', 1000);
    await ledger.releaseToken('mailgun:tok-1');
    const afterRelease = await ledger.claimToken('mailgun:tok-1', 1000);
    clock.now += 1001;
    const afterExpiry = await ledger.claimToken('mailgun:tok-1', 1000);
    // Assess
    expect([first, replay, afterRelease, afterExpiry]).toEqual([true, false, true, true]);
  });

  it('keeps an event id that quotes a contact only in keyed form', async () => {
    // Prepare
    const { ledger } = make();
    // Act
    await ledger.record('jane@example.com', event('ignored', undefined, { eventId: 'app-jane@example.com-42' }));
    const story = await ledger.why('jane@example.com');
    // Assess
    expect(story?.events[0]?.eventId).toBe(ledger.eventKey('app-jane@example.com-42'));
  });
  it('lists the blocked contacts (not the leased or forgotten ones) by key, masked, with Hood’s id', async () => {
    // Prepare
    const { ledger } = make();
    for (const c of ['a@example.com', 'b@example.com', '+38761234567']) {
      await ledger.claim(c, 60_000);
      await ledger.markBlocked(c, { hoodId: `hood-${c}`, event: event('blocked') });
    }
    await ledger.claim('leased@example.com', 60_000);
    await ledger.forget('b@example.com', event('forgotten'));
    const mine = new Set(
      ['a@example.com', 'b@example.com', '+38761234567', 'leased@example.com'].map((c) => ledger.contactKey(c)),
    );
    // Act: pages of 2 (the table is shared with other tests: keep only this test's keys)
    const listed = [];
    for await (const page of ledger.blockedContacts({ pageSize: 2 }))
      listed.push(...page.filter((e) => mine.has(e.key)));
    // Assess
    expect(listed.map((e) => e.key).sort()).toEqual(
      [ledger.contactKey('a@example.com'), ledger.contactKey('+38761234567')].sort(),
    );
    expect(listed.find((e) => e.key === ledger.contactKey('a@example.com'))).toMatchObject({
      masked: 'a***@e***.com',
      hoodId: 'hood-a@example.com',
    });
  });

  it('forgetKey clears a contact known only by its key, and keeps its history', async () => {
    // Prepare
    const { ledger } = make();
    await ledger.claim('jane@example.com', 60_000);
    await ledger.markBlocked('jane@example.com', { hoodId: 'hood-1', event: event('blocked') });
    // Act
    const known = await ledger.forgetKey(
      ledger.contactKey('jane@example.com'),
      event('forgotten', '2026-01-01T00:01:00.000Z', { eventId: 'reconcile-repair' }),
    );
    const unknown = await ledger.forgetKey(ledger.contactKey('nobody@example.com'), event('forgotten'));
    const claim = await ledger.claim('jane@example.com', 60_000);
    const story = await ledger.why('jane@example.com');
    // Assess
    expect([known, unknown]).toEqual([true, false]);
    expect(claim.kind).toBe('claimed');
    expect(story?.events.map((e) => [e.outcome, e.eventId])).toEqual([
      ['blocked', undefined],
      ['forgotten', ledger.eventKey('reconcile-repair')],
    ]);
  });
});

describe('dynamodb ledger on dynalite, stored items', () => {
  it('holds no contact in clear text anywhere in the table', async () => {
    // Prepare
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const ledger = new DynamoLedger({
      table: dynamo.table,
      client: dynamo.client,
      hashKey: `${KEY}-scan`,
      blockedDays: 30,
      historyDays: 400,
      clock: () => clock.now,
    });
    const contacts = ['Scan.Person@Example.org'.toLowerCase(), '+38761234999'];
    for (const c of contacts) {
      await ledger.claim(c, 60_000);
      await ledger.markBlocked(c, { hoodId: 'h', event: event('blocked', undefined, { eventId: `id-${c}` }) });
      await ledger.countSoftBounce(c, `sent-${c}`, clock.now, DAY);
    }
    // Act
    const scan = await dynamo.client.send(new ScanCommand({ TableName: dynamo.table }));
    const dump = JSON.stringify(scan.Items);
    // Assess
    expect(scan.Items!.length).toBeGreaterThan(0);
    for (const c of contacts) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(c.replace('+', ''));
    }
  });

  it('turns an unreachable table into LedgerUnavailableError', async () => {
    // Prepare
    const ledger = new DynamoLedger({
      table: dynamo.table,
      hashKey: KEY,
      blockedDays: 30,
      historyDays: 400,
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    // Act
    const outcome = ledger.claim('jane@example.com', 60_000);
    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'ledger_unavailable' });
    ledger.close();
  });
});

describe('dynamodb ledger on dynalite, concurrent claims', () => {
  it('grants a contact to exactly one of 1–10 consumers claiming it at once', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        async (consumers, contactsPerRound) => {
          // Prepare: one ledger instance per consumer (as in separate containers), the same key and table.
          round += 1;
          const key = `${KEY}-concurrent-${round}`;
          const ledgers = Array.from(
            { length: consumers },
            () =>
              new DynamoLedger({
                table: dynamo.table,
                client: dynamo.client,
                hashKey: key,
                blockedDays: 30,
                historyDays: 400,
              }),
          );
          const contacts = Array.from({ length: contactsPerRound }, (_, i) => `race${i}@example.com`);
          // Act
          const results = await Promise.all(
            ledgers.flatMap((l) => contacts.map(async (c) => ({ c, r: await l.claim(c, 60_000) }))),
          );
          // Assess
          return contacts.every((c) => results.filter((x) => x.c === c && x.r.kind === 'claimed').length === 1);
        },
      ),
      { numRuns: 25 },
    );
  });
});
