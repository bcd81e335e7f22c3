import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as runCheck } from '../../cli/check.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { deadLetterAttributes, sendMessages } from '../../lib/queue/sqs.js';
import { type HoodSandbox, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { queueDepth, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir, writeStateFor } from './helpers.js';

// `check` against the sandbox Hood (real HTTP, real X-RateLimit-* headers) and real SQS emulator queues.

const TOKEN = 'check-test-token-7c1d9e';
const WRONG_TOKEN = 'wrong-token-0f0f0f0f';

let hood: HoodSandbox;
let queues: LocalQueues;
let sqs: SQSClient;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  hood = await startHoodSandbox({ token: TOKEN, clock: () => 1_700_000_000_500 });
  queues = await startLocalQueues();
  sqs = sqsClientFor(queues);
  dir = tempDir();
});

afterEach(async () => {
  sqs.destroy();
  await Promise.all([hood.close(), queues.stop().catch(() => undefined)]);
  dir.remove();
});

/** As after `npm start` with HOOD_API_TOKEN set: Hood's URL from the state file, the token from the environment. */
function check(token: string, ...flags: string[]) {
  const stateDir = join(dir.path, '.hood-blocker');
  writeStateFor(stateDir, queues, { sandbox: false, url: hood.url });
  return runCli(['check', '--local', '--state-dir', stateDir, ...flags], { HOOD_API_TOKEN: token });
}

interface CheckJson {
  healthy: boolean;
  checks: {
    name: string;
    status: string;
    message: string;
    remaining?: number;
    limit?: number;
    [key: string]: unknown;
  }[];
}

describe('hood-blocker check', () => {
  it('exits 0 when the token is valid and both queues answer', async () => {
    // Act
    const result = await check(TOKEN);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok +token +valid \(Hood answered 204\)/mu);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('healthy');
  });

  it('shows the rate-limit headroom from the validate answer without spending a blocked-contacts request', async () => {
    // Act
    const result = await check(TOKEN, '--json');

    // Assess
    const rate = (JSON.parse(result.stdout) as CheckJson).checks.find((c) => c.name === 'rate limit')!;
    expect(rate).toMatchObject({ status: 'ok', limit: 10, remaining: 10 });
    expect(hood.stats().byStatus).toEqual({ 204: 1 });
  });

  it('spends exactly one blocked-contacts request with --probe, and says so', async () => {
    // Act
    const result = await check(TOKEN, '--json', '--probe');

    // Assess
    const rate = (JSON.parse(result.stdout) as CheckJson).checks.find((c) => c.name === 'rate limit')!;
    expect(rate).toMatchObject({ status: 'ok', limit: 10, remaining: 9 });
    expect(rate.message).toContain('this check spent 1 request');
    expect(hood.stats().byStatus).toEqual({ 204: 1, 200: 1 });
  });

  it('validates the token at the Core path beside HOOD_API_URL, not under it', async () => {
    // Act
    await runCli(['check'], { HOOD_API_URL: hood.url, HOOD_API_TOKEN: TOKEN });

    // Assess: the sandbox answers 204 only at <origin>/v2/ocamba/personal-api-keys/validate.
    expect(hood.stats().byStatus).toEqual({ 204: 1 });
  });

  it('reports queue depths', async () => {
    // Prepare
    await sendMessages(sqs, queues.blockQueueUrl, [
      { body: '{"contact":"jane@example.com"}' },
      { body: '{"contact":"bob@example.com"}' },
    ]);

    // Act
    const result = await check(TOKEN, '--json');

    // Assess
    const block = (JSON.parse(result.stdout) as CheckJson).checks.find((c) => c.name === 'block queue')!;
    expect(block).toMatchObject({ status: 'ok', visible: 2, inFlight: 0 });
  });

  it('warns about dead letters without failing', async () => {
    // Prepare
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      { body: '{"contact":"x@"}', attributes: deadLetterAttributes({ reason: 'invalid_contact' }) },
    ]);

    // Act
    const result = await check(TOKEN);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^warn +dead letters +1 message waiting for a decision \(1 invalid_contact\): hood-blocker dlq list/mu,
    );
  });

  it('counts dead letters by reason, largest first, and leaves them on the queue', async () => {
    // Prepare
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      { body: '{"contact":"x@"}', attributes: deadLetterAttributes({ reason: 'invalid_contact' }) },
      { body: '{"contact":"y@"}', attributes: deadLetterAttributes({ reason: 'invalid_contact' }) },
      { body: '{"contact":"z@example.com"}', attributes: deadLetterAttributes({ reason: 'hood_rejected' }) },
    ]);

    // Act
    const result = await check(TOKEN, '--json');

    // Assess
    const dlq = (JSON.parse(result.stdout) as CheckJson).checks.find((c) => c.name === 'dead letters')!;
    expect(dlq).toMatchObject({ status: 'warn', byReason: { invalid_contact: 2, hood_rejected: 1 } });
    expect(dlq.message).toContain('(2 invalid_contact, 1 hood_rejected)');
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 3 });
  });

  it('shows when the local pipeline runs in shadow mode', async () => {
    // Prepare
    const stateDir = join(dir.path, '.hood-blocker');
    writeStateFor(stateDir, queues, { sandbox: false, url: hood.url, dryRun: true });

    // Act
    const result = await runCli(['check', '--local', '--state-dir', stateDir], { HOOD_API_TOKEN: TOKEN });

    // Assess
    expect(result.stdout).toMatch(/^warn +mode +SHADOW MODE \(HOOD_DRY_RUN=true/mu);
  });

  it('says the oldest-message age is not measured for the local pipeline', async () => {
    // Act
    const result = await check(TOKEN);

    // Assess
    expect(result.stdout).toMatch(/^skip +oldest message +not measured for the local pipeline/mu);
  });

  it('exits 1 with one clear line when Hood rejects the token, without printing the token', async () => {
    // Act
    const result = await check(WRONG_TOKEN);

    // Assess
    expect(result.code).toBe(1);
    const failures = result.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/token +rejected by Hood \(401\)/u);
    expect(result.stdout + result.stderr).not.toContain(WRONG_TOKEN);
  });

  it('exits 1 when HOOD_API_TOKEN is not set, naming the variable', async () => {
    // Act
    const result = await check('');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +token +HOOD_API_TOKEN: is not set/mu);
  });

  it('exits 1 when the queues cannot be reached', async () => {
    // Prepare
    await queues.stop();

    // Act
    const result = await check(TOKEN, '--json');

    // Assess
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as CheckJson;
    expect(json.healthy).toBe(false);
    expect(json.checks.find((c) => c.name === 'block queue')).toMatchObject({ status: 'fail' });
  });

  it('skips the queue checks, and says so, when no queue is given', async () => {
    // Act
    const result = await runCli(['check'], { HOOD_API_URL: hood.url, HOOD_API_TOKEN: TOKEN });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^skip +queues +not checked/mu);
  });
});

