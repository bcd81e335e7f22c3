import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codes, doc, README, tableAfter } from '../helpers/readme.js';

// docs/modules.md and the README's folder table are checked against the tree, both ways: a file added, moved or
// removed without its line in the map (or a line left for a file that is gone) fails here. To cover another
// folder, add it to MAPPED_FOLDERS and give its files a table in docs/modules.md.

const ROOT = join(import.meta.dirname, '..', '..');

/** The folders whose every file has one line in docs/modules.md. */
const MAPPED_FOLDERS = ['lib', 'cli', 'handlers', 'dev', 'scripts', 'infra', 'bench'] as const;

/** Top-level entries that are not folders of the project: tool output, dependencies, local state. */
const NOT_PROJECT_FOLDERS = new Set(['node_modules', 'dist', 'coverage']);

/** Every file under `dir`, as a repository path; dot-files and dot-folders (local state) are skipped. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .flatMap((e) => (e.isDirectory() ? filesUnder(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
}

/** The paths named in the first cell of every table row of docs/modules.md. */
function mappedPaths(): string[] {
  return doc('modules.md')
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => codes(line.split(' | ')[0]!));
}

describe('docs/modules.md matches the tree', () => {
  it('lists every file of the mapped folders', () => {
    // Prepare
    const files = MAPPED_FOLDERS.flatMap((dir) => filesUnder(dir));

    // Act
    const listed = new Set(mappedPaths());
    const unlisted = files.filter((f) => !listed.has(f));

    // Assess
    expect(files.length).toBeGreaterThan(100);
    expect(unlisted).toEqual([]);
  });

  it('lists only files that exist, each once', () => {
    // Prepare
    const listed = mappedPaths();

    // Act
    const missing = listed.filter((p) => !existsSync(join(ROOT, p)) || !statSync(join(ROOT, p)).isFile());
    const repeated = listed.filter((p, i) => listed.indexOf(p) !== i);

    // Assess
    expect(missing).toEqual([]);
    expect(repeated).toEqual([]);
  });
});

describe('README: folders and documents', () => {
  it('the folder table lists exactly the top-level folders', () => {
    // Prepare
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_PROJECT_FOLDERS.has(e.name))
      .map((e) => `${e.name}/`)
      .sort();

    // Act
    const listed = tableAfter('## Folders')
      .flatMap((row) => codes(row[0]!))
      .sort();

    // Assess
    expect(listed).toEqual(folders);
  });

  it('links every document of docs/', () => {
    // Prepare
    const documents = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));

    // Act
    const unlinked = documents.filter((f) => !README.includes(`](docs/${f})`));

    // Assess
    expect(documents.length).toBeGreaterThanOrEqual(9);
    expect(unlinked).toEqual([]);
  });
});
