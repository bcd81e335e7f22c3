import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { runCli, tempDir } from './helpers.js';

// `npm start` as a user runs it (the built CLI in a child process), then `import … --local` and
// `reconcile … --local` against it, as the "try it" of docs/operate.md does.
const CLI = resolve('dist/cli.mjs');
const COUNT = 15; // per SendGrid list: 45 contacts
let child: ChildProcess;
let dir: ReturnType<typeof tempDir>;
let ready: { hood: { listUrl: string; token: string }; sqs: { bulkQueueUrl?: string } };
let sendgrid: Standin;
let ses: Standin;

beforeAll(async () => {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
  dir = tempDir('hood-blocker-import-start-');
  child = spawn(process.execPath, [CLI, 'start', '--port', '0', '--json'], {
    cwd: dir.path,
    env: { PATH: process.env.PATH ?? '', HOME: dir.path, HOOD_RATE_LIMITS: '10/100ms,300/6s' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const deadline = Date.now() + 30_000;
  while (!lines.some((l) => l.includes('"event":"ready"'))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('start did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  ready = JSON.parse(lines.find((l) => l.includes('"event":"ready"'))!) as typeof ready;
  sendgrid = await startStandin({
    provider: 'sendgrid',
    lists: { bounces: { count: COUNT }, spam_reports: { count: COUNT }, unsubscribes: { count: COUNT } },
  });
  ses = await startStandin({ provider: 'ses', lists: { bounce: { count: 1500 }, complaint: { count: 20 } } });
});
afterAll(async () => {
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  await sendgrid.close();
  await ses.close();
  dir.remove();
});

describe('npm start + import --local + reconcile --local', () => {
  it('writes the bulk queue into local.json', () => {
    const state = JSON.parse(readFileSync(join(dir.path, '.hood-blocker', 'local.json'), 'utf8')) as {
      sqs: { bulkQueueUrl?: string };
    };
    expect(state.sqs.bulkQueueUrl).toMatch(/hood-blocker-bulk$/u);
  });

  it('import ses --local --dry-run counts the SES list and sends nothing', async () => {
    const run = await runCli(
      ['import', 'ses', '--local', '--state-dir', join(dir.path, '.hood-blocker'), '--dry-run', '--json'],
      { AWS_ENDPOINT_URL_SESV2: ses.url },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      source: 'ses',
      contacts: 1520,
      byReason: { hard_bounce: 1500, complaint: 20 },
      queued: 0,
    });
  });

  it('an ESP import is blocked through the bulk queue, and reconcile then reports 0 missing', async () => {
    const env = { SENDGRID_API_URL: sendgrid.url, SENDGRID_API_KEY: 'try', HOOD_RATE_LIMITS: '10/100ms,300/6s' };
    const stateDir = join(dir.path, '.hood-blocker');
    const imported = await runCli(['import', 'sendgrid', '--local', '--state-dir', stateDir, '--json'], env);
    expect(JSON.parse(imported.stdout)).toMatchObject({ queued: 3 * COUNT, queueUrl: ready.sqs.bulkQueueUrl });
    const deadline = Date.now() + 45_000;
    let total = 0;
    while (total < 3 * COUNT && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await fetch(ready.hood.listUrl, { headers: { authorization: `Bearer ${ready.hood.token}` } });
      total = ((await res.json()) as { total: number }).total;
    }
    const reconciled = await runCli(
      ['reconcile', '--from', 'sendgrid', '--local', '--state-dir', stateDir, '--json'],
      env,
    );
    expect(JSON.parse(reconciled.stdout)).toMatchObject({
      hood: 3 * COUNT,
      source: 3 * COUNT,
      both: 3 * COUNT,
      missing: 0,
      onlyInHood: 0,
    });
    expect(reconciled.code).toBe(0);
  });
});
