import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig, parseRateLimits } from '../../../lib/config.js';
import { createConsumer } from '../../../lib/consumer/consumer.js';
import { startLocalQueues } from '../../../dev/emulator.js';
import { LedgerRateLimiter } from '../../../lib/pacing/ledger-limiter.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import { startHoodSandbox } from '../../../dev/hood-sandbox.js';
import { startLocalTable } from '../../helpers/dynalite.js';
import { captureLog } from '../../helpers/logs.js';
import { receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';

const TOKEN = 'shared-budget-token';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(withLedger: boolean) {
  const queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  const sqs = sqsClientFor(queues);
  const hood = await startHoodSandbox({ token: TOKEN, rateLimits: parseRateLimits('6/300ms') });
  const table = withLedger ? await startLocalTable('ledger') : undefined;
  cleanups.push(async () => {
    sqs.destroy();
    await queues.stop();
    await hood.close();
    await table?.stop();
  });
  const env: Record<string, string> = {
    HOOD_API_TOKEN: TOKEN,
    HOOD_API_URL: hood.url,
    HOOD_RATE_LIMITS: '6/300ms',
    CONSUMER_MAX_CONCURRENCY: '4',
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
  };
  if (table) {
    env.LEDGER_TABLE = table.table;
    env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
    // The contact ledger in the same table needs its HMAC key (another item prefix; not under test here).
    env.LEDGER_HASH_KEY = 'shared-budget-test-hmac-key-0123456789abcdef';
  }
  return { queues, sqs, hood, table, config: loadConsumerConfig(env) };
}

describe('rate budget: LEDGER_TABLE', () => {
  it('uses the static shares without LEDGER_TABLE', async () => {
    // Prepare
    const { config } = await setup(false);
    // Act
    const consumer = await createConsumer(config, { logger: captureLog(), publishCounts: () => undefined });
    cleanups.push(() => consumer.close());
    // Assess
    expect(consumer.pacer).toBeInstanceOf(Pacer);
  });

  it('shares one budget between 4 consumers through the table: everything blocked, no window over its limit', async () => {
    // Prepare: 6 calls per 300 ms over 4 consumers (static shares would give each one call per 300 ms).
    const { queues, sqs, hood, table, config } = await setup(true);
    const consumers = await Promise.all(
      Array.from({ length: 4 }, () => createConsumer(config, { logger: captureLog(), publishCounts: () => undefined })),
    );
    cleanups.push(async () => {
      for (const c of consumers) await c.close();
    });
    const contacts = Array.from({ length: 40 }, (_, i) => `shared${i}@example.com`);
    await sendBodies(
      sqs,
      queues.blockQueueUrl,
      contacts.map((c) => JSON.stringify({ contact: c, reason: 'unsubscribe', source: 'test' })),
    );
    const records = (await receiveAll(sqs, queues.blockQueueUrl, 40)).map((m) => toRecord(m, queues.blockQueueArn));
    // Act: each consumer gets a batch of 10, all at once.
    const responses = await Promise.all(
      consumers.map((c, i) =>
        c.handle({ Records: records.slice(i * 10, i * 10 + 10) }, { getRemainingTimeInMillis: () => 60_000 }),
      ),
    );
    // Assess
    expect(consumers[0]!.pacer).toBeInstanceOf(LedgerRateLimiter);
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(new Set(hood.contacts().map((c) => c.contact))).toEqual(new Set(contacts));
    expect(hood.stats().windowViolations).toBe(0);
    const item = await table!.client.send(
      new GetItemCommand({ TableName: table!.table, Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } } }),
    );
    expect(Number(item.Item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
  });
});
