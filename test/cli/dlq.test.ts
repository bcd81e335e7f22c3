import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { deadLetterAttributes, sendMessages } from '../../lib/queue/sqs.js';
import { attribute, queueDepth, receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir, writeStateFor } from './helpers.js';

// `dlq list` and `dlq redrive` against a real SQS emulator whose dead-letter queue holds what the
// consumer and SQS's redrive policy put there: bodies with `reason`/`detail`/`trace_id` attributes, and
// one message without a reason (moved by the redrive policy).

const INVALID = [
  JSON.stringify({ contact: 'short-code-12345', reason: 'sms_opt_out', source: 'twilio' }),
  JSON.stringify({ contact: 'jane@', reason: 'unsubscribe', source: 'generic' }),
  JSON.stringify({ contact: 'nobody@', reason: 'complaint', source: 'generic' }),
];
const REJECTED = [
  JSON.stringify({ contact: 'bob@example.com', reason: 'hard_bounce', source: 'ses' }),
  JSON.stringify({ contact: '+38761234567', reason: 'sms_opt_out', source: 'twilio' }),
];
const REDRIVEN_BY_SQS = JSON.stringify({ contact: 'carol@example.com', reason: 'manual' });

let queues: LocalQueues;
let sqs: SQSClient;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  queues = await startLocalQueues();
  sqs = sqsClientFor(queues);
  dir = tempDir();
  writeStateFor(join(dir.path, '.hood-blocker'), queues);
  await sendMessages(
    sqs,
    queues.deadLetterQueueUrl,
    INVALID.map((body) => ({
      body,
      attributes: deadLetterAttributes({
        reason: 'invalid_contact',
        detail: 'not an email address',
        correlationId: 'corr-1',
      }),
    })),
  );
  await sendMessages(
    sqs,
    queues.deadLetterQueueUrl,
    REJECTED.map((body) => ({
      body,
      attributes: deadLetterAttributes({
        reason: 'hood_rejected',
        detail: 'HTTP 400: Bad request.',
        traceId: 'trace-42',
      }),
    })),
  );
  await sendMessages(sqs, queues.deadLetterQueueUrl, [
    { body: REDRIVEN_BY_SQS, attributes: { correlation_id: 'corr-9', attempts: '3' } },
  ]);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  sqs.destroy();
  await queues.stop();
  dir.remove();
});

const local = () => ['--local', '--state-dir', join(dir.path, '.hood-blocker')];

interface ListResult {
  approximateTotal: number;
  listed: number;
  complete: boolean;
  groups: {
    reason: string;
    count: number;
    samples: { contacts: string[]; detail: string | null; traceId: string | null; deadLetteredAt: string | null }[];
  }[];
}

describe('hood-blocker dlq list', () => {
  it('groups dead letters by reason with counts, largest group first', async () => {
    // Act
    const result = await runCli(['dlq', 'list', ...local(), '--json']);

    // Assess
    expect(result.code).toBe(0);
    const list = JSON.parse(result.stdout) as ListResult;
    expect(list.groups.map((g) => [g.reason, g.count])).toEqual([
      ['invalid_contact', 3],
      ['hood_rejected', 2],
      ['redrive_policy', 1],
    ]);
    expect(list).toMatchObject({ approximateTotal: 6, listed: 6, complete: true });
  });

  it('shows up to three samples per reason with detail, trace id and time', async () => {
    // Act
    const result = await runCli(['dlq', 'list', ...local(), '--json']);

    // Assess
    const rejected = (JSON.parse(result.stdout) as ListResult).groups.find((g) => g.reason === 'hood_rejected')!;
    expect(rejected.samples).toHaveLength(2);
    expect(rejected.samples[0]).toMatchObject({ detail: 'HTTP 400: Bad request.', traceId: 'trace-42' });
    expect(rejected.samples[0]!.deadLetteredAt).toMatch(/^\d{4}-\d{2}-\d{2}T/u);
  });

  it('masks contacts by default', async () => {
    // Act
    const result = await runCli(['dlq', 'list', ...local(), '--json']);

    // Assess
    const contacts = (JSON.parse(result.stdout) as ListResult).groups.flatMap((g) =>
      g.samples.flatMap((s) => s.contacts),
    );
    expect(contacts).toEqual(expect.arrayContaining(['b***@e***.com', '+38*******67']));
    expect(result.stdout).not.toContain('bob@example.com');
    expect(result.stdout).not.toContain('38761234567');
  });

  it('shows contacts in full with --show-contacts', async () => {
    // Act
    const result = await runCli(['dlq', 'list', ...local(), '--json', '--show-contacts']);

    // Assess
    const contacts = (JSON.parse(result.stdout) as ListResult).groups.flatMap((g) =>
      g.samples.flatMap((s) => s.contacts),
    );
    expect(contacts).toEqual(expect.arrayContaining(['bob@example.com', '+38761234567']));
  });

  it('leaves every message on the dead-letter queue, visible again', async () => {
    // Act
    await runCli(['dlq', 'list', ...local()]);

    // Assess
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toEqual({ visible: 6, inFlight: 0, delayed: 0 });
  });

  it('prints one readable block per reason without --json', async () => {
    // Act
    const result = await runCli(['dlq', 'list', ...local()]);

    // Assess
    expect(result.stdout).toContain('6 messages');
    expect(result.stdout).toMatch(/^invalid_contact: 3 \(not retryable\)$/mu);
    expect(result.stdout).toMatch(/^hood_rejected: 2 \(retryable\)$/mu);
    expect(result.stdout).toContain('--show-contacts');
  });
});

