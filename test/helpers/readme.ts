import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The repository's README, as the documentation tests read it. */
export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** A file of `docs/` (e.g. `deploy.md`). */
export function doc(name: string): string {
  return readFileSync(join(ROOT, 'docs', name), 'utf8');
}

/** README.md and every Markdown file of `docs/`, by repository path. */
export function documents(): Record<string, string> {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => [`docs/${f}`, doc(f)] as const);
  return Object.fromEntries([['README.md', README] as const, ...docs]);
}

/** The rows of the first Markdown table after `heading` (header and separator dropped), as arrays of cells. */
export function tableAfter(heading: string, text = README): string[][] {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows.slice(2);
}

/** `` `a`, `b` `` → ['a', 'b']. */
export const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/gu)].map((m) => m[1]!);
