import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../cli/shared/errors.js';
import { suggest } from '../../cli/shared/suggest.js';
import { runCli } from './helpers.js';

// The CLI's own surface: mistakes get one short line with a suggestion, --json is accepted everywhere a
// result is printed, and AWS setup errors say what to do.

describe('hood-blocker: mistakes', () => {
  it('suggests the closest command for an unknown one, in one line (exit 2)', async () => {
    // Act
    const result = await runCli(['enqeue', 'x.csv']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'hood-blocker: unknown command "enqeue" (did you mean "enqueue"?); "hood-blocker --help" lists them',
    ]);
  });

  it('suggests the closest option of that command for an unknown option', async () => {
    // Act
    const result = await runCli(['check', '--jsn']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('hood-blocker check: unknown option --jsn (did you mean "--json"?); see --help');
  });

  it("suggests from the subcommand's options for dlq", async () => {
    // Act
    const result = await runCli(['dlq', 'purge', '--yse']);

    // Assess
    expect(result.stderr.trim()).toBe('hood-blocker dlq: unknown option --yse (did you mean "--yes"?); see --help');
  });

  it('suggests the closest dlq subcommand', async () => {
    // Act
    const result = await runCli(['dlq', 'lsit']);

    // Assess
    expect(result.stderr.trim()).toBe(
      'hood-blocker dlq: unknown subcommand "lsit" (did you mean "list"?): use "dlq list", "dlq redrive", "dlq resolve" or "dlq purge"',
    );
  });

  it('accepts --json on extract, whose output already is JSON lines, without changing it', async () => {
    // Prepare
    const payload = JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe' });

    // Act
    const plain = await runCli(['extract', '-'], {}, payload);
    const json = await runCli(['extract', '-', '--json'], {}, payload);

    // Assess
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(plain.stdout);
  });

  it.each([
    ['check', ['check', '--help']],
    ['enqueue', ['enqueue', '--help']],
    ['dlq', ['dlq', 'list', '--help']],
    ['start', ['start', '--help']],
    ['send-test', ['send-test', '--help']],
    ['extract', ['extract', '--help']],
  ])('%s documents --json', async (_name, argv) => {
    // Act
    const result = await runCli(argv);

    // Assess
    expect(result.stdout).toContain('--json');
  });
});

describe('suggest', () => {
  it('finds a transposition, a missing letter and a prefix, and nothing for an unrelated word', () => {
    // Act
    const found = [
      suggest('chekc', ['check', 'dlq']),
      suggest('enqueu', ['enqueue', 'extract']),
      suggest('re', ['redrive', 'list']),
      suggest('zzzz', ['check']),
    ];

    // Assess
    expect(found).toEqual([['check'], ['enqueue'], ['redrive'], []]);
  });
});

describe('AWS errors', () => {
  it('turns "Region is missing" into one line naming the fix', () => {
    // Act
    const line = describeError(new Error('Region is missing'));

    // Assess
    expect(line).toBe('no AWS region: pass --region or set AWS_REGION');
  });

  it('turns missing credentials into one line naming the fix', () => {
    // Act
    const line = describeError(
      Object.assign(new Error('Could not load credentials from any providers\n  at somewhere'), {
        name: 'CredentialsProviderError',
      }),
    );

    // Assess
    expect(line).toMatch(/^no AWS credentials found: set AWS_PROFILE/u);
  });

  it('keeps the name and only the first line of other errors', () => {
    // Act
    const line = describeError(
      Object.assign(new Error('The specified queue does not exist.\nmore'), {
        name: 'QueueDoesNotExist',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Assess
    expect(line).toBe('QueueDoesNotExist: The specified queue does not exist.');
  });
});

// A Node.js older than 22 on PATH (the README's "Node 20 is enough"): the bin re-runs itself on the
// bundled Node 22, so neither the AWS SDK's version warning nor a node:sqlite failure shows up.
const CLI = resolve('dist/cli.mjs');
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
  if (!existsSync(p)) return false;
  const v = spawnSync(p, ['--version']).stdout?.toString() ?? '';
  return /^v(1[89]|2[01])\./u.test(v);
});

describe.skipIf(OLD_NODE === undefined)('hood-blocker on an older Node.js', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
  });

  it('runs the command on the bundled Node.js 22 without the AWS SDK version warning', () => {
    // Act
    const result = spawnSync(
      OLD_NODE!,
      [CLI, 'check', '--queue-url', 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', '--json'],
      {
        env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' },
        timeout: 60_000,
      },
    );

    // Assess
    expect(result.stderr.toString()).not.toMatch(/NodeVersionSupportWarning|EBADENGINE/u);
    expect(JSON.parse(result.stdout.toString())).toMatchObject({ healthy: false });
  });
});
