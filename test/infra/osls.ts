import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
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
 * The packaged service (`<workDir>/<name>/package`, as `osls package --package` writes it) and its generated
 * update-stack template (parsed JSON). Several test files package the same service with the same parameters;
 * osls takes seconds of CPU each time, so one packaging per distinct input is kept in a cache keyed by
 * everything osls reads (serverless.yml, infra/, the built dist/, package.json, the osls version, the stage and
 * the parameters) and copied to where the caller looks. A changed input is a new key: nothing stale is reused.
 */
export async function oslsPackage<T>(workDir: string, name: string, params: string[] = [], stage = 'ci'): Promise<T> {
  const cached = await cachedPackage(params, stage);
  const dir = join(workDir, name, 'package');
  mkdirSync(join(workDir, name), { recursive: true });
  cpSync(cached, dir, { recursive: true });
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as T;
}

const CACHE = join(tmpdir(), 'hood-blocker-test-osls-cache');
// A lock older than this is from a test run that died while packaging.
const STALE_LOCK_MS = 5 * 60_000;
// Entries from older sources are removed after a day, so the cache does not grow without bound.
const KEEP_MS = 24 * 60 * 60_000;

/** The key of a service copy: every file in it, the osls version, the stage and the parameters. */
function packageKey(service: string, params: string[], stage: string): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) add(join(path, entry));
      return;
    }
    hash.update(`${relative(service, path)}\0`);
    hash.update(readFileSync(path));
  };
  add(service);
  hash.update(readFileSync(join(ROOT, 'node_modules', 'osls', 'package.json')));
  hash.update(JSON.stringify({ params, stage }));
  return hash.digest('hex').slice(0, 32);
}

/**
 * The cached package directory for these inputs; the first test file to ask packages, the others wait.
 * The key is taken from the copy osls packages, not from the tree: a build rewriting dist/ meanwhile cannot
 * put one service's package under another's key.
 */
async function cachedPackage(params: string[], stage: string): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'work-'));
  try {
    const service = join(work, 'service');
    mkdirSync(service);
    for (const entry of SERVICE) cpSync(join(ROOT, entry), join(service, entry), { recursive: true });
    const entry = join(CACHE, packageKey(service, params, stage));
    const lock = `${entry}.lock`;
    for (;;) {
      if (existsSync(join(entry, 'cloudformation-template-update-stack.json'))) return entry;
      try {
        mkdirSync(lock);
      } catch {
        const held = statSync(lock, { throwIfNoEntry: false });
        if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      try {
        if (existsSync(join(entry, 'cloudformation-template-update-stack.json'))) return entry;
        rmSync(entry, { recursive: true, force: true });
        renameSync(await packageOnce(work, params, stage), entry);
        prune();
        return entry;
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function prune(): void {
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && Date.now() - stat.mtimeMs > KEEP_MS) rmSync(path, { recursive: true, force: true });
  }
}

const SERVICE = ['serverless.yml', 'package.json', 'infra', 'dist'];

/**
 * `osls package --package <dir>` from the copy of the service (serverless.yml, infra/, the built dist/,
 * package.json) in `<work>/service`: osls wipes `<service>/.serverless` while packaging, so packaging in
 * place would delete the repo's own `.serverless/` and two packagings would race. Returns the package dir.
 */
async function packageOnce(work: string, params: string[], stage: string): Promise<string> {
  const service = join(work, 'service');
  // No credentials, no profile, no config file: packaging must not need AWS.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  env.AWS_SHARED_CREDENTIALS_FILE = join(work, 'no-credentials');
  env.AWS_CONFIG_FILE = join(work, 'no-config');
  const dir = join(work, 'package');
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
  return dir;
}