describe('hood-blocker dlq redrive', () => {
  it('moves only the messages with the given reason to the block queue, bodies unchanged', async () => {
    // Act
    const result = await runCli(['dlq', 'redrive', '--reason', 'hood_rejected', '--rate', '100', ...local(), '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ mode: 'copy', moved: 2, skipped: 4, notDeleted: 0 });
    const moved = await receiveAll(sqs, queues.blockQueueUrl);
    expect(moved.map((m) => m.Body).sort()).toEqual([...REJECTED].sort());
  });

  it('marks redriven messages with their former reason and keeps the correlation id', async () => {
    // Act
    await runCli(['dlq', 'redrive', '--reason', 'redrive_policy', '--rate', '100', ...local()]);

    // Assess
    const moved = await receiveAll(sqs, queues.blockQueueUrl);
    expect(moved.map((m) => [attribute(m, 'redriven_from_reason'), attribute(m, 'correlation_id')])).toEqual([
      ['redrive_policy', 'corr-9'],
    ]);
  });

  it('leaves messages with other reasons in the dead-letter queue, visible', async () => {
    // Act
    await runCli(['dlq', 'redrive', '--reason', 'hood_rejected', '--rate', '100', ...local()]);

    // Assess
    const left = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(left.map((m) => m.Body).sort()).toEqual([...INVALID, REDRIVEN_BY_SQS].sort());
  });

  it('moves every retryable dead letter without --reason, dropping the consumer attempt counter', async () => {
    // Act
    const result = await runCli(['dlq', 'redrive', '--rate', '100', ...local(), '--json']);

    // Assess
    expect(JSON.parse(result.stdout)).toMatchObject({
      moved: 3,
      unretryable: 3,
      unretryableByReason: { invalid_contact: 3 },
    });
    const moved = await receiveAll(sqs, queues.blockQueueUrl);
    expect(moved).toHaveLength(3);
    const fromSqs = moved.find((m) => m.Body === REDRIVEN_BY_SQS)!;
    expect([attribute(fromSqs, 'redriven_from_reason'), attribute(fromSqs, 'attempts')]).toEqual([
      'redrive_policy',
      undefined,
    ]);
    expect((await receiveAll(sqs, queues.deadLetterQueueUrl)).map((m) => m.Body).sort()).toEqual([...INVALID].sort());
  });

  it('does not move what is dead-lettered after it began, so a failing message cannot cycle', async () => {
    // Prepare: slow enough that the redrive is still running when a "failed again" message arrives.
    const redrive = runCli(['dlq', 'redrive', '--rate', '1', ...local(), '--json']);
    const first = async () => (await queueDepth(sqs, queues.blockQueueUrl)).visible > 0;
    while (!(await first())) await new Promise((r) => setTimeout(r, 50));
    const again = JSON.stringify({ contact: 'jane@', reason: 'unsubscribe', source: 'generic' });
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      { body: again, attributes: deadLetterAttributes({ reason: 'malformed_message' }) },
    ]);

    // Act
    const result = await redrive;

    // Assess
    expect(JSON.parse(result.stdout)).toMatchObject({ moved: 3, arrivedDuring: 1 });
    expect((await receiveAll(sqs, queues.deadLetterQueueUrl)).map((m) => m.Body).sort()).toEqual(
      [...INVALID, again].sort(),
    );
  });

  it('stops after --max messages', async () => {
    // Act
    const result = await runCli(['dlq', 'redrive', '--max', '2', '--rate', '100', ...local(), '--json']);

    // Assess
    expect(JSON.parse(result.stdout)).toMatchObject({ moved: 2 });
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toEqual({ visible: 4, inFlight: 0, delayed: 0 });
  });

  it('falls back to copying when the endpoint has no message move tasks (an SQS emulator)', async () => {
    // Prepare: addressed like AWS (queue URLs, not --local), so a move task is tried first. The SDK reads
    // credentials from the process environment itself; the emulator accepts any.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    const env = { AWS_ENDPOINT_URL_SQS: queues.endpoint, AWS_REGION: queues.region };
    // Only retryable dead letters left: a move task is what would be tried first.
    await runCli(['dlq', 'purge', ...local(), '--yes', '--reason', 'invalid_contact']);

    // Act
    const result = await runCli(
      ['dlq', 'redrive', '--queue-url', queues.blockQueueUrl, '--rate', '100', '--json'],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ mode: 'copy', moved: 3 });
  });

  it('rejects a rate that is not a number of messages per second (exit 2)', async () => {
    // Act
    const result = await runCli(['dlq', 'redrive', '--rate', 'fast', ...local()]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--rate "fast" must be messages per second/u);
  });
});

