import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Packages the real serverless.yml with osls, offline and without AWS credentials, for the infra tests.

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
// dist/webhook-routes.json: the registry's webhook providers, from which serverless.yml generates its routes.
export const BUNDLES = ['dist/handlers/block-contacts.mjs', 'dist/handlers/webhook.mjs', 'dist/webhook-routes.json'];

/** Builds the handler bundles when they are missing (CI builds before testing). */
export async function ensureBundles(): Promise<void> {
  if (!BUNDLES.every((b) => existsSync(join(ROOT, b)))) {
    await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT });
  }
  const missing = BUNDLES.filter((b) => !existsSync(join(ROOT, b)));
  if (missing.length > 0) throw new Error(`cannot package: ${missing.join(', ')} not built (handler source missing?)`);
}

/**
 * `osls package --package <name>/package` from a copy of the service (serverless.yml, infra/, the built
 * dist/, package.json) in `<workDir>/<name>`: osls wipes `<service>/.serverless` while packaging, so
 * packaging in place would delete the repo's own `.serverless/` and two packagings would race.
 * Returns the generated update-stack template (parsed JSON).
 */
export async function oslsPackage<T>(workDir: string, name: string, params: string[] = [], stage = 'ci'): Promise<T> {
  const service = join(workDir, name);
  mkdirSync(service);
  for (const entry of ['serverless.yml', 'package.json', 'infra', 'dist'])
    cpSync(join(ROOT, entry), join(service, entry), { recursive: true });
  // No credentials, no profile, no config file: packaging must not need AWS.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  env.AWS_SHARED_CREDENTIALS_FILE = join(workDir, 'no-credentials');
  env.AWS_CONFIG_FILE = join(workDir, 'no-config');
  const dir = join(service, 'package');
  const args = [
    OSLS,
    'package',
    '--stage',
    stage,
    '--region',
    'eu-west-1',
    '--package',
    dir,
    ...params.map((p) => `--param=${p}`),
  ];
  try {
    await run(process.execPath, args, { cwd: service, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`osls package failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as T;
}
