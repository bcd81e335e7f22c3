import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's README, as the documentation tests read it. */
export const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The rows of the first Markdown table after `heading` (header and separator dropped), as arrays of cells. */
export function tableAfter(heading: string, text = README): string[][] {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows.slice(2);
}

/** `` `a`, `b` `` → ['a', 'b']. */
export const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/gu)].map((m) => m[1]!);
