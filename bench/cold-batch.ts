/**
 * Cold start, second figure (bench `cold`): a fresh process imports the built consumer handler and hands it
 * one 1-record SQS batch — an opt-out that ends blocked (Hood 201, the message deleted, counts published) —
 * the real code path a new Lambda container runs before its first answer. Import time alone can be
 * improved by moving work into the first invocation; this figure cannot. The queue is fauxqs and Hood the
 * sandbox, both in this (parent) process; each record is a real message received from the queue, so the
 * delete acts on a real receipt handle.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { consumerQueueEnv, sqsClientFor, startLocalQueues } from '../dev/emulator.js';
import { startHoodSandbox } from '../dev/hood-sandbox.js';

const TOKEN = 'bench-token-not-a-secret';
const CHILD = resolve('bench/cold-child.mjs');
const run = promisify(execFile);

export interface ColdBatchSample {
  importMs: number;
  firstBatchMs: number;
  /** CPU time of the whole child process (Node's own start included), ms. */
  cpuMs: number;
}

/** Runs `rounds` cold starts per root, interleaved (load on the shared machine hits every root alike). */
export async function coldFirstBatch(
  roots: readonly string[],
  file: string,
  rounds: number,
  contactFor: (n: number) => string,
): Promise<Map<string, ColdBatchSample[]>> {
  const queues = await startLocalQueues({ visibilityTimeoutSeconds: 60 });
  // No pacing wait in the way: the figure is the work of a cold start, not Hood's rate limit.
  const hood = await startHoodSandbox({
    token: TOKEN,
    rateLimits: [{ count: 10_000, windowMs: 1000 }],
    duplicateBehaviour: 'create',
  });
  const sqs = sqsClientFor(queues);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: TOKEN,
    HOOD_RATE_LIMITS: '10000/1s',
    ...consumerQueueEnv(queues),
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // To profile a cold start: COLD_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/cold-prof'.
    ...(process.env.COLD_NODE_OPTIONS ? { NODE_OPTIONS: process.env.COLD_NODE_OPTIONS } : {}),
  };
  const samples = new Map<string, ColdBatchSample[]>(roots.map((r) => [r, []]));
  let n = 0;
  try {
    for (let i = 0; i < rounds; i += 1) {
      for (const root of roots) {
        const contact = contactFor(n++);
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queues.blockQueueUrl,
            MessageBody: JSON.stringify({ contact, reason: 'unsubscribe', source: 'bench' }),
          }),
        );
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queues.blockQueueUrl,
            MaxNumberOfMessages: 1,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const message = received.Messages?.[0];
        if (!message) throw new Error('cold bench: the message just sent was not received');
        const event = {
          Records: [
            {
              messageId: message.MessageId,
              receiptHandle: message.ReceiptHandle,
              body: message.Body,
              attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), ...message.Attributes },
              messageAttributes: {},
              md5OfBody: message.MD5OfBody,
              eventSource: 'aws:sqs',
              eventSourceARN: queues.blockQueueArn,
              awsRegion: queues.region,
            },
          ],
        };
        const created = hood.stats().created;
        // Asynchronously: the queue and Hood answer from this process's event loop.
        const { stdout, stderr } = await run(process.execPath, [CHILD, pathToFileURL(resolve(root, file)).href], {
          env: { ...env, COLD_EVENT: JSON.stringify(event) },
          encoding: 'utf8',
          maxBuffer: 16 * 1024 * 1024,
        });
        const figures = /^COLD (\S+) (\S+)(?: (\S+))?$/mu.exec(`${stderr}\n${stdout}`);
        if (!figures) throw new Error(`cold bench: ${root} printed no figures: ${stderr.slice(-500)}`);
        if (hood.stats().created !== created + 1) throw new Error(`cold bench: ${root} did not block the contact`);
        const left = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queues.blockQueueUrl,
            MaxNumberOfMessages: 1,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 0,
          }),
        );
        if ((left.Messages ?? []).length > 0) throw new Error(`cold bench: ${root} left the message on the queue`);
        samples
          .get(root)!
          .push({ importMs: Number(figures[1]), firstBatchMs: Number(figures[2]), cpuMs: Number(figures[3]) });
      }
    }
  } finally {
    sqs.destroy();
    await hood.close();
    await queues.stop();
  }
  return samples;
}
