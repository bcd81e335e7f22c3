import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumerConfig, loadConsumerConfig } from '../../lib/config.js';
import { type HoodCreator, processBatch } from '../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../lib/consumer/recent.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { Pacer } from '../../lib/pacing/pacer.js';
import { captureLog } from '../helpers/logs.js';
import { attribute, localConsumerEnv, receiveAll, sendBodies, sqsClientFor, toRecord } from '../helpers/sqs.js';

/**
 * Issue 9 item 10: "clamp the `attempts` attribute to its valid range". process-batch.ts:202 still reads it
 * with `Number(...) || 0`: a negative value is taken as is and carried onto every re-queued copy, so the
 * consumer's own retries_exhausted check (priorAttempts >= HOOD_MAX_ATTEMPTS) can never fire for it, and a
 * contact re-queued as a copy (fresh receive count) escapes the redrive policy too.
 */
let queues: LocalQueues;
let sqs: SQSClient;
let config: ConsumerConfig;

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
  config = loadConsumerConfig({
    ...localConsumerEnv(queues),
    HOOD_MAX_ATTEMPTS: '3',
  });
});

afterEach(async () => {
  sqs.destroy();
  await queues.stop();
});

describe('consumer: the attempts attribute', () => {
  it('is clamped to 0..HOOD_MAX_ATTEMPTS before it is used and carried on', async () => {
    // Prepare: a record with a negative attempts attribute, deferred (not enough time left in the invocation).
    const hood: HoodCreator = {
      createBlockedContact: async () => ({ kind: 'created', id: '1', type: 'email', status: 201 }),
    };
    await sendBodies(
      sqs,
      queues.blockQueueUrl,
      [JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe' })],
      { attempts: '-1000000' },
    );
    const records = (await receiveAll(sqs, queues.blockQueueUrl, 1)).map((m) => toRecord(m, queues.blockQueueArn));

    // Act
    await processBatch(records, () => 1000, {
      config,
      hood,
      sqs,
      pacer: new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
      recent: new RecentContacts(),
      logger: captureLog(),
      count: () => {},
    });

    // Assess
    const copies = await receiveAll(sqs, queues.blockQueueUrl, 1);
    expect(copies).toHaveLength(1);
    const carried = Number(attribute(copies[0]!, 'attempts'));
    expect(carried).toBeGreaterThanOrEqual(0);
    expect(carried).toBeLessThanOrEqual(config.hood.maxAttempts);
  });
});
