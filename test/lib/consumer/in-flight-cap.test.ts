import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config.js';
import { createConsumer } from '../../../lib/consumer/consumer.js';
import type { HoodCreator } from '../../../lib/consumer/process-batch.js';
import { captureLog } from '../../helpers/logs.js';

// Without LEDGER_TABLE the in-flight cap can only be split per consumer (at least one each): a cold start
// must say so when the consumers outnumber the cap, and stay quiet when they do not.

/** SQS and Hood are the network edge: nothing is sent in these tests. */
const sqs = { send: async () => ({}), destroy() {} } as unknown as SQSClient;
const hood: HoodCreator = {
  async createBlockedContact() {
    throw new Error('not called');
  },
};

async function coldStartWarnings(consumers: number, maxInFlight: number) {
  const logger = captureLog();
  const config = loadConsumerConfig({
    HOOD_API_TOKEN: 'test-token',
    CONSUMER_MAX_CONCURRENCY: String(consumers),
    HOOD_MAX_IN_FLIGHT: String(maxInFlight),
    BLOCK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/block',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
    AWS_REGION: 'eu-west-1',
  });
  const consumer = await createConsumer(config, { logger, sqs, hood, publishCounts: () => {} });
  await consumer.close();
  return logger.lines.filter((l) => l.level === 'warn' && l.message.includes('HOOD_MAX_IN_FLIGHT'));
}

describe('in-flight cap with static shares', () => {
  it('warns at cold start when consumers outnumber HOOD_MAX_IN_FLIGHT', async () => {
    // Act
    const warnings = await coldStartWarnings(8, 4);
    // Assess
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ consumers: 8, maxInFlight: 4 });
  });

  it('stays quiet when every consumer can have its share of the cap', async () => {
    // Act
    const warnings = await coldStartWarnings(4, 4);
    // Assess
    expect(warnings).toHaveLength(0);
  });
});
