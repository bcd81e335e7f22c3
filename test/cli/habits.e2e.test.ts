import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

// Habits of the CLI as a user meets them (issue 21 item 7): the built CLI and the package's bin in child
// processes, with a clean environment.

const ROOT = resolve('.');
const CLI = join(ROOT, 'dist', 'cli.mjs');

beforeAll(() => {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
});

/** No credentials anywhere, no instance metadata lookup: what a laptop without an AWS login looks like. */
function bareEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    ...extra,
  };
}

describe('habits of the built CLI', () => {
  it('extract … | head exits quietly when the reader goes away (EPIPE)', async () => {
    // Prepare: more output than a pipe buffer holds.
    const dir = tempDir();
    const file = join(dir.path, 'many.json');
    writeFileSync(
      file,
      JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ contact: `u${i}@example.com`, reason: 'unsubscribe' }))),
    );
    const child = spawn(process.execPath, [CLI, 'extract', file, '--source', 'generic'], {
      env: bareEnv(dir.path),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));

    // Act: read the first chunk, then close the pipe, as `head -1` does.
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    dir.remove();

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('a token parameter that cannot be read for want of credentials is one line with the fix', () => {
    // Prepare
    const dir = tempDir();

    // Act
    const run = spawnSync(process.execPath, [CLI, 'check'], {
      env: bareEnv(dir.path, {
        HOOD_API_TOKEN_PARAMETER: '/hood-blocker/prod/hood-api-token',
        AWS_REGION: 'eu-west-1',
      }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    dir.remove();

    // Assess
    const token = run.stdout.split('\n').filter((l) => /^FAIL +token/u.test(l));
    expect(token).toHaveLength(1);
    expect(token[0]).toContain('no AWS credentials found: set AWS_PROFILE');
    expect(run.stderr).toBe('');
  });
});

describe('the package bin', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

  it('before any build, says how to build (exit 2)', () => {
    // Prepare: a clone that was never built: package.json and the bin file, no dist/.
    const dir = tempDir();
    const bin = pkg.bin['hood-blocker']!;
    copyFileSync(join(ROOT, 'package.json'), join(dir.path, 'package.json'));
    mkdirSync(dirname(join(dir.path, bin)), { recursive: true });
    copyFileSync(join(ROOT, bin), join(dir.path, bin));

    // Act
    const run = spawnSync(process.execPath, [join(dir.path, bin), '--version'], {
      env: bareEnv(dir.path),
      encoding: 'utf8',
    });
    dir.remove();

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('npm run build');
  });

  // `npx hood-blocker` in the clone, on the shell's Node.js 20 (if this machine has one) and on Node.js 22.
  const node22 = dirname(process.execPath);
  const systemPath = (process.env.PATH ?? '')
    .split(':')
    .filter((p) => p !== node22 && !p.includes('node_modules'))
    .join(':');
  const system = spawnSync('node', ['--version'], { env: { PATH: systemPath }, encoding: 'utf8' });
  const cases: [string, string][] = [[`Node.js ${process.versions.node}`, `${node22}:${systemPath}`]];
  if (system.status === 0 && /^v20\./u.test(system.stdout)) cases.push([`Node.js ${system.stdout.trim()}`, systemPath]);

  it.each(cases)('an ordinary npx hood-blocker run on %s prints no engine warning', (_label, path) => {
    // Act
    const run = spawnSync('npx', ['--offline', 'hood-blocker', '--version'], {
      cwd: ROOT,
      env: { PATH: path, HOME: process.env.HOME ?? ROOT },
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(run.stderr).not.toMatch(/EBADENGINE|Unsupported engine|NodeVersionSupportWarning|ExperimentalWarning/u);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/u);
  });
});
