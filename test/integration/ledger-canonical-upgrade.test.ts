import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileLedger } from '../../lib/import/reconcile.js';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import type { LedgerEvent } from '../../lib/ledger/types.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { runCli } from '../cli/helpers.js';

/**
 * Upgrading a ledger written by the release before issue 19 (commit below, the base of that work): its
 * items keep an IDN address under the key of its U-label (`jane@bücher.de`) and event ids as the
 * providers gave them. The new release finds the old keys (claim, why, forget, reconcile), shows old event
 * ids only keyed, `ledger-rekey` rewrites them in the table, and the old release still reads what the new
 * one writes (both run during a deploy).
 */
const PREVIOUS_RELEASE = 'c3310c75633c6a8ea2deac683ddf068687b2836f';
const HASH_KEY = 'upgrade-test-key-0123456789abcdef';

function hasCommit(): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type OldLedgerModule = typeof import('../../lib/ledger/dynamo.js');
let dynamo: LocalDynamo;
let oldTree: string | undefined;
let old: OldLedgerModule | undefined;
let seq = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-upgrade-keys' });
  if (!hasCommit()) return;
  oldTree = mkdtempSync(join(tmpdir(), 'hood-blocker-previous-'));
  execFileSync('sh', ['-c', `git archive ${PREVIOUS_RELEASE} lib | tar -x -C '${oldTree}'`]);
  symlinkSync(resolve('node_modules'), join(oldTree, 'node_modules'), 'dir');
  old = (await import(pathToFileURL(join(oldTree, 'lib/ledger/dynamo.ts')).href)) as OldLedgerModule;
});
afterAll(async () => {
  await dynamo.stop();
  if (oldTree) rmSync(oldTree, { recursive: true, force: true });
});

/** The same table and key, as the previous release and as this one (each test its own key). */
function ledgers() {
  const hashKey = `${HASH_KEY}-${(seq += 1)}`;
  const options = { table: dynamo.table, client: dynamo.client, hashKey, blockedDays: 30, historyDays: 400 };
  return { hashKey, previous: new old!.DynamoLedger(options), current: new DynamoLedger(options) };
}

const at = '2026-01-05T10:00:00.000Z';
const event = (outcome: string, eventId?: string): LedgerEvent => ({
  at,
  source: 'ses',
  reason: 'complaint',
  outcome,
  ...(eventId ? { eventId } : {}),
});
const SES_ID = '"José Müller" <José.Müller@Bücher.de> 0102018c-feedback';

/** What the previous release wrote for an SES complaint about josé@bücher.de (its canonical form then). */
async function writtenByPrevious(previous: InstanceType<OldLedgerModule['DynamoLedger']>): Promise<void> {
  await previous.claim('josé@bücher.de', 60_000);
  await previous.markBlocked('josé@bücher.de', { hoodId: '7001', event: event('blocked', SES_ID) });
}

