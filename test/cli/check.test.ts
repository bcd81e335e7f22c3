import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../lib/local/emulator.js';
import { deadLetterAttributes, sendMessages } from '../../lib/queue/sqs.js';
import { type HoodSandbox, startHoodSandbox } from '../../lib/sandbox/hood-server.js';
import { sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir, writeStateFor } from './helpers.js';

// `check` against the sandbox Hood (real HTTP, real X-RateLimit-* headers) and real SQS emulator queues.

const TOKEN = 'check-test-token-7c1d9e';
const WRONG_TOKEN = 'wrong-token-0f0f0f0f';

let hood: HoodSandbox;
let queues: LocalQueues;
let sqs: SQSClient;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  hood = await startHoodSandbox({ token: TOKEN });
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
  checks: { name: string; status: string; message: string; remaining?: number; limit?: number }[];
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

  it('shows the rate-limit headroom from the headers and says the check cost a request', async () => {
    // Act
    const result = await check(TOKEN, '--json');

    // Assess
    const rate = (JSON.parse(result.stdout) as CheckJson).checks.find((c) => c.name === 'rate limit')!;
    expect(rate).toMatchObject({ status: 'ok', limit: 10, remaining: 9 });
    expect(rate.message).toContain('this check spent 1 request');
  });

  it('reports queue depths', async () => {
    // Prepare
    await sendMessages(sqs, queues.blockQueueUrl, [{ body: '{"contact":"jane@example.com"}' }, { body: '{"contact":"bob@example.com"}' }]);

    // Act
    const result = await check(TOKEN, '--json');

    // Assess
    const block = (JSON.parse(result.stdout) as CheckJson).checks.find((c) => c.name === 'block queue')!;
    expect(block).toMatchObject({ status: 'ok', visible: 2, inFlight: 0 });
  });

  it('warns about dead letters without failing', async () => {
    // Prepare
    await sendMessages(sqs, queues.deadLetterQueueUrl, [{ body: '{"contact":"x@"}', attributes: deadLetterAttributes({ reason: 'invalid_contact' }) }]);

    // Act
    const result = await check(TOKEN);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^warn +dead letters +1 message waiting for a decision: hood-blocker dlq list/mu);
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
