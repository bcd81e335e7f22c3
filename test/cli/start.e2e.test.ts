import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

// `hood-blocker start` as a user runs it: the built CLI in a child process, on free ports, in its own
// working directory (so .hood-blocker/ lands there), driven over HTTP and stopped with signals.

// HOOD_BLOCKER_CLI runs these tests against another build of the CLI (e.g. an installed package).
const CLI = resolve(process.env.HOOD_BLOCKER_CLI ?? 'dist/cli.mjs');
const MAILGUN_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';

interface Ready {
  event: 'ready';
  webhookUrl: string;
  genericWebhookToken: string;
  hood: { sandbox: boolean; url: string; listUrl: string; token: string };
  sqs: { endpoint: string; blockQueueUrl: string };
  stateFile: string;
  logFile: string;
}

interface Stopped {
  event: 'stopped';
  drained: boolean;
  counts: Record<'blocked' | 'already_blocked' | 'deduplicated' | 'ignored' | 'dead_lettered', number>;
  done: number;
  remaining: { total: number };
}

interface Running {
  child: ChildProcess;
  dir: ReturnType<typeof tempDir>;
  lines: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

beforeAll(() => {
  // The suite's global setup builds dist/; a lone run of this file (or a custom HOOD_BLOCKER_CLI) may not.
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
});

/** Spawns the CLI with a clean environment: no inherited HOOD_API_TOKEN may switch it to the real Hood. */
function spawnCli(args: string[], env: Record<string, string> = {}, inDir?: ReturnType<typeof tempDir>): Running {
  const dir = inDir ?? tempDir('hood-blocker-start-');
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir.path,
    env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, dir, lines, stderr: () => stderr, exit };
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startPipeline(
  env: Record<string, string> = {},
  inDir?: ReturnType<typeof tempDir>,
): Promise<Running & { ready: Ready }> {
  const running = spawnCli(['start', '--port', '0', '--json'], env, inDir);
  const ready = await waitFor('the ready line', () => {
    if (running.child.exitCode !== null)
      throw new Error(`start exited with ${running.child.exitCode}: ${running.stderr()}`);
    const line = running.lines.find((l) => l.includes('"event":"ready"'));
    return line === undefined ? undefined : (JSON.parse(line) as Ready);
  });
  return { ...running, ready };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGTERM');
    await Promise.race([running.exit, new Promise((r) => setTimeout(r, 10_000))]);
    if (running.child.exitCode === null) running.child.kill('SIGKILL');
  }
  running.dir.remove();
}

/** What the sandbox Hood lists; an empty list when it answers 429 (listing counts against the same limits). */
async function blockedContacts(ready: Ready): Promise<string[]> {
  const res = await fetch(`${ready.hood.listUrl}&page=1,1000`, {
    headers: { authorization: `Bearer ${ready.hood.token}` },
  });
  if (res.status !== 200) return [];
  const body = (await res.json()) as { items: { contact: string }[] };
  return body.items.map((i) => i.contact);
}

function logEntries(ready: Ready): { component: string; message: string; correlationId?: string }[] {
  return readFileSync(ready.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { component: string; message: string; correlationId?: string });
}