describe('hood-blocker dlq redrive against AWS', () => {
  // A scripted SQS endpoint (JSON protocol, as the SDK speaks it to AWS): message move tasks exist only in
  // AWS, so this is what checks the request hood-blocker makes.
  const ACCOUNT = '123456789012';
  let server: Server;
  let origin: string;
  const calls: { action: string; body: Record<string, unknown> }[] = [];

  beforeEach(async () => {
    calls.length = 0;
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const action = String(req.headers['x-amz-target'] ?? '').replace('AmazonSQS.', '');
        const body = JSON.parse(text || '{}') as Record<string, unknown>;
        calls.push({ action, body });
        const name = String(body.QueueUrl ?? '')
          .split('/')
          .pop();
        const answers: Record<string, unknown> = {
          GetQueueAttributes: { Attributes: { QueueArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:${name}` } },
          StartMessageMoveTask: { TaskHandle: 'task-handle-1' },
          ListMessageMoveTasks: {
            Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesToMove: 6, ApproximateNumberOfMessagesMoved: 0 }],
          },
        };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(answers[action] ?? {}));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example');
  });

  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('starts one message move task from the DLQ to the block queue, capped at 2 messages/s by default', async () => {
    // Prepare
    const env = { AWS_ENDPOINT_URL_SQS: origin, AWS_REGION: 'eu-west-1' };
    const flags = [
      '--queue-url',
      `${origin}/${ACCOUNT}/hood-blocker-prod-block`,
      '--dlq-url',
      `${origin}/${ACCOUNT}/hood-blocker-prod-dlq`,
    ];

    // Act
    const result = await runCli(['dlq', 'redrive', ...flags, '--json'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(calls.find((c) => c.action === 'StartMessageMoveTask')?.body).toEqual({
      SourceArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:hood-blocker-prod-dlq`,
      DestinationArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:hood-blocker-prod-block`,
      MaxNumberOfMessagesPerSecond: 2,
    });
    expect(JSON.parse(result.stdout)).toMatchObject({
      mode: 'move_task',
      taskHandle: 'task-handle-1',
      approximateToMove: 6,
    });
  });
});

describe('hood-blocker dlq purge', () => {
  it('deletes every dead letter with --yes and reports how many by reason', async () => {
    // Act
    const result = await runCli(['dlq', 'purge', ...local(), '--yes', '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      found: 6,
      deleted: 6,
      byReason: { invalid_contact: 3, hood_rejected: 2, redrive_policy: 1 },
    });
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('deletes only the reason given with --reason and hands the others back', async () => {
    // Act
    await runCli(['dlq', 'purge', ...local(), '--yes', '--reason', 'invalid_contact']);

    // Assess
    const left = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(left.map((m) => attribute(m, 'reason') ?? 'none').sort()).toEqual([
      'hood_rejected',
      'hood_rejected',
      'none',
    ]);
  });

  it('asks first and deletes after "yes" on stdin', async () => {
    // Act
    const result = await runCli(['dlq', 'purge', ...local()], {}, 'yes\n');

    // Assess
    expect(result.stderr).toMatch(/About to delete 6 dead letters .*\n(.*\n)*.*Type "yes" to delete them/u);
    expect(result.code).toBe(0);
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  });

  it('deletes nothing and exits 1 when the answer is not "yes" or stdin ends without one', async () => {
    // Act
    const no = await runCli(['dlq', 'purge', ...local()], {}, 'y\n');
    const none = await runCli(['dlq', 'purge', ...local(), '--json'], {}, '');

    // Assess
    expect([no.code, none.code]).toEqual([1, 1]);
    expect(JSON.parse(none.stdout)).toMatchObject({ cancelled: true, deleted: 0 });
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 6 });
  });
});
