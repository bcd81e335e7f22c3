// Bundles the Lambda handlers and the CLI with esbuild (DESIGN.md "Build" contract):
// dist/handlers/block-contacts.mjs, dist/handlers/webhook.mjs (each exporting `handler`), dist/cli.mjs.
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some dependencies still `require()` Node built-ins; give the ESM bundle a `require`.
  banner: { js: "import { createRequire as __hbCreateRequire } from 'node:module'; const require = __hbCreateRequire(import.meta.url);" },
  metafile: true,
  // Hood client: the slim undici entry (see scripts/undici-lite.cjs); only the bare specifier.
  plugins: [
    {
      name: 'undici-lite',
      setup(b) {
        b.onResolve({ filter: /^undici$/ }, () => ({ path: resolvePath('scripts/undici-lite.cjs') }));
      },
    },
  ],
};

mkdirSync('dist/handlers', { recursive: true });
const entries = [
  { in: 'handlers/block-contacts.ts', out: 'dist/handlers/block-contacts.mjs' },
  { in: 'handlers/webhook.ts', out: 'dist/handlers/webhook.mjs' },
  { in: 'cli/main.ts', out: 'dist/cli.mjs', cli: true },
];
const sizes = {};
for (const e of entries) {
  if (!existsSync(e.in)) {
    console.warn(`build: ${e.in} does not exist yet, skipped`);
    continue;
  }
  const result = await build({
    ...common,
    entryPoints: [e.in],
    outfile: e.out,
    // The CLI runs locally; keep the emulators (fauxqs, native sqlite; dynalite) out of the bundle and load them at run time.
    external: e.cli ? ['fauxqs', 'dynalite'] : [],
    // cli/main.ts starts with its own `#!/usr/bin/env node`, which esbuild keeps as the first line.
    banner: common.banner,
  });
  sizes[e.out] = statSync(e.out).size;
  writeFileSync(`${e.out}.meta.json`, JSON.stringify(result.metafile));
}
for (const [file, size] of Object.entries(sizes)) console.log(`${file}  ${(size / 1024).toFixed(0)} KiB`);
