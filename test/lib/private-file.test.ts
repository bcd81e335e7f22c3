import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPrivateFile, writePrivateFile } from '../../lib/private-file.js';
import { tempDir } from '../cli/helpers.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function dir(): string {
  const d = tempDir('hood-blocker-private-file-');
  dirs.push(d);
  return d.path;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('writePrivateFile', () => {
  it('replaces an existing world-readable file with a 0600 one', () => {
    // Prepare
    const path = join(dir(), 'state.json');
    writeFileSync(path, 'old', { mode: 0o644 });
    chmodSync(path, 0o644);

    // Act
    writePrivateFile(path, 'secret');

    // Assess
    expect(readFileSync(path, 'utf8')).toBe('secret');
    expect(modeOf(path)).toBe(0o600);
  });

  it('leaves no temporary file behind', () => {
    // Prepare
    const d = dir();

    // Act
    writePrivateFile(join(d, 'a.json'), 'x');

    // Assess
    expect(readdirSync(d)).toEqual(['a.json']);
  });
});

describe('openPrivateFile', () => {
  it('writes line by line into a 0600 file, also over an existing 0644 one', async () => {
    // Prepare
    const path = join(dir(), 'missing.csv');
    writeFileSync(path, 'old rows\n');
    chmodSync(path, 0o644);

    // Act
    const out = openPrivateFile(path);
    out.write('contact\n');
    out.write('jane@example.com\n');
    await out.close();

    // Assess
    expect(readFileSync(path, 'utf8')).toBe('contact\njane@example.com\n');
    expect(modeOf(path)).toBe(0o600);
  });

  it('is never readable by others while it is being written', async () => {
    // Prepare
    const d = dir();
    const out = openPrivateFile(join(d, 'missing.csv'));

    // Act
    out.write('jane@example.com\n');
    const partial = readdirSync(d).map((name) => modeOf(join(d, name)));
    await out.close();

    // Assess
    expect(partial).toEqual([0o600]);
  });

  it('fails when the directory does not exist, before anything is written', () => {
    // Prepare
    const path = join(dir(), 'no-such-dir', 'missing.csv');

    // Act
    const open = () => openPrivateFile(path);

    // Assess
    expect(open).toThrow(/ENOENT/u);
  });
});
