import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

// `hood-blocker start` as a user runs it (the built CLI in a child process), in shadow mode: its stdout holds
// only its own documents (no metric JSON), and its numbers say "would block" and count the bulk queue.

const CLI = resolve(process.env.HOOD_BLOCKER_CLI ?? 'dist/cli.mjs');
// Several contacts in one batch: the dry-run Hood answers at once, and every one of them must still be handled.
const SENT = 3;

beforeAll(() => {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
});

interface Run {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
  dir: ReturnType<typeof tempDir>;
  stderr: () => string;
}

function spawnStart(args: string[], shadow: boolean): Run {
  const dir = tempDir('hood-blocker-numbers-');
  const child = spawn(process.execPath, [CLI, 'start', '--port', '0', ...args], {
    cwd: dir.path,
    env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...(shadow ? { HOOD_DRY_RUN: 'true' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exit, dir, stderr: () => stderr };
}

async function until<T>(what: string, probe: () => T | undefined, debug?: () => string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${debug ? `: ${debug()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a pipeline (sandbox Hood), posts SENT contacts to the generic webhook, waits for them, stops it. */
async function startAndStop(json: boolean, shadow = true): Promise<string[]> {
  const run = spawnStart(json ? ['--json'] : [], shadow);
  try {
    const stateFile = resolve(run.dir.path, '.hood-blocker', 'local.json');
    const state = await until('the state file', () =>
      existsSync(stateFile)
        ? (JSON.parse(readFileSync(stateFile, 'utf8')) as {
            webhookUrl: string;
            genericWebhookToken: string;
            logFile: string;
          })
        : undefined,
    );
    const contacts = Array.from({ length: SENT }, (_, i) => ({
      contact: `shadow-${i}@example.com`,
      reason: 'unsubscribe',
    }));
    const res = await fetch(`${state.webhookUrl}/generic`, {
      method: 'POST',
      headers: { authorization: `Bearer ${state.genericWebhookToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(contacts),
    });
    expect(res.status).toBe(200);
    await until(
      'the would-be blocks',
      () => {
        const outcome = shadow ? '"outcome":"dry_run_blocked"' : '"outcome":"blocked"';
        const n = readFileSync(state.logFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes(outcome)).length;
        return n >= SENT ? true : undefined;
      },
      () =>
        `${readFileSync(state.logFile, 'utf8').slice(-1500)} stderr: ${run.stderr().slice(0, 1500)} stdout: ${run.lines.join('\n').slice(0, 500)}`,
    );
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    return run.lines;
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    run.dir.remove();
  }
}

describe('hood-blocker start: honest local numbers', () => {
  it('--json prints only its own documents: no metric JSON, and a stop summary that counts the bulk queue', async () => {
    // Act
    const lines = await startAndStop(true, false);

    // Assess
    const documents = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(documents.filter((d) => '_aws' in d)).toEqual([]);
    expect(documents.map((d) => d.event).filter((e) => e !== 'status')).toEqual(['ready', 'stopped']);
    const stopped = documents.find((d) => d.event === 'stopped');
    expect(stopped).toMatchObject({
      dryRun: false,
      counts: { blocked: SENT },
      bulkRemaining: { total: 0 },
      bulkDeadLetterQueue: { total: 0 },
    });
  });

  it('in shadow mode --json counts would-be blocks, never as blocked', async () => {
    // Act
    const lines = await startAndStop(true);

    // Assess
    const stopped = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((d) => d.event === 'stopped');
    expect(stopped).toMatchObject({ dryRun: true, counts: { blocked: 0, would_block: SENT } });
  });

  it('in shadow mode prints no metric JSON to the terminal, and its stop summary says "would block", never "blocked"', async () => {
    // Act
    const lines = await startAndStop(false);

    // Assess
    expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    const summary = lines.slice(lines.findIndex((l) => l.startsWith('Stopped')));
    expect(summary.join('\n')).toMatch(new RegExp(`would block +${SENT} new`, 'u'));
    expect(summary.join('\n')).not.toMatch(/\bblocked\b/u);
    expect(summary.join('\n')).toMatch(/0 on the bulk queue/u);
  });
});
