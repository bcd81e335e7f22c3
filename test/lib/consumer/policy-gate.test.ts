import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumerConfig, loadConsumerConfig } from '../../../lib/config.js';
import {
  type ConsumerDeps,
  type HoodCreator,
  type Outcome,
  processBatch,
} from '../../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../../lib/consumer/recent.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import { captureLog } from '../../helpers/logs.js';
import { localConsumerEnv, receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';

/**
 * The consumer's decision step is the last gate before Hood: NEVER_BLOCK, count-only soft bounces and
 * masked logging of rejected input are checked here against real local SQS (fauxqs) with Hood mocked at
 * the network edge.
 */
let queues: LocalQueues;
let sqs: SQSClient;

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
});

afterEach(async () => {
  sqs.destroy();
  await queues.stop();
});

function configWith(extra: Record<string, string>): ConsumerConfig {
  return loadConsumerConfig({
    ...localConsumerEnv(queues),
    ...extra,
  });
}

async function runBatch(bodies: string[], config: ConsumerConfig) {
  const calls: string[] = [];
  const hood: HoodCreator = {
    async createBlockedContact(input) {
      calls.push(input.contact);
      return { kind: 'created', id: String(calls.length), type: 'email', status: 201 };
    },
  };
  await sendBodies(sqs, queues.blockQueueUrl, bodies);
  const records = (await receiveAll(sqs, queues.blockQueueUrl, bodies.length)).map((m) =>
    toRecord(m, queues.blockQueueArn),
  );
  const counts: Partial<Record<Outcome, number>> = {};
  const logger = captureLog();
  const deps: ConsumerDeps = {
    config,
    hood,
    sqs,
    pacer: new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
    recent: new RecentContacts(),
    logger,
    count: (o, n = 1) => {
      counts[o] = (counts[o] ?? 0) + n;
    },
  };
  const response = await processBatch(records, () => 60_000, deps);
  return { calls, counts, logger, response };
}

describe('consumer decision step: NEVER_BLOCK', () => {
  it('never calls Hood for a listed contact, and logs it masked with reason never_block', async () => {
    // Prepare
    const config = configWith({ NEVER_BLOCK: 'seed@example.com,*@company.example' });
    const bodies = [
      JSON.stringify({ contact: 'Seed@Example.com', reason: 'complaint', source: 'ses' }),
      JSON.stringify({ contact: 'ceo@COMPANY.example', reason: 'unsubscribe', source: 'sendgrid' }),
      JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe', source: 'sendgrid' }),
    ];

    // Act
    const { calls, counts, logger } = await runBatch(bodies, config);

    // Assess
    expect(calls).toEqual(['jane@example.com']);
    expect(counts.ignored).toBe(2);
    expect(logger.lines.filter((l) => l.fields.reason === 'never_block')).toHaveLength(2);
    expect(logger.text()).not.toMatch(/seed@example\.com|ceo@company\.example/iu);
  });
});

describe('consumer decision step: soft_bounce', () => {
  it('ignores a soft_bounce message with reason soft_bounce and never calls Hood', async () => {
    // Prepare
    const config = configWith({});

    // Act
    const { calls, counts, logger } = await runBatch(
      [JSON.stringify({ contact: 'jane@example.com', reason: 'soft_bounce', source: 'ses', eventId: 'm-1' })],
      config,
    );

    // Assess
    expect(calls).toEqual([]);
    expect(counts.ignored).toBe(1);
    expect(logger.lines.some((l) => l.fields.reason === 'soft_bounce')).toBe(true);
  });
});

describe('consumer decision step: rejected raw input is never logged in clear', () => {
  it('dead-letters an invalid contact without the name or number it carried reaching the log', async () => {
    // Prepare
    const config = configWith({});
    const bodies = [
      JSON.stringify({ contact: 'x@y.z John Smith +1 415 555 0100', reason: 'unsubscribe' }),
      JSON.stringify([{ contact: 'ok@example.com' }, { contact: 'x@y.z John Smith +1 415 555 0100' }]),
    ];

    // Act
    const { counts, logger } = await runBatch(bodies, config);

    // Assess
    expect(counts.dead_lettered).toBeGreaterThanOrEqual(1);
    // The number as written or run together; a bare `415` would match random message ids and hashes.
    expect(logger.text()).not.toMatch(/John|Smith|415 555|555 0100|4155550100/u);
  });

  it('dead-letters a contact hidden behind a bidi override as invalid_contact instead of blocking it', async () => {
    // Prepare
    const config = configWith({});

    // Act
    const { calls, counts, logger } = await runBatch(
      [JSON.stringify({ contact: 'ja\u202Ene@example.com', reason: 'unsubscribe' })],
      config,
    );

    // Assess
    expect(calls).toEqual([]);
    expect(counts.dead_lettered).toBe(1);
    expect(logger.lines.some((l) => l.fields.reason === 'invalid_contact')).toBe(true);
  });
});
