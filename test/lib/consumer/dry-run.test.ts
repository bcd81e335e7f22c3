import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Env, loadConsumerConfig, loadHoodConfig } from '../../../lib/config.js';
import { type Consumer, createConsumer } from '../../../lib/consumer/consumer.js';
import { createDryRunHood } from '../../../lib/consumer/dry-run.js';
import { DRY_RUN_ID_PREFIX, isDryRunResult } from '../../../lib/policy/index.js';
import type { HoodCreator } from '../../../lib/consumer/process-batch.js';
import { ConfigError } from '../../../lib/errors.js';
import type { CreateResult } from '../../../lib/hood/client.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { captureLog } from '../../helpers/logs.js';
import { queueDepth, receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';

// Shadow mode (HOOD_DRY_RUN): the whole consumer runs against the fauxqs SQS emulator; Hood is the network
// edge, replaced by a recorder that must never be called while the mode is on.

/** Hood at the network edge: records every create and answers 201 with a numeric id. */
function recordingHood() {
  const calls: string[] = [];
  const hood: HoodCreator = {
    async createBlockedContact(input): Promise<CreateResult> {
      calls.push(input.contact);
      return { kind: 'created', id: String(1000 + calls.length), type: 'email', status: 201 };
    },
  };
  return { hood, calls };
}

let queues: LocalQueues;
let sqs: SQSClient;
let consumer: Consumer | undefined;

const env = (extra: Env = {}): Env => ({
  HOOD_API_TOKEN: 'test-token',
  HOOD_API_URL: 'http://127.0.0.1:9/v1/hood',
  HOOD_RATE_LIMITS: '1000/1s',
  BLOCK_QUEUE_URL: queues.blockQueueUrl,
  DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
  AWS_ENDPOINT_URL_SQS: queues.endpoint,
  AWS_REGION: queues.region,
  ...extra,
});

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
});

afterEach(async () => {
  await consumer?.close();
  consumer = undefined;
  sqs.destroy();
  await queues.stop();
});

/** Queue the bodies, build a consumer from `extraEnv`, run one batch like the event source mapping. */
async function runConsumer(bodies: string[], extraEnv: Env) {
  const { hood, calls } = recordingHood();
  const logger = captureLog();
  const published: Record<string, number>[] = [];
  consumer = await createConsumer(loadConsumerConfig(env(extraEnv)), {
    hood,
    logger,
    sqs: sqsClientFor(queues),
    publishCounts: (counts) => published.push({ ...counts } as Record<string, number>),
  });
  await sendBodies(sqs, queues.blockQueueUrl, bodies);
  const records = (await receiveAll(sqs, queues.blockQueueUrl, bodies.length)).map((m) =>
    toRecord(m, queues.blockQueueArn),
  );
  const response = await consumer.handle({ Records: records }, { getRemainingTimeInMillis: () => 60_000 });
  return { calls, logger, published, response };
}

const optOut = (contact: string) => JSON.stringify({ contact, reason: 'unsubscribe', source: 'test' });
const CONTACTS = ['jane.doe@example.com', '+38761234567', 'john.smith@example.org'];

