#!/usr/bin/env node
// The package's command (package.json "bin"): runs the built CLI, dist/cli.mjs. Plain JavaScript that any
// Node.js from 18 on can read, so that a clone that was never built says how to build instead of failing
// with "Cannot find module". The CLI itself then re-runs on the Node.js 22 that "npm ci" installs when the
// shell's Node.js is older (cli/shared/runtime.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const cli = join(root, 'dist', 'cli.mjs');
if (existsSync(cli)) {
  await import(pathToFileURL(cli).href);
} else {
  process.stderr.write(
    `hood-blocker is not built yet: run "npm ci" and then "npm run build" in ${root}, then run this again (npm start builds too)\n`,
  );
  // 2: a setup problem the user fixes (docs/operate.md, exit codes).
  process.exitCode = 2;
}
