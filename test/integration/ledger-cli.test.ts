import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { writeLocalState } from '../../dev/state.js';
import { runCli, tempDir } from '../cli/helpers.js';

/** `hood-blocker why` and `forget` against a real DynamoDB API (dynalite), through the CLI's own main. */
const HASH_KEY = 'cli-ledger-test-key-7f3a9d2e41';
let dynamo: LocalDynamo;
let ledger: DynamoLedger;
let env: Record<string, string>;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-cli' });
  ledger = new DynamoLedger({
    table: dynamo.table,
    client: dynamo.client,
    hashKey: HASH_KEY,
    blockedDays: 30,
    historyDays: 400,
  });
  env = {
    LEDGER_TABLE: dynamo.table,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: dynamo.region,
    LEDGER_HASH_KEY: HASH_KEY,
  };
  // A blocked contact with its story, and one whose claim is still running.
  await ledger.record('blocked.person@example.com', {
    at: '2026-03-01T10:00:00.000Z',
    source: 'ses',
    reason: 'complaint',
    outcome: 'retried',
    eventId: 'ses-1',
  });
  await ledger.claim('blocked.person@example.com', 60_000);
  await ledger.markBlocked('blocked.person@example.com', {
    hoodId: '1016',
    event: { at: '2026-03-01T10:00:05.000Z', source: 'ses', reason: 'complaint', outcome: 'blocked', eventId: 'ses-1' },
  });
  await ledger.claim('+38761234567', 600_000);
});
afterAll(async () => {
  await dynamo.stop();
});

describe('hood-blocker why', () => {
  it('prints a blocked contact’s story as the contract’s JSON and exits 0', async () => {
    // Act
    const r = await runCli(['why', 'Blocked.Person@Example.com', '--json'], env);
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      contact: 'b***@e***.com',
      status: 'blocked',
      hoodId: '1016',
      events: [
        // The provider's event id as the ledger keeps it: keyed (issue 19 item 8), the same for the same id.
        {
          at: '2026-03-01T10:00:00.000Z',
          source: 'ses',
          reason: 'complaint',
          outcome: 'retried',
          eventId: ledger.eventKey('ses-1'),
        },
        {
          at: '2026-03-01T10:00:05.000Z',
          source: 'ses',
          reason: 'complaint',
          outcome: 'blocked',
          eventId: ledger.eventKey('ses-1'),
        },
      ],
    });
  });

  it('reports a contact whose claim is running as pending', async () => {
    // Act
    const r = await runCli(['why', '+387 61 234 567', '--json'], env);
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ contact: '+38*******67', status: 'pending', events: [] });
  });

  it('exits 1 for a contact the ledger knows nothing of', async () => {
    // Act
    const r = await runCli(['why', 'stranger@example.com', '--json'], env);
    // Assess
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ contact: 's***@e***.com', status: 'not_blocked', events: [] });
  });

  it('prints a short table for people, without the contact in clear', async () => {
    // Act
    const r = await runCli(['why', 'blocked.person@example.com'], env);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status\s+blocked \(Hood id 1016\)/u);
    expect(r.stdout).toMatch(/AT\s+SOURCE\s+REASON\s+OUTCOME\s+EVENT/u);
    expect(r.stdout).not.toContain('blocked.person@example.com');
  });

  it('exits 2 on something that is not a contact', async () => {
    // Act
    const r = await runCli(['why', 'ACME'], env);
    // Assess
    expect(r.code).toBe(2);
  });

  it('exits 2 when no ledger is configured', async () => {
    // Act
    const r = await runCli(['why', 'jane@example.com'], {});
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LEDGER_TABLE');
  });

  it('reads the running npm start’s ledger with --local', async () => {
    // Prepare
    const dir = tempDir();
    writeLocalState(dir.path, {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      sqs: {
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        blockQueueUrl: 'x',
        blockQueueArn: 'x',
        deadLetterQueueUrl: 'x',
        deadLetterQueueArn: 'x',
        sesTopicArn: 'x',
      },
      webhookUrl: 'http://127.0.0.1:1/webhooks',
      genericWebhookToken: 't',
      hood: { sandbox: true, url: 'http://127.0.0.1:1' },
      logFile: 'x',
      ledger: { endpoint: dynamo.endpoint, region: dynamo.region, table: dynamo.table, hashKey: HASH_KEY },
    });
    // Act
    const r = await runCli(['why', 'blocked.person@example.com', '--local', '--state-dir', dir.path, '--json'], {});
    dir.remove();
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hoodId).toBe('1016');
  });
});

describe('hood-blocker forget', () => {
  it('clears the blocked state, keeps the history, and exits 0', async () => {
    // Prepare
    await ledger.claim('forget.me@example.com', 60_000);
    await ledger.markBlocked('forget.me@example.com', {
      hoodId: '77',
      event: { at: '2026-03-02T00:00:00.000Z', source: 'sendgrid', reason: 'unsubscribe', outcome: 'blocked' },
    });
    // Act
    const r = await runCli(['forget', 'forget.me@example.com'], env);
    const after = await runCli(['why', 'forget.me@example.com', '--json'], env);
    // Assess
    expect(r.code).toBe(0);
    const story = JSON.parse(after.stdout);
    expect(story.status).toBe('not_blocked');
    expect(story.hoodId).toBeUndefined();
    expect(story.events.map((e: { outcome: string }) => e.outcome)).toEqual(['blocked', 'forgotten']);
  });

  it('exits 1 for a contact the ledger knows nothing of', async () => {
    // Act
    const r = await runCli(['forget', 'never.seen@example.com'], env);
    // Assess
    expect(r.code).toBe(1);
  });
});
