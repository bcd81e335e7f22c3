import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../lib/config.js';
import { type Outcome, processBatch } from '../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../lib/consumer/recent.js';
import { createHoodClient, type HoodClient } from '../../lib/hood/client.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { Pacer } from '../../lib/pacing/pacer.js';
import { type HoodSandbox, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { captureLog } from '../helpers/logs.js';
import { receiveAll, sendBodies, sqsClientFor, toRecord } from '../helpers/sqs.js';

/**
 * Issue 9 item 1 asked for "every other place a fractional millisecond value reaches a timer or signal".
 * With 4 consumers (the issue's own example; also 7 and 8) 150/1m gives a share of 37/min, a spacing of 1621.62… ms,
 * so the next slot is fractional. Near the end of an invocation the call's timeout is cut to the time
 * left (`Math.min(requestTimeoutMs, budget)`), which is then fractional too, and the Hood client hands it
 * to AbortSignal.timeout, which throws RangeError for a non-integer. The record ends as "kept for retry
 * after an internal failure": a receive (an attempt towards the redrive policy) spent without calling Hood.
 */
let queues: LocalQueues;
let sqs: SQSClient;
let sandbox: HoodSandbox;
let hood: HoodClient;

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
  sandbox = await startHoodSandbox({ token: 'test-token', rateLimits: [{ count: 1000, windowMs: 1000 }] });
  hood = createHoodClient({ apiUrl: sandbox.url, token: 'test-token', requestTimeoutMs: 10_000 });
});

afterEach(async () => {
  await hood.close?.();
  await sandbox.close();
  sqs.destroy();
  await queues.stop();
});

describe('consumer: a fractional pacing slot near the deadline', () => {
  it('calls Hood and blocks instead of failing internally', async () => {
    // Prepare
    const config = loadConsumerConfig({
      HOOD_API_TOKEN: 'test-token',
      HOOD_API_URL: sandbox.url,
      HOOD_RATE_LIMITS: '150/1m',
      CONSUMER_MAX_CONCURRENCY: '4',
      BLOCK_QUEUE_URL: queues.blockQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
      AWS_REGION: queues.region,
    });
    let now = Date.UTC(2026, 0, 15, 10, 0, 0);
    const clock = () => now;
    const pacer = new Pacer({ windows: config.hood.rateLimits, consumers: 4, clock });
    // One earlier call of this container: the next slot is one (fractional) spacing later.
    pacer.started(now);
    pacer.completed(now);
    await sendBodies(sqs, queues.blockQueueUrl, [
      JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe', source: 'test' }),
    ]);
    const records = (await receiveAll(sqs, queues.blockQueueUrl, 1)).map((m) => toRecord(m, queues.blockQueueArn));
    const counts: Partial<Record<Outcome, number>> = {};
    const logger = captureLog();
    const deadline = now + 10_000;

    // Act
    const response = await processBatch(records, () => deadline - now, {
      config,
      hood,
      sqs,
      pacer,
      recent: new RecentContacts(),
      logger,
      clock,
      sleep: async (ms) => {
        now += ms;
      },
      count: (o, n = 1) => {
        counts[o] = (counts[o] ?? 0) + n;
      },
    });

    // Assess
    expect(logger.text()).not.toContain('internal failure');
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.blocked).toBe(1);
  });
});
