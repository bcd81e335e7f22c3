import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * lib/ is what runs in Lambda or in the CLI against AWS: local tools (stand-ins, emulators, the sandbox Hood)
 * live in dev/, test helpers in test/. This reads every import of every file in lib/ (static and dynamic,
 * type-only included) and fails on one that reaches dev/, test/, bench/ or an emulator package.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EMULATORS = ['fauxqs', 'dynalite'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mts|cts|js|mjs)$/u.test(name) ? [path] : [];
  });
}

/** Every module specifier of `import … from`, `export … from`, `import('…')` and `declare module '…'`. */
export function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /\b(?:from|import|declare\s+module)\s*\(?\s*['"]([^'"]+)['"]/gu;
  for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

function outsideLib(file: string, specifier: string): string | undefined {
  if (EMULATORS.some((name) => specifier === name || specifier.startsWith(`${name}/`))) return `emulator ${specifier}`;
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(ROOT, join(file, '..', specifier))
    .split('\\')
    .join('/');
  return /^(dev|test|bench)\//u.test(target) ? target : undefined;
}

describe('lib/', () => {
  it('imports no dev/, test/ or bench/ module and no emulator package', () => {
    // Prepare
    const files = sources(join(ROOT, 'lib'));
    // Act
    const offending = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8')).flatMap((s) => {
        const why = outsideLib(file, s);
        return why === undefined ? [] : [`${relative(ROOT, file)} → ${why}`];
      }),
    );
    // Assess
    expect(files.length).toBeGreaterThan(50);
    expect(offending).toEqual([]);
  });

  it('recognises every import form it checks', () => {
    const text = `import a from '../dev/x.js';\nexport { b } from "fauxqs";\nconst c = await import('dynalite');\ndeclare module 'dynalite';\nimport type { D } from './d.js';`;
    expect(specifiers(text)).toEqual(['../dev/x.js', 'fauxqs', 'dynalite', 'dynalite', './d.js']);
  });
});