describe('hood-blocker check against AWS queues', () => {
  const io = () => {
    let stdout = '';
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        stdout += chunk.toString();
        cb();
      },
    });
    return {
      io: {
        stdout: sink,
        stderr: sink,
        stdin: Readable.from(['']),
        env: { HOOD_API_URL: hood.url, HOOD_API_TOKEN: TOKEN, AWS_ENDPOINT_URL_SQS: queues.endpoint },
      },
      out: () => stdout,
    };
  };

  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('shows the age of the oldest message from CloudWatch for the block queue', async () => {
    // Prepare
    const asked: string[] = [];
    const readOldestAge = async (queueName: string, region: string | undefined) => {
      asked.push(`${queueName}@${region}`);
      return { seconds: 4500, at: new Date('2026-01-02T03:04:00Z') };
    };
    const { io: cliIo, out } = io();

    // Act
    await runCheck(['--queue-url', queues.blockQueueUrl, '--region', queues.region, '--json'], cliIo, {
      readOldestAge,
    });

    // Assess
    const oldest = (JSON.parse(out()) as CheckJson).checks.find((c) => c.name === 'oldest message')!;
    expect(asked).toEqual([`${queues.blockQueueUrl.split('/').at(-1)}@${queues.region}`]);
    expect(oldest).toMatchObject({
      status: 'warn',
      ageSeconds: 4500,
      message: expect.stringContaining('75 min old') as unknown as string,
    });
  });

  it('degrades to a warning when CloudWatch cannot be read', async () => {
    // Prepare
    const readOldestAge = async () => {
      throw Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
      });
    };
    const { io: cliIo, out } = io();

    // Act
    const code = await runCheck(['--queue-url', queues.blockQueueUrl, '--region', queues.region, '--json'], cliIo, {
      readOldestAge,
    });

    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(out()) as CheckJson).checks.find((c) => c.name === 'oldest message')).toMatchObject({
      status: 'warn',
    });
  });
});
