// Bundles the Lambda handlers and the CLI with esbuild (the build-outputs contract: README "Contracts"):
// dist/handlers/block-contacts.mjs, dist/handlers/webhook.mjs (each exporting `handler`), dist/cli.mjs.
import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * libphonenumber-js's metadata (≈150 KB of data) as `JSON.parse('…')` instead of an object literal: V8 parses
 * JSON faster than the same data as a JavaScript object literal (≈ 1.7×: https://v8.dev/blog/cost-of-javascript-2019#json),
 * and it is on every cold start's path. The data is the module's own default export, so nothing can differ.
 */
const phoneMetadataAsJson = {
  name: 'phone-metadata-as-json',
  setup(b) {
    b.onResolve({ filter: /^libphonenumber-js\/max\/metadata$/ }, (args) => ({
      path: args.path,
      namespace: 'phone-metadata-json',
    }));
    b.onLoad({ filter: /.*/, namespace: 'phone-metadata-json' }, async (args) => {
      const { default: data } = await import(args.path);
      return { contents: `export default JSON.parse(${JSON.stringify(JSON.stringify(data))});`, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  // The map is written next to the bundle for debugging but not referenced from it and not shipped in the
  // Lambda zip: the runtime never reads it (no --enable-source-maps), so it would only cost upload size.
  sourcemap: 'external',
  // ES module builds first (the AWS SDK ships `dist-es`): a split-off chunk that is imported on demand then
  // has real named exports; with the CommonJS builds, `await import()` of a chunk sees only `default`.
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
  // Some dependencies still `require()` Node built-ins; give the ESM bundle a `require`.
  banner: {
    js: "import { createRequire as __hbCreateRequire } from 'node:module'; const require = __hbCreateRequire(import.meta.url);",
  },
  metafile: true,
  plugins: [phoneMetadataAsJson],
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
  const lambda = !e.cli;
  const base = e.out.replace(/^.*\//u, '').replace(/\.mjs$/u, '');
  // Chunk names carry content hashes: without this, every build would leave the previous ones behind.
  if (lambda) rmSync(`dist/handlers/${base}-chunks`, { recursive: true, force: true });
  const result = await build({
    ...common,
    entryPoints: [e.in],
    // Lambda bundles are split: what is only imported on demand (the SSM client when a `_PARAMETER`
    // variable is set, the DynamoDB client when LEDGER_TABLE is) goes to `<name>-chunks/` and is parsed
    // only when imported, so a cold start without them never pays for them.
    ...(lambda
      ? {
          outdir: 'dist/handlers',
          entryNames: '[name]',
          chunkNames: `${base}-chunks/[name]-[hash]`,
          splitting: true,
          outExtension: { '.js': '.mjs' },
        }
      : { outfile: e.out }),
    // The CLI runs locally; keep the emulators (fauxqs, native sqlite; dynalite) out of the bundle and load them at run time.
    external: e.cli ? ['fauxqs', 'dynalite'] : [],
    // cli/main.ts starts with its own `#!/usr/bin/env node`, which esbuild keeps as the first line.
    banner: common.banner,
  });
  sizes[e.out] = statSync(e.out).size;
  writeFileSync(`${e.out}.meta.json`, JSON.stringify(result.metafile));
}
for (const [file, size] of Object.entries(sizes)) console.log(`${file}  ${(size / 1024).toFixed(0)} KiB`);

/**
 * dist/webhook-routes.json: the webhook providers of the registry (lib/providers/index.ts), from which
 * serverless.yml generates one route per provider, each throttled on its own (infra/webhook-routes.cjs reads
 * it at packaging time: osls cannot import TypeScript). Bundled to a temporary module and imported here.
 */
async function writeWebhookRoutes() {
  const registry = await build({
    stdin: {
      contents:
        "export { SECRET_VARIABLES, SOURCE_NAMES, WEBHOOK_PROVIDERS, webhookOf } from './lib/providers/index.ts';",
      resolveDir: '.',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    write: false,
    logLevel: 'warning',
    banner: common.banner,
  });
  const dir = mkdtempSync(join(tmpdir(), 'hood-blocker-registry-'));
  try {
    const file = join(dir, 'registry.mjs');
    writeFileSync(file, registry.outputFiles[0].contents);
    const { SECRET_VARIABLES, SOURCE_NAMES, WEBHOOK_PROVIDERS, webhookOf } = await import(pathToFileURL(file).href);
    // `noRetry`: providers whose webhook declares it does not retry a 5xx (the stack alarms on the first one).
    const noRetry = WEBHOOK_PROVIDERS.filter((name) => webhookOf(name).retriesServerErrors === false);
    // `sources`: every name a decision can carry, webhook or AWS-native (the quiet-source alarms accept each).
    // `secrets`: every provider secret read from SSM (`<NAME>_PARAMETER`), for the webhook's environment and grant.
    writeFileSync(
      'dist/webhook-routes.json',
      `${JSON.stringify({ providers: WEBHOOK_PROVIDERS, sources: SOURCE_NAMES, noRetry, secrets: SECRET_VARIABLES })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
await writeWebhookRoutes();
