import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { type ListData, type Standin, startStandin } from '../../dev/suppression-standins.js';
import { receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir, writeStateFor } from './helpers.js';

/** The providers with a suppression-list reader and a stand-in (dev/<name>-api.ts). */
type ImportProvider = 'ses' | 'sendgrid' | 'mailgun' | 'postmark' | 'brevo' | 'sparkpost' | 'mandrill';

const KEY = 'cli-test-key-51f0a3';
let queues: LocalQueues;
let standin: Standin | undefined;
const dirs: { remove(): void }[] = [];

beforeAll(async () => {
  queues = await startLocalQueues();
});
afterAll(async () => {
  await queues.stop();
});
afterEach(async () => {
  await standin?.close();
  standin = undefined;
  for (const d of dirs.splice(0)) d.remove();
});

function dir(): string {
  const d = tempDir('hood-blocker-import-');
  dirs.push(d);
  return d.path;
}

async function serve(provider: ImportProvider, lists: Record<string, ListData>): Promise<Record<string, string>> {
  standin = await startStandin({ provider, lists, apiKey: KEY });
  const sqsEnv = {
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  if (provider === 'ses') return { ...sqsEnv, AWS_ENDPOINT_URL_SESV2: standin.url };
  const keyVar = {
    sendgrid: 'SENDGRID_API_KEY',
    mailgun: 'MAILGUN_API_KEY',
    postmark: 'POSTMARK_SERVER_TOKEN',
    brevo: 'BREVO_API_KEY',
    sparkpost: 'SPARKPOST_API_KEY',
    mandrill: 'MANDRILL_API_KEY',
  }[provider];
  return {
    ...sqsEnv,
    [keyVar]: KEY,
    [`${provider.toUpperCase()}_API_URL`]: standin.url,
    MAILGUN_DOMAIN: 'mg.example.com',
  };
}

describe('hood-blocker import --dry-run --json', () => {
  it('prints the contract object: source, distinct contacts, counts by reason, nothing queued', async () => {
    const env = await serve('sendgrid', {
      bounces: { count: 30 },
      spam_reports: { count: 4 },
      unsubscribes: { count: 2 },
    });
    const run = await runCli(['import', 'sendgrid', '--dry-run', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      source: 'sendgrid',
      contacts: 36,
      byReason: { hard_bounce: 30, complaint: 4, unsubscribe: 2 },
      queued: 0,
    });
  });

  it('works for SES with --local against a running pipeline, sending nothing', async () => {
    const env = await serve('ses', { bounce: { count: 1200 }, complaint: { count: 5 } });
    const stateDir = dir();
    writeStateFor(stateDir, queues);
    const run = await runCli(['import', 'ses', '--local', '--state-dir', stateDir, '--dry-run', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      source: 'ses',
      contacts: 1205,
      byReason: { hard_bounce: 1200, complaint: 5 },
      queued: 0,
    });
    expect(await receiveAll(sqsClientFor(queues), queues.bulkQueueUrl, 10)).toHaveLength(0);
  });

  it('honours --since and --types', async () => {
    const env = await serve('mandrill', {
      rejects: {
        rows: [
          { email: 'old@example.com', reason: 'unsub', created_at: '2020-01-01 00:00:00', expired: false },
          { email: 'new@example.com', reason: 'unsub', created_at: '2025-06-01 00:00:00', expired: false },
        ],
      },
    });
    const run = await runCli(
      ['import', 'mandrill', '--since', '2025-01-01', '--types', 'rejects', '--dry-run', '--json'],
      env,
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ contacts: 1, skipped: { before_since: 1 } });
    const bad = await runCli(['import', 'mandrill', '--types', 'blocks', '--dry-run'], env);
    expect(bad.code).toBe(2);
  });
});

