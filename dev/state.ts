import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writePrivateFile } from '../lib/private-file.js';

/**
 * What `hood-blocker start` writes to `.hood-blocker/local.json` so that `enqueue`, `dlq` and `check`
 * with `--local` can reach the running pipeline. Its queues live only in that process's memory, so the
 * file is only useful while the process runs: it records the pid and is removed on a clean stop.
 */
export interface LocalState {
  version: 1;
  pid: number;
  startedAt: string;
  sqs: {
    endpoint: string;
    region: string;
    blockQueueUrl: string;
    blockQueueArn: string;
    deadLetterQueueUrl: string;
    deadLetterQueueArn: string;
    /** The providers' local topics (`LocalTopic`), by the key each declares (`sesTopicArn`). */
    [topicArn: `${string}TopicArn`]: string;
    /** Imports and backfills (`BULK_QUEUE_URL`); absent in state files of older versions. */
    bulkQueueUrl?: string;
    bulkQueueArn?: string;
    bulkDeadLetterQueueUrl?: string;
    bulkDeadLetterQueueArn?: string;
  };
  /** `http://127.0.0.1:<port>/webhooks`; append `/<provider>`. */
  webhookUrl: string;
  /**
   * The generated webhook token, under the key its provider declares (`GeneratedLocally`), only when `start`
   * generated it: a token the user supplied is never written or printed.
   */
  [generatedToken: `${string}WebhookToken`]: string | undefined;
  hood: {
    /** True when the consumer calls the built-in sandbox; false when it calls the real Hood. */
    sandbox: boolean;
    url: string;
    /** Only for the sandbox: the real Hood token is never written to disk. */
    token?: string;
    listUrl?: string;
    /** HOOD_DRY_RUN: shadow mode, nothing is sent to Hood (shown by `check --local`). */
    dryRun?: boolean;
  };
  logFile: string;
  /** The embedded ledger (dynalite) and this session's hash key: `why --local`, `forget --local`. */
  ledger?: { endpoint: string; region: string; table: string; hashKey: string };
  /** EXPECTED_SOURCES as `start` read it: `check --local` says when one went quiet (dev/source-activity.ts). */
  expectedSources?: Array<{ name: string; quietMs: number }>;
}

export const DEFAULT_STATE_DIR = '.hood-blocker';
export const STATE_FILE = 'local.json';
export const LOG_FILE = 'local.log';

export function stateFilePath(stateDir: string): string {
  return resolve(join(stateDir, STATE_FILE));
}

export function logFilePath(stateDir: string): string {
  return resolve(join(stateDir, LOG_FILE));
}

/** Creates the directory owner-only: the file holds the generated webhook and sandbox tokens. */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}

export function writeLocalState(stateDir: string, state: LocalState): string {
  ensureStateDir(stateDir);
  const path = stateFilePath(stateDir);
  // 0600 from the first byte, also over a file left by an earlier run (an open mode applies only when it creates).
  writePrivateFile(path, `${JSON.stringify(state, null, 2)}\n`);
  return path;
}

/** Removes the state file only if it is this process's (a second `start` may have replaced it). */
export function removeLocalState(stateDir: string, pid: number = process.pid): void {
  const path = stateFilePath(stateDir);
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalState>;
    if (state.pid !== pid) return;
  } catch {
    return;
  }
  rmSync(path, { force: true });
}

export type ReadLocalStateResult =
  | { ok: true; state: LocalState; path: string }
  | { ok: false; path: string; problem: 'missing' | 'unreadable' | 'not_running'; message: string };

/** Reads the state file and checks that the process that wrote it is still alive. */
export function readLocalState(stateDir: string): ReadLocalStateResult {
  const path = stateFilePath(stateDir);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return {
      ok: false,
      path,
      problem: 'missing',
      message: `no local pipeline found (${path} does not exist): start one with "npm start" in this directory, or pass --state-dir`,
    };
  }
  let state: LocalState;
  try {
    state = JSON.parse(raw) as LocalState;
    if (state.version !== 1 || typeof state.pid !== 'number' || typeof state.sqs?.blockQueueUrl !== 'string')
      throw new Error('shape');
  } catch {
    return {
      ok: false,
      path,
      problem: 'unreadable',
      message: `${path} is not a hood-blocker state file; delete it and run "npm start" again`,
    };
  }
  if (!isAlive(state.pid)) {
    return {
      ok: false,
      path,
      problem: 'not_running',
      message: `the local pipeline that wrote ${path} (pid ${state.pid}) is no longer running: start it again with "npm start"`,
    };
  }
  return { ok: true, state, path };
}

function isAlive(pid: number): boolean {
  try {
    // Signal 0 checks for existence without delivering anything.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const LOCK_FILE = 'local.lock';

export type StartLock =
  | { ok: true; release(): void }
  | { ok: false; pid: number; port: number | undefined; message: string };

/**
 * One `start` per state directory. Taken before anything else is touched (state file, log), so that a
 * second `npm start` in the same directory cannot overwrite the first one's `local.json` (which the
 * `--local` commands read) or its log. The lock file is created exclusively (`wx`): of two starts at the
 * same moment exactly one wins. A lock left by a process that died is taken over.
 */
export function acquireStartLock(stateDir: string, pid: number = process.pid): StartLock {
  ensureStateDir(stateDir);
  const path = resolve(join(stateDir, LOCK_FILE));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    // A running pipeline started before this lock existed still announces itself through local.json.
    const running = readLocalState(stateDir);
    if (running.ok && running.state.pid !== pid) return held(stateDir, running.state.pid);
    try {
      writeFileSync(path, `${JSON.stringify({ pid })}\n`, { flag: 'wx', mode: 0o600 });
      return {
        ok: true,
        release: () => {
          if (lockHolder(path) === pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(path);
    if (holder !== undefined && isAlive(holder)) return held(stateDir, holder);
    // Stale: its process is gone (killed, crashed). Take it over once; a racing start may win instead.
    rmSync(path, { force: true });
  }
  const holder = lockHolder(path) ?? 0;
  return held(stateDir, holder);
}

function lockHolder(path: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function held(stateDir: string, pid: number): StartLock {
  let port: number | undefined;
  try {
    const state = JSON.parse(readFileSync(stateFilePath(stateDir), 'utf8')) as Partial<LocalState>;
    if (state.pid === pid && typeof state.webhookUrl === 'string')
      port = Number(new URL(state.webhookUrl).port) || undefined;
  } catch {
    // Still starting (no state file yet): the port is not known.
  }
  return {
    ok: false,
    pid,
    port,
    message:
      `already running in ${resolve(stateDir)} (pid ${pid}, port ${port ?? 'not yet listening'}): ` +
      `stop it first (Ctrl-C in its terminal, or kill ${pid}), or run another one with --state-dir DIR --port N`,
  };
}

/**
 * Keeps the previous runs' logs: `local.log` → `local.log.1` → … → `local.log.<keep>` (the oldest is
 * dropped). Called only while holding the start lock, so a refused second start rotates nothing.
 */
export function rotateLog(path: string, keep = 3): void {
  for (let i = keep - 1; i >= 0; i -= 1) {
    const from = i === 0 ? path : `${path}.${i}`;
    try {
      renameSync(from, `${path}.${i + 1}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
