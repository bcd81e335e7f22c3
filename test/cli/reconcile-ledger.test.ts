import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskContact } from '../../lib/contact.js';
import { createHoodClient } from '../../lib/hood/client.js';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { ensureLedgerTable } from '../../lib/ledger/table.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { type HoodSandbox, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir } from './helpers.js';

const TOKEN = 'reconcile-ledger-hood-token';
const HASH_KEY = 'reconcile-ledger-hash-key-0123456789';
const SG_KEY = 'reconcile-ledger-sendgrid-key';
let dynamo: LocalDynamo;
let hood: HoodSandbox;
let queues: LocalQueues;
let standin: Standin;
let tableSeq = 0;
const dirs: { remove(): void }[] = [];

// Hood has 0..11 and two contacts of its own; the ledger says 0..11 and three others are blocked.
const BOTH = Array.from({ length: 12 }, (_, i) => `unsubscribes${i}@example.com`);
const ONLY_HOOD = ['other@example.org', '+38761234567'];
const LEDGER_ONLY = ['gone1@example.com', 'gone2@example.com', '+38762000111'];

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'reconcile-ledger' });
  queues = await startLocalQueues();
  hood = await startHoodSandbox({ token: TOKEN, rateLimits: [{ count: 50, windowMs: 100 }] });
  const client = createHoodClient({ apiUrl: hood.url, token: TOKEN, requestTimeoutMs: 5000 });
  for (const c of [...BOTH, ...ONLY_HOOD]) await client.createBlockedContact({ contact: c, description: 'seed' });
  await client.close();
  // The SendGrid list holds unsubscribes 0..19: 12..19 are missing from Hood.
  standin = await startStandin({ provider: 'sendgrid', lists: { unsubscribes: { count: 20 } }, apiKey: SG_KEY });
});
afterAll(async () => {
  await standin.close();
  await queues.stop();
  await hood.close();
  await dynamo.stop();
});
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

/** A fresh table per test (reconcile scans the whole table), seeded as the pipeline would leave it. */
async function seededLedger(blocked: readonly string[]): Promise<{ table: string; ledger: DynamoLedger }> {
  const table = `reconcile-ledger-${(tableSeq += 1)}`;
  await ensureLedgerTable(dynamo.client, table);
  const ledger = new DynamoLedger({
    table,
    client: dynamo.client,
    hashKey: HASH_KEY,
    blockedDays: 30,
    historyDays: 400,
  });
  for (const [i, c] of blocked.entries()) {
    await ledger.claim(c, 60_000);
    await ledger.markBlocked(c, {
      hoodId: `hood-${i}`,
      event: { at: new Date().toISOString(), source: 'test', reason: 'unsubscribe', outcome: 'blocked' },
    });
  }
  return { table, ledger };
}

function env(table: string, hoodUrl = hood.url): Record<string, string> {
  return {
    HOOD_API_URL: hoodUrl,
    HOOD_API_TOKEN: TOKEN,
    HOOD_RATE_LIMITS: '50/100ms',
    LEDGER_TABLE: table,
    LEDGER_HASH_KEY: HASH_KEY,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: dynamo.region,
  };
}

