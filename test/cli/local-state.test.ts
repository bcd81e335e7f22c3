import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireStartLock, rotateLog } from '../../dev/state.js';
import { tempDir } from './helpers.js';

// One `start` per state directory, and the previous runs' logs kept.

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

/** The pid of a process that has exited (and so cannot hold anything). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('acquireStartLock', () => {
  it('refuses while a live process holds the lock, naming its pid', () => {
    // Prepare: this test process is the live holder.
    const first = acquireStartLock(dir.path, process.pid);

    // Act
    const second = acquireStartLock(dir.path, deadPid());

    // Assess
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({
      ok: false,
      pid: process.pid,
      message: expect.stringContaining(`pid ${process.pid}`) as unknown as string,
    });
  });

  it('takes over a lock left by a process that died', () => {
    // Prepare
    writeFileSync(join(dir.path, 'local.lock'), JSON.stringify({ pid: deadPid() }));

    // Act
    const lock = acquireStartLock(dir.path, process.pid);

    // Assess
    expect(lock.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir.path, 'local.lock'), 'utf8'))).toEqual({ pid: process.pid });
  });

  it('is free again after release', () => {
    // Prepare
    const lock = acquireStartLock(dir.path, process.pid);
    if (lock.ok) lock.release();

    // Act
    const again = acquireStartLock(dir.path, process.pid);

    // Assess
    expect(again.ok).toBe(true);
  });
});

describe('rotateLog', () => {
  it('keeps the previous three logs, newest as .1, and drops the oldest', () => {
    // Prepare
    const log = join(dir.path, 'local.log');
    for (const run of ['run1', 'run2', 'run3', 'run4']) {
      rotateLog(log);
      writeFileSync(log, run);
    }

    // Act
    rotateLog(log);

    // Assess
    expect(existsSync(log)).toBe(false);
    expect([1, 2, 3].map((i) => readFileSync(`${log}.${i}`, 'utf8'))).toEqual(['run4', 'run3', 'run2']);
    expect(existsSync(`${log}.4`)).toBe(false);
  });
});
