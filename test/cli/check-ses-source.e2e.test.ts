import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

// A source AWS delivers to the queue itself (SES through SNS raw delivery) is an expected source like a webhook
// provider (issue 21 item 9): under `npm start` with EXPECTED_SOURCES=ses:…, an SES notification published to the
// local SNS topic reaches the consumer, which records it, and `check --local` shows SES's last event.

const CLI = resolve(process.env.HOOD_BLOCKER_CLI ?? 'dist/cli.mjs');

beforeAll(() => {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
});

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `hood-blocker start` as a user runs it: the built CLI in a child process, on a free port, in its own directory. */
async function start(env: Record<string, string>) {
  const dir = tempDir('hood-blocker-ses-source-');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'start', '--port', '0', '--json'], {
    cwd: dir.path,
    env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<void>((r) => child.on('exit', () => r()));
  await waitFor('the ready line', () => {
    if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}: ${stderr}`);
    return lines.find((l) => l.includes('"event":"ready"'));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    dir.remove();
  };
  return { stateDir: join(dir.path, '.hood-blocker'), stop };
}

describe('npm start with EXPECTED_SOURCES=ses', () => {
  it('shows the last SES event, delivered by SNS to the queue, in check --local', async () => {
    // Prepare
    const pipeline = await start({ EXPECTED_SOURCES: 'ses:5m,generic:5m' });
    try {
      // Act: an SES complaint published to the local topic (raw delivery to the block queue, no webhook).
      const sent = await runCli(['send-test', 'sns', '--state-dir', pipeline.stateDir]);
      await waitFor('the consumer to record ses', () => {
        const file = join(pipeline.stateDir, 'sources.json');
        return existsSync(file) && readFileSync(file, 'utf8').includes('"ses"') ? true : undefined;
      });
      const result = await runCli(['check', '--local', '--state-dir', pipeline.stateDir]);

      // Assess
      expect(sent.code).toBe(0);
      expect(result.stdout).toMatch(/^ok +source ses +last event 0(\.\d)? min ago$/mu);
      expect(result.stdout).toMatch(/^ok +source generic +last request /mu);
      expect(result.stdout).not.toMatch(/^\S+ +source sns /mu);
    } finally {
      await pipeline.stop();
    }
  }, 60_000);
});
