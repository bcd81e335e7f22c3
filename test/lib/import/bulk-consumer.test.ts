import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumerConfig, loadConsumerConfig } from '../../../lib/config.js';
import { type HoodCreator, processBatch } from '../../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../../lib/consumer/recent.js';
import type { CreateResult } from '../../../lib/hood/client.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import { captureLog } from '../../helpers/logs.js';
import { localConsumerEnv, queueDepth, receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';

// The consumer with a record from the bulk queue (imports, backfills): what it re-queues goes back to the
// bulk queue, what it dead-letters goes to the bulk DLQ, so an import never trips the live queue's alarms.
let queues: LocalQueues;
let sqs: SQSClient;
let config: ConsumerConfig;

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
  config = loadConsumerConfig({
    ...localConsumerEnv(queues),
    BULK_QUEUE_URL: queues.bulkQueueUrl,
    BULK_DEAD_LETTER_QUEUE_URL: queues.bulkDeadLetterQueueUrl,
  });
});
afterEach(async () => {
  sqs.destroy();
  await queues.stop();
});

async function runBulk(bodies: string[], answer: () => CreateResult) {
  await sendBodies(sqs, queues.bulkQueueUrl, bodies);
  const records = (await receiveAll(sqs, queues.bulkQueueUrl, bodies.length)).map((m) =>
    toRecord(m, queues.bulkQueueArn),
  );
  const hood: HoodCreator = { createBlockedContact: async () => answer() };
  await processBatch(records, () => 60_000, {
    config,
    hood,
    sqs,
    pacer: new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
    recent: new RecentContacts(),
    logger: captureLog(),
    count: () => undefined,
  });
}

describe('a bulk record in the consumer', () => {
  it('is dead-lettered to the bulk DLQ, not the live one', async () => {
    await runBulk(
      [JSON.stringify({ contact: 'not a contact', reason: 'manual', source: 'import:sendgrid' })],
      () => ({ kind: 'created', id: '1', status: 201 }) as CreateResult,
    );
    expect(await receiveAll(sqs, queues.bulkDeadLetterQueueUrl, 10)).toHaveLength(1);
    expect(await receiveAll(sqs, queues.deadLetterQueueUrl, 10)).toHaveLength(0);
  });

  it('is re-queued to the bulk queue when Hood throttles', async () => {
    await runBulk(
      [JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe', source: 'import:sendgrid' })],
      () => ({ kind: 'rate_limited', status: 429, retryAfterSeconds: 0, retryAfterMs: 0, parallelLimit: false }),
    );
    // The copy is delayed by the pause; count what waits, visible or delayed (the original was deleted).
    const waiting = async (url: string) => {
      const d = await queueDepth(sqs, url);
      return d.visible + d.delayed;
    };
    expect(await waiting(queues.blockQueueUrl)).toBe(0);
    expect(await waiting(queues.bulkQueueUrl)).toBe(1);
  });
});
