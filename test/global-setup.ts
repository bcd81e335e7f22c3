import { spawnSync } from 'node:child_process';

/**
 * Integration tests drive the *built* handlers (dist/), exactly as Lambda and the acceptance harness do,
 * so build once before any test runs; esbuild takes about a second.
 */
export default function setup(): void {
  const result = spawnSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stderr}`);
}
