import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../lib/types.js';
import { doc } from '../helpers/readme.js';

// docs/outcomes.md promises to list every reason an event can be ignored or dead-lettered with. The reasons the
// code writes as literals (`ignore('…'`, `reject('…'`, `optIn(…, '…'`, a dead letter's `reason: '…'`, a logged
// `reason: '…'`) are collected from lib/ and each must appear there. Reasons that are an event's own name
// (`delivered`, `open`, …) come from lookup tables and are described as a class, not listed one by one.

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  );
}

const REASON_PATTERNS = [
  /\bignore\(\s*'([a-z_]+)'/gu,
  /\breject\(\s*'([a-z_]+)'/gu,
  /\boptIn\([^,]+,\s*'([a-z_]+)'/gu,
  /\breason: '([a-z_]+)'/gu,
  /_REASON = '([a-z_]+)'/gu,
];

/** Block reasons (`hard_bounce`, …) say why a contact is blocked, not why it was not: documented with the queue message. */
const NOT_OUTCOMES = new Set<string>(REASONS);

describe('docs/outcomes.md lists every reason the code emits', () => {
  it('names every literal ignore, reject and dead-letter reason of lib/', () => {
    // Prepare
    const reasons = new Set(
      sourceFiles('lib').flatMap((file) => {
        const text = readFileSync(join(ROOT, file), 'utf8');
        return REASON_PATTERNS.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
      }),
    );

    // Act
    const outcomes = doc('outcomes.md');
    const missing = [...reasons].filter((r) => !NOT_OUTCOMES.has(r) && !outcomes.includes(`\`${r}\``)).sort();

    // Assess
    expect(reasons.size).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