describe.skipIf(!hasCommit())('a ledger written by the previous release (issue 19 items 3 and 8)', () => {
  it('still answers blocked for an IDN address it keyed by its U-label, whatever the writing', async () => {
    // Prepare
    const { previous, current } = ledgers();
    await writtenByPrevious(previous);
    // Act
    const claims = await Promise.all(
      ['josé@xn--bcher-kva.de', 'JOSÉ@BÜCHER.DE', '"José" <jose\u0301@bücher.de>'].map((c) => current.claim(c, 60_000)),
    );
    // Assess
    expect(claims.map((c) => c.kind)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(claims[0]).toMatchObject({ hoodId: '7001' });
  });

  it('tells its story through `why`, the old event id shown keyed only', async () => {
    // Prepare
    const { previous, current } = ledgers();
    await writtenByPrevious(previous);
    // Act
    const story = await current.why('josé@xn--bcher-kva.de');
    // Assess
    expect(story).toMatchObject({
      status: 'blocked',
      hoodId: '7001',
      events: [{ at, source: 'ses', reason: 'complaint', outcome: 'blocked', eventId: current.eventKey(SES_ID) }],
    });
  });

  it('forgets it under the old key too, so its next opt-out goes to Hood again', async () => {
    // Prepare
    const { previous, current } = ledgers();
    await writtenByPrevious(previous);
    // Act
    const forgotten = await current.forget('josé@xn--bcher-kva.de', {
      at,
      source: 'cli',
      reason: 'manual',
      outcome: 'forgotten',
    });
    const claim = await current.claim('josé@xn--bcher-kva.de', 60_000);
    // Assess
    expect(forgotten).toBe(true);
    expect(claim.kind).toBe('claimed');
  });

  it('matches it against Hood’s list in reconcile --from ledger (not reported missing)', async () => {
    // Prepare
    const { previous, current } = ledgers();
    await writtenByPrevious(previous);
    const mine = new Set(current.contactKeys('josé@xn--bcher-kva.de'));
    const onlyMine = {
      contactKey: (c: string) => current.contactKey(c),
      contactKeys: (c: string) => current.contactKeys(c),
      blockedContacts: () => filtered(current, mine),
    };
    // Act
    const counts = await reconcileLedger({
      hoodPages: pages([{ contact: 'josé@xn--bcher-kva.de' }]),
      ledger: onlyMine,
    });
    // Assess
    expect(counts).toMatchObject({ hood: 1, ledger: 1, both: 1, missing: 0, onlyInHood: 0 });
  });

  it('rewrites the old history with keyed event ids (ledger-rekey), once', async () => {
    // Prepare
    const { hashKey, previous, current } = ledgers();
    await writtenByPrevious(previous);
    await previous.record('+38761234567', {
      at,
      source: '+38761234567',
      reason: 'sms_opt_out',
      outcome: 'retried',
      eventId: 'SM38761234567',
    });
    const env = {
      LEDGER_TABLE: dynamo.table,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: dynamo.region,
      LEDGER_HASH_KEY: hashKey,
    };
    // Act
    const first = await runCli(['ledger-rekey', '--json'], env);
    const second = await runCli(['ledger-rekey', '--json'], env);
    const dump = JSON.stringify(
      (await dynamo.client.send(new ScanCommand({ TableName: dynamo.table }))).Items,
    ).toLowerCase();
    // Assess
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).rewritten).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(second.stdout).rewritten).toBe(0);
    for (const clear of ['josé.müller', 'jose\u0301.mu\u0308ller', '8761234567', '"josé müller"'])
      expect(dump).not.toContain(clear);
    expect((await current.why('+38761234567'))?.events).toEqual([
      {
        at,
        source: expect.stringMatching(/^k#/u),
        reason: 'sms_opt_out',
        outcome: 'retried',
        eventId: current.eventKey('SM38761234567'),
      },
    ]);
  });

  it('is read by the previous release too while both run (a deploy): its why shows the new items', async () => {
    // Prepare
    const { previous, current } = ledgers();
    await current.claim('jane@example.com', 60_000);
    await current.markBlocked('jane@example.com', { hoodId: '7002', event: event('blocked', 'ses-feedback-1') });
    // Act
    const story = await previous.why('jane@example.com');
    // Assess
    expect(story).toMatchObject({
      status: 'blocked',
      hoodId: '7002',
      events: [{ at, outcome: 'blocked', eventId: current.eventKey('ses-feedback-1') }],
    });
  });
});

describe('hood-blocker why --event', () => {
  it('shows only the events of one provider event id, found by its keyed form', async () => {
    // Prepare
    const hashKey = `${HASH_KEY}-cli`;
    const ledger = new DynamoLedger({
      table: dynamo.table,
      client: dynamo.client,
      hashKey,
      blockedDays: 30,
      historyDays: 400,
    });
    await ledger.record('kate@example.com', event('retried', 'feedback-1'));
    await ledger.record('kate@example.com', event('ignored', 'feedback-2'));
    const env = {
      LEDGER_TABLE: dynamo.table,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: dynamo.region,
      LEDGER_HASH_KEY: hashKey,
    };
    // Act
    const r = await runCli(['why', 'Kate <KATE@example.com>', '--event', 'feedback-2', '--json'], env);
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).events).toEqual([
      { at, source: 'ses', reason: 'complaint', outcome: 'ignored', eventId: ledger.eventKey('feedback-2') },
    ]);
  });
});

async function* pages(items: { contact: string }[]) {
  yield {
    page: 1,
    total: items.length,
    items: items.map((i, n) => ({ id: String(n), contact: i.contact, type: 'email' })),
  } as never;
}

async function* filtered(ledger: DynamoLedger, keys: ReadonlySet<string>) {
  for await (const page of ledger.blockedContacts()) yield page.filter((e) => keys.has(e.key));
}
