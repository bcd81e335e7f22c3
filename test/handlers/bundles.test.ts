import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * What a cold start loads, read from the build's own metafile (test/global-setup.ts builds before any test):
 * the Lambda bundles' structure, not their speed (bench `cold` measures that).
 */
interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<
    string,
    {
      imports?: { path: string; kind: string; external?: boolean }[];
      inputs: Record<string, { bytesInOutput: number }>;
    }
  >;
}

const LAMBDAS = ['block-contacts', 'webhook'] as const;

function metafile(name: string): Metafile {
  return JSON.parse(readFileSync(`dist/handlers/${name}.mjs.meta.json`, 'utf8')) as Metafile;
}

/** The bundle's files loaded at import (static imports, followed) and what they import from outside. */
function loadedAtImport(name: string): { files: Set<string>; external: Set<string>; inputs: Set<string> } {
  const meta = metafile(name);
  const files = new Set<string>();
  const external = new Set<string>();
  const inputs = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const input of Object.keys(meta.outputs[file]?.inputs ?? {})) inputs.add(input);
    for (const imp of meta.outputs[file]?.imports ?? []) {
      if (imp.kind !== 'import-statement') continue;
      if (imp.external) external.add(imp.path);
      else visit(imp.path);
    }
  };
  visit(`dist/handlers/${name}.mjs`);
  return { files, external, inputs };
}

describe.each(LAMBDAS)('the %s Lambda bundle', (name) => {
  it('loads no node:http, node:https or node:http2 at import: its SDK clients use Node fetch', () => {
    // Act
    const { external } = loadedAtImport(name);
    // Assess
    expect([...external].filter((m) => /^(node:)?https?2?$/u.test(m))).toEqual([]);
  });

  it('loads the SQS SDK only at its first use, not at import', () => {
    // Prepare: every module the build put in this bundle, loaded at import or not
    const all = new Set(Object.values(metafile(name).outputs).flatMap((o) => Object.keys(o.inputs)));
    // Act
    const { inputs } = loadedAtImport(name);
    // Assess: the SDK is in the bundle (a chunk of its own), and none of it runs at import
    expect([...all].some((i) => i.includes('@aws-sdk/client-sqs/'))).toBe(true);
    expect([...inputs].filter((i) => i.includes('@aws-sdk/client-sqs/'))).toEqual([]);
  });

  it('holds no chunk file a previous build left behind', () => {
    // Prepare
    const outputs = new Set(Object.keys(metafile(name).outputs));
    const dir = `dist/handlers/${name}-chunks`;
    // Act
    const stale = existsSync(dir) ? readdirSync(dir).filter((f) => !outputs.has(`${dir}/${f}`)) : [];
    // Assess
    expect(stale).toEqual([]);
  });
});

describe('the consumer bundle', () => {
  it('reads the phone metadata with JSON.parse, not as a 150 KB object literal', () => {
    // Act
    const { inputs } = loadedAtImport('block-contacts');
    // Assess
    expect([...inputs].filter((i) => /metadata\.\w+\.json/u.test(i) || i.startsWith('phone-metadata-json:'))).toEqual([
      'phone-metadata-json:libphonenumber-js/max/metadata',
    ]);
  });

  it('leaves out the provider registry and every webhook verifier: it maps only queue messages and AWS events', () => {
    // Prepare
    // What the build wrote into any of its files (metafile `inputs` also lists modules it then tree-shook away).
    const inputs = Object.values(metafile('block-contacts').outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, v]) => v.bytesInOutput > 0)
        .map(([i]) => i),
    );
    // Act
    const webhookOnly = inputs.filter(
      (i) => i === 'lib/providers/index.ts' || /^lib\/providers\/[^/]+\/(verify|index)\.ts$/u.test(i),
    );
    // Assess
    expect(webhookOnly).toEqual([]);
    expect(inputs).toContain('lib/providers/generic/map.ts');
  });
});