describe('hood-blocker reconcile --from ledger', () => {
  it('matches Hood’s contacts to the ledger by its keyed hash: both, missing, only in Hood', async () => {
    // Prepare
    const { table } = await seededLedger([...BOTH, ...LEDGER_ONLY]);
    // Act
    const run = await runCli(['reconcile', '--from', 'ledger', '--page-size', '5', '--json'], env(table));
    // Assess
    expect(JSON.parse(run.stdout)).toMatchObject({
      from: 'ledger',
      hood: BOTH.length + ONLY_HOOD.length,
      ledger: BOTH.length + LEDGER_ONLY.length,
      both: BOTH.length,
      missing: LEDGER_ONLY.length,
      onlyInHood: ONLY_HOOD.length,
      repaired: 0,
    });
    expect(run.code).toBe(1);
  });

  it('writes the missing contacts masked, with the Hood id the ledger recorded', async () => {
    // Prepare
    const { table } = await seededLedger([...BOTH, ...LEDGER_ONLY]);
    const d = tempDir('hood-blocker-reconcile-ledger-');
    dirs.push(d);
    const file = join(d.path, 'missing.csv');
    // Act
    await runCli(['reconcile', '--from', 'ledger', '--out', file], env(table));
    // Assess
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('contact,hood_id,blocked_at');
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',').slice(0, 2).join(','))
        .sort(),
    ).toEqual(LEDGER_ONLY.map((c, i) => `${maskContact(c)},hood-${BOTH.length + i}`).sort());
  });

  it('refuses --reveal: the ledger has no contact in clear', async () => {
    const { table } = await seededLedger([]);
    const run = await runCli(['reconcile', '--from', 'ledger', '--out', 'x.csv', '--reveal'], env(table));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no contact in clear/u);
  });

  it('--repair clears the missing contacts’ ledger state, so their next opt-out is claimed again', async () => {
    // Prepare
    const { table, ledger } = await seededLedger([...BOTH, ...LEDGER_ONLY]);
    // Act
    const repaired = await runCli(['reconcile', '--from', 'ledger', '--repair', '--json'], env(table));
    const again = await runCli(['reconcile', '--from', 'ledger', '--json'], env(table));
    // Assess
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ missing: LEDGER_ONLY.length, repaired: LEDGER_ONLY.length });
    expect(JSON.parse(again.stdout)).toMatchObject({ ledger: BOTH.length, both: BOTH.length, missing: 0 });
    expect(again.code).toBe(0);
    expect((await ledger.claim(LEDGER_ONLY[0]!, 1000)).kind).toBe('claimed');
    expect((await ledger.claim(BOTH[0]!, 1000)).kind).toBe('blocked');
    expect((await ledger.why(LEDGER_ONLY[1]!))?.events.map((e) => e.outcome)).toEqual(['blocked', 'forgotten']);
  });

  it('--repair clears nothing when Hood’s list comes back masked (read_gdpr_fields not honoured)', async () => {
    // Prepare: a proxy in front of the sandbox that drops read_gdpr_fields, as a token without GDPR rights would see it
    const { table, ledger } = await seededLedger([...BOTH, ...LEDGER_ONLY]);
    const proxy = await maskingProxy(hood.origin);
    try {
      // Act
      const run = await runCli(
        ['reconcile', '--from', 'ledger', '--repair', '--json'],
        env(table, `${proxy.origin}${new URL(hood.url).pathname}`),
      );
      // Assess
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({
        hood: 0,
        hoodUnreadable: BOTH.length + ONLY_HOOD.length,
        repaired: 0,
      });
      expect((await ledger.claim(BOTH[0]!, 1000)).kind).toBe('blocked');
    } finally {
      await new Promise((r) => proxy.server.close(r));
    }
  });

  it('says which variable is missing when no ledger is configured', async () => {
    const run = await runCli(['reconcile', '--from', 'ledger'], { HOOD_API_URL: hood.url, HOOD_API_TOKEN: TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/LEDGER_TABLE/u);
  });
});

describe('hood-blocker reconcile --from <provider> --enqueue-missing with a ledger', () => {
  it('clears the stale ledger state of the missing contacts before queueing them', async () => {
    // Prepare: 12..14 are missing from Hood but the ledger still holds them as blocked (an admin removed them)
    const stale = ['unsubscribes12@example.com', 'unsubscribes13@example.com', 'unsubscribes14@example.com'];
    const { table, ledger } = await seededLedger([...BOTH, ...stale]);
    // Act
    const run = await runCli(['reconcile', '--from', 'sendgrid', '--enqueue-missing', '--json'], {
      ...env(table),
      SENDGRID_API_KEY: SG_KEY,
      SENDGRID_API_URL: standin.url,
      BULK_QUEUE_URL: queues.bulkQueueUrl,
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
    });
    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ missing: 8, queued: 8, ledgerCleared: stale.length });
    for (const c of stale) expect((await ledger.claim(c, 1000)).kind).toBe('claimed');
    expect((await ledger.claim(BOTH[0]!, 1000)).kind).toBe('blocked');
    const bodies = (await receiveAll(sqsClientFor(queues), queues.bulkQueueUrl, 8)).map(
      (m) => (JSON.parse(m.Body!) as { contact: string }).contact,
    );
    expect(bodies.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `unsubscribes${i + 12}@example.com`).sort());
  });
});

/** Forwards to `target` with `read_gdpr_fields` removed from the query. */
async function maskingProxy(target: string): Promise<{ server: Server; origin: string }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    url.searchParams.delete('read_gdpr_fields');
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