describe('HOOD_DRY_RUN=true (shadow mode)', () => {
  it('sends nothing to Hood, even through an injected Hood client', async () => {
    // Prepare
    const bodies = CONTACTS.map(optOut);

    // Act
    const { calls } = await runConsumer(bodies, { HOOD_DRY_RUN: 'true' });

    // Assess
    expect(calls).toEqual([]);
  });

  it('finishes every message as it would live: deleted, no batch failures', async () => {
    // Prepare
    const bodies = CONTACTS.map(optOut);

    // Act
    const { response } = await runConsumer(bodies, { HOOD_DRY_RUN: 'true' });
    const depth = await queueDepth(sqs, queues.blockQueueUrl);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(depth).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('counts would-be blocks as dry_run_blocked, never as blocked', async () => {
    // Prepare
    const bodies = CONTACTS.map(optOut);

    // Act
    const { published } = await runConsumer(bodies, { HOOD_DRY_RUN: 'true' });

    // Assess
    expect(published).toHaveLength(1);
    expect(published[0]!.dry_run_blocked).toBe(CONTACTS.length);
    expect(published[0]!.blocked).toBeUndefined();
  });

  it('logs each would-be block with the contact masked', async () => {
    // Prepare
    const bodies = CONTACTS.map(optOut);

    // Act
    const { logger } = await runConsumer(bodies, { HOOD_DRY_RUN: 'true' });
    const wouldBlock = logger.lines.filter((l) => l.fields.outcome === 'dry_run_blocked');

    // Assess
    expect(wouldBlock).toHaveLength(CONTACTS.length);
    for (const line of wouldBlock) expect(line.message).toMatch(/would have blocked/u);
    for (const contact of CONTACTS) expect(logger.text()).not.toContain(contact);
  });

  it('says so at cold start, before any message arrives', async () => {
    // Prepare
    const logger = captureLog();

    // Act
    consumer = await createConsumer(loadConsumerConfig(env({ HOOD_DRY_RUN: 'true' })), {
      logger,
      sqs: sqsClientFor(queues),
    });

    // Assess
    // (Without LEDGER_TABLE the ledger's own cold-start warning is logged beside it.)
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^Shadow mode \(HOOD_DRY_RUN=true\)/u) }),
    );
  });

  it('still ignores what is not an opt-out, with its reason', async () => {
    // Prepare
    const bodies = [JSON.stringify({ contact: 'jane@example.com', reason: 'group_unsubscribe', source: 'test' })];

    // Act
    const { published, calls } = await runConsumer(bodies, { HOOD_DRY_RUN: 'true' });

    // Assess
    expect(calls).toEqual([]);
    expect(published[0]).toEqual({ ignored: 1 });
  });
});

describe('HOOD_DRY_RUN unset (live)', () => {
  it('calls Hood once per contact and counts blocked', async () => {
    // Prepare
    const bodies = CONTACTS.map(optOut);

    // Act
    const { calls, published, logger } = await runConsumer(bodies, {});

    // Assess
    expect(calls).toEqual(CONTACTS);
    expect(published[0]!.blocked).toBe(CONTACTS.length);
    expect(published[0]!.dry_run_blocked).toBeUndefined();
    expect(logger.lines.some((l) => /Shadow mode/u.test(l.message))).toBe(false);
  });
});

describe('createDryRunHood', () => {
  it('answers with a created result that isDryRunResult tells from a real one', async () => {
    // Prepare
    const hood = createDryRunHood(captureLog());
    const real: CreateResult = { kind: 'created', id: '1016', type: 'email', status: 201 };

    // Act
    const synthetic = await hood.createBlockedContact({ contact: '+38761234567', description: 'd' });

    // Assess
    expect(synthetic).toMatchObject({ kind: 'created', type: 'mobile_phone_number', dryRun: true });
    expect(synthetic.kind === 'created' && synthetic.id?.startsWith(DRY_RUN_ID_PREFIX)).toBe(true);
    expect(isDryRunResult(synthetic)).toBe(true);
    expect(isDryRunResult(real)).toBe(false);
  });

  it('hands out its count once', async () => {
    // Prepare
    const hood = createDryRunHood(captureLog());
    await hood.createBlockedContact({ contact: 'a@example.com', description: 'd' });
    await hood.createBlockedContact({ contact: 'b@example.com', description: 'd' });

    // Act
    const first = hood.takeCount();
    const second = hood.takeCount();

    // Assess
    expect([first, second]).toEqual([2, 0]);
  });
});

describe('HOOD_DRY_RUN parsing', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['0', false],
    ['', false],
    [undefined, false],
  ])('reads %j as %s', (value, expected) => {
    // Prepare
    const input: Env = { HOOD_API_TOKEN: 't', HOOD_DRY_RUN: value };

    // Act
    const { dryRun } = loadHoodConfig(input);

    // Assess
    expect(dryRun).toBe(expected);
  });

  it('refuses anything else, naming the variable', () => {
    // Prepare
    const input: Env = { HOOD_API_TOKEN: 't', HOOD_DRY_RUN: 'yes' };

    // Act
    const load = () => loadHoodConfig(input);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/HOOD_DRY_RUN/u);
  });
});
