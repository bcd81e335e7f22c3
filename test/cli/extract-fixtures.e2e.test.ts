import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../lib/types.js';

/**
 * Every payload of test/fixtures through the *built* `hood-blocker extract` in a real process, as an
 * acceptance harness runs it (`npx hood-blocker extract <file>`, auto-detection, BLOCK_REASONS explicit).
 */
interface Case {
  file: string;
  expected_block: { contact: string; reason: string }[];
}

const expected = JSON.parse(readFileSync('test/fixtures/expected.json', 'utf8')) as { cases: Case[] };
const CLI = resolve('dist/cli.mjs');

function extract(file: string): { action: string; contact?: string; reason: string }[] {
  const out = execFileSync(process.execPath, [CLI, 'extract', resolve('test/fixtures', file)], {
    encoding: 'utf8',
    env: { ...process.env, BLOCK_REASONS: REASONS.join(',') },
  });
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { action: string; contact?: string; reason: string });
}

const key = (d: { contact?: string; reason: string }) => `${d.contact} ${d.reason}`;

describe('dist/cli.mjs extract on every fixture of expected.json', () => {
  it.each(expected.cases.map((c) => [c.file, c] as const))('%s', (_file, testCase) => {
    // Act
    const decisions = extract(testCase.file);
    // Assess
    const blocks = decisions
      .filter((d) => d.action === 'block')
      .map(key)
      .sort();
    expect(blocks).toEqual(testCase.expected_block.map(key).sort());
    expect(decisions.length).toBeGreaterThan(0);
  });
});