describe('hood-blocker import onto the bulk queue', () => {
  it("puts one normalised message per contact on the local pipeline's bulk queue", async () => {
    const env = await serve('brevo', { blocked_contacts: { count: 130 } });
    const stateDir = dir();
    writeStateFor(stateDir, queues);
    const run = await runCli(['import', 'brevo', '--local', '--state-dir', stateDir, '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      source: 'brevo',
      contacts: 130,
      queued: 130,
      queueUrl: queues.bulkQueueUrl,
      complete: true,
    });
    const messages = await receiveAll(sqsClientFor(queues), queues.bulkQueueUrl, 200);
    const bodies = messages.map((m) => JSON.parse(m.Body!) as Record<string, string>);
    expect(bodies).toHaveLength(130);
    expect(new Set(bodies.map((b) => b.contact)).size).toBe(130);
    expect(
      bodies.every((b) => b.source === 'import:brevo' && typeof b.eventId === 'string' && b.reason !== undefined),
    ).toBe(true);
    expect(await receiveAll(sqsClientFor(queues), queues.blockQueueUrl, 10)).toHaveLength(0);
  });

  it('falls back to BLOCK_QUEUE_URL with a warning when BULK_QUEUE_URL is unset', async () => {
    const env = await serve('sendgrid', { unsubscribes: { count: 3 } });
    const run = await runCli(['import', 'sendgrid', '--json'], { ...env, BLOCK_QUEUE_URL: queues.blockQueueUrl });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/no bulk queue/u);
    expect(await receiveAll(sqsClientFor(queues), queues.blockQueueUrl, 10)).toHaveLength(3);
  });

  it('stops at a failure with its cursor saved, and --resume finishes without re-reading finished pages', async () => {
    // Prepare: 1,100 bounces (pages of 500) + 3 unsubscribes; the API rejects the request after the first page
    const env = await serve('sendgrid', { bounces: { count: 1100 }, unsubscribes: { count: 3 } });
    const cursorFile = join(dir(), 'cursor.json');
    const args = ['import', 'sendgrid', '--queue-url', queues.bulkQueueUrl, '--cursor-file', cursorFile, '--json'];
    // The stand-in answers the first page, then a permanent 400 (not retried): the run stops after page 1.
    standin!.breakAfter(1, { status: 400, body: '{"errors":[{"message":"bad request"}]}' });
    const interrupted = await runCli(args, env);
    const pages = (JSON.parse(interrupted.stdout) as { pages: number }).pages;
    expect(pages).toBe(1);
    expect(interrupted.code).toBe(1);
    expect(existsSync(cursorFile)).toBe(true);
    // Act
    standin!.heal();
    const before = standin!.requests();
    const resumed = await runCli([...args, '--resume'], env);
    // Assess
    expect(resumed.code).toBe(0);
    const out = JSON.parse(resumed.stdout) as { contacts: number; queued: number; resumed: boolean };
    expect(out).toMatchObject({ resumed: true, queued: 1103 });
    // the bounce pages not yet read, then one page each of spam_reports (empty) and unsubscribes
    expect(standin!.requests() - before).toBe(Math.ceil(1100 / 500) - pages + 2);
    expect(existsSync(cursorFile)).toBe(false);
    const bodies = (await receiveAll(sqsClientFor(queues), queues.bulkQueueUrl, 2000)).map(
      (m) => (JSON.parse(m.Body!) as { contact: string }).contact,
    );
    expect(new Set(bodies).size).toBe(1103);
  });
});

describe('hood-blocker import errors', () => {
  it('names a missing credential without printing anything secret', async () => {
    const run = await runCli(['import', 'postmark', '--dry-run'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/POSTMARK_SERVER_TOKEN/u);
  });

  it('never prints the key when the provider refuses it', async () => {
    const env = await serve('sparkpost', { suppression_list: { count: 1 } });
    const wrong = 'wrong-sparkpost-key-77aa';
    const run = await runCli(['import', 'sparkpost', '--dry-run'], { ...env, SPARKPOST_API_KEY: wrong });
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toMatch(/refused/u);
    expect(`${run.stdout}${run.stderr}`).not.toContain(wrong);
  });

  it('rejects an unknown provider with exit code 2', async () => {
    const run = await runCli(['import', 'hotmail', '--dry-run'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown provider/u);
  });
});