function postGeneric(ready: Ready, payload: unknown): Promise<Response> {
  return fetch(`${ready.webhookUrl}/generic`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ready.genericWebhookToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
}

function mailgunBody(recipient: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', MAILGUN_KEY)
    .update(timestamp + token)
    .digest('hex');
  return JSON.stringify({
    signature: { timestamp, token, signature },
    'event-data': {
      event: 'unsubscribed',
      id: randomBytes(8).toString('hex'),
      timestamp: Date.now() / 1000,
      recipient,
    },
  });
}

describe('hood-blocker start: webhooks to the sandbox Hood', () => {
  let running: Running & { ready: Ready };

  beforeAll(async () => {
    running = await startPipeline({ MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY });
  });

  afterAll(async () => {
    await stop(running);
  });

  it('blocks a contact posted to the generic webhook with the printed token', async () => {
    // Act
    const res = await postGeneric(running.ready, { contact: 'jane@example.com', reason: 'unsubscribe' });

    // Assess
    expect(res.status).toBe(200);
    await waitFor('jane in the sandbox Hood', async () =>
      (await blockedContacts(running.ready)).includes('jane@example.com') ? true : undefined,
    );
  });

  it('blocks the recipient of a signed Mailgun unsubscribe', async () => {
    // Act
    const res = await fetch(`${running.ready.webhookUrl}/mailgun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: mailgunBody('Mallory@Example.com'),
    });

    // Assess
    expect(res.status).toBe(200);
    await waitFor('mallory in the sandbox Hood', async () =>
      (await blockedContacts(running.ready)).includes('mallory@example.com') ? true : undefined,
    );
  });

  it('refuses a Mailgun webhook with a bad signature', async () => {
    // Prepare
    const body = mailgunBody('eve@example.com').replace(/"signature":"[0-9a-f]{4}/u, '"signature":"0000');

    // Act
    const res = await fetch(`${running.ready.webhookUrl}/mailgun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

    // Assess
    expect(res.status).toBe(401);
  });

  it('carries one correlation id from the webhook log line to the consumer\'s "Blocked" line', async () => {
    // Prepare
    const res = await postGeneric(running.ready, { contact: 'trace-me@example.com', reason: 'complaint' });
    const { correlationId } = (await res.json()) as { correlationId: string };

    // Act
    const lines = await waitFor('the consumer log line', () => {
      const entries = logEntries(running.ready).filter((e) => e.correlationId === correlationId);
      return entries.some((e) => e.component === 'consumer' && e.message === 'Blocked') ? entries : undefined;
    });

    // Assess
    expect(lines.map((e) => `${e.component}: ${e.message}`)).toEqual(
      expect.arrayContaining(['webhook: webhook processed', 'consumer: Blocked']),
    );
  });

  it('writes the state file that --local commands read, tokens included', () => {
    // Act
    const state = JSON.parse(readFileSync(running.ready.stateFile, 'utf8')) as {
      sqs: { blockQueueUrl: string };
      genericWebhookToken: string;
    };

    // Assess
    expect(running.ready.stateFile).toBe(join(running.dir.path, '.hood-blocker', 'local.json'));
    expect(state).toMatchObject({
      sqs: { blockQueueUrl: running.ready.sqs.blockQueueUrl },
      genericWebhookToken: running.ready.genericWebhookToken,
    });
  });
});

describe('hood-blocker start: Ctrl-C while messages are in flight', () => {
  const SENT = 30;
  let running: Running & { ready: Ready };
  let code: number | null;
  let stopped: Stopped;

  beforeAll(async () => {
    // Prepare: a slow account (4/s) so that batches are still being worked on when the signal arrives.
    running = await startPipeline({ HOOD_RATE_LIMITS: '4/1s,150/1m' });
    const contacts = Array.from({ length: SENT }, (_, i) => ({
      contact: `drain-${i}@example.com`,
      reason: 'unsubscribe',
    }));
    expect((await postGeneric(running.ready, contacts)).status).toBe(200);
    // The log, not the sandbox's list: listing would spend the same small rate limit the consumer needs.
    await waitFor('a first blocked contact', () =>
      logEntries(running.ready).some((e) => e.message === 'Blocked') ? true : undefined,
    );

    // Act
    running.child.kill('SIGINT');
    code = await running.exit;
    stopped = JSON.parse(running.lines.find((l) => l.includes('"event":"stopped"')) ?? '{}') as Stopped;
  });

  afterAll(async () => {
    await stop(running);
  });

  it('exits 0', () => {
    // Assess
    expect(code).toBe(0);
  });

  it('lets every received batch finish before stopping', () => {
    // Assess
    expect(stopped.drained).toBe(true);
  });

  it('loses no message: blocked plus still queued equals sent', () => {
    // Assess
    const c = stopped.counts;
    expect(c.blocked + c.already_blocked + c.deduplicated + stopped.remaining.total).toBe(SENT);
    expect(c.ignored + c.dead_lettered).toBe(0);
  });

  it('removes its state file, so --local commands do not target a stopped pipeline', () => {
    // Assess
    expect(existsSync(running.ready.stateFile)).toBe(false);
  });
});

describe('hood-blocker start: a second Ctrl-C', () => {
  it('stops at once with exit code 130 while a slow drain is still running', async () => {
    // Prepare: 1 call/s to Hood, so draining two batches of 10 would take many seconds.
    const running = await startPipeline({ HOOD_RATE_LIMITS: '1/1s,150/1m' });
    try {
      const contacts = Array.from({ length: 30 }, (_, i) => ({ contact: `slow-${i}@example.com` }));
      await postGeneric(running.ready, contacts);
      await waitFor('a first blocked contact', () =>
        logEntries(running.ready).some((e) => e.message === 'Blocked') ? true : undefined,
      );
      running.child.kill('SIGINT');
      await waitFor('the drain to begin', () =>
        logEntries(running.ready).some((e) => e.message.startsWith('Stopping')) ? true : undefined,
      );
      // One Ctrl-C can arrive twice (terminal + npm forwarding it); only a later one counts as the second.
      await new Promise((r) => setTimeout(r, 1100));

      // Act
      running.child.kill('SIGINT');
      const code = await running.exit;

      // Assess: and it leaves neither a state file nor a lock that would name a dead pid.
      expect(code).toBe(130);
      expect(
        ['local.json', 'local.lock'].filter((f) => existsSync(join(running.dir.path, '.hood-blocker', f))),
      ).toEqual([]);
    } finally {
      await stop(running);
    }
  });
});

describe('hood-blocker start: startup', () => {
  it('prints a ready-to-paste curl example with the generated token', async () => {
    // Prepare
    const running = spawnCli(['start', '--port', '0']);
    try {
      // Act
      const curl = await waitFor('the curl example', () =>
        running.lines.find((l) => l.trim().startsWith('curl -sS -X POST')),
      );
      const url = /POST (\S+)/u.exec(curl)![1]!;
      const auth = /-H "Authorization: ([^"]+)"/u.exec(curl)![1]!;
      const body = /-d '([^']+)'/u.exec(curl)![1]!;
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
      });

      // Assess
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ queued: 1 });
    } finally {
      await stop(running);
    }
  });

  it('never prints, nor writes to its state file, a GENERIC_WEBHOOK_TOKEN the user supplied', async () => {
    // Prepare
    const secret = `user-chosen-${randomBytes(12).toString('hex')}`;
    const running = spawnCli(['start', '--port', '0'], { GENERIC_WEBHOOK_TOKEN: secret });
    try {
      // Act
      const curl = await waitFor('the curl example', () =>
        running.lines.find((l) => l.trim().startsWith('curl -sS -X POST')),
      );

      // Assess
      expect(curl).toContain('Bearer $GENERIC_WEBHOOK_TOKEN');
      expect(running.lines.join('\n')).not.toContain(secret);
      expect(readFileSync(join(running.dir.path, '.hood-blocker', 'local.json'), 'utf8')).not.toContain(secret);
    } finally {
      await stop(running);
    }
  });

  it('in shadow mode, says so to check --local', async () => {
    // Prepare
    const running = await startPipeline({ HOOD_DRY_RUN: 'true' });
    try {
      // Act
      const result = await runCli(['check', '--local', '--state-dir', join(running.dir.path, '.hood-blocker')]);

      // Assess
      expect(result.stdout).toMatch(/^warn +mode +SHADOW MODE \(HOOD_DRY_RUN=true, the local pipeline\)/mu);
    } finally {
      await stop(running);
    }
  });

  it('refuses a port that is in use with one clear line and exit code 1', async () => {
    // Prepare
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const running = spawnCli(['start', '--port', String(port)]);
    try {
      // Act
      const code = await running.exit;

      // Assess
      expect(code).toBe(1);
      expect(running.stderr().trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`, 'u')),
      ]);
    } finally {
      blocker.close();
      await stop(running);
    }
  });
});

describe('hood-blocker start: twice in one directory', () => {
  it('refuses the second one with the pid and port of the first, leaving its state file and log alone', async () => {
    // Prepare
    const first = await startPipeline();
    try {
      const stateBefore = readFileSync(first.ready.stateFile, 'utf8');
      const port = new URL(first.ready.webhookUrl).port;

      // Act
      const second = spawnCli(['start', '--port', '0'], {}, first.dir);
      const code = await second.exit;

      // Assess
      expect(code).toBe(1);
      expect(second.stderr().trim()).toMatch(
        new RegExp(`already running in .* \\(pid ${first.child.pid}, port ${port}\\)`, 'u'),
      );
      expect(readFileSync(first.ready.stateFile, 'utf8')).toBe(stateBefore);
      expect(logEntries(first.ready).some((e) => e.message === 'Local pipeline ready')).toBe(true);
    } finally {
      await stop(first);
    }
  });

  it("keeps the previous run's log as local.log.1", async () => {
    // Prepare
    const dir = tempDir('hood-blocker-start-');
    const first = await startPipeline({}, dir);
    first.child.kill('SIGTERM');
    await first.exit;

    // Act
    const second = await startPipeline({}, dir);
    try {
      // Assess
      const previous = readFileSync(join(dir.path, '.hood-blocker', 'local.log.1'), 'utf8');
      expect(previous).toContain('Local pipeline ready');
      expect(previous).toContain('"message":"Stopped"');
      expect(readFileSync(second.ready.logFile, 'utf8')).not.toContain('"message":"Stopped"');
    } finally {
      await stop(second);
    }
  });
});
