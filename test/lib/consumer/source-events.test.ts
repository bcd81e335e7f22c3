import { readFileSync } from 'node:fs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Env, loadConsumerConfig } from '../../../lib/config.js';
import { type Consumer, createConsumer, sourcesEmfPublisher } from '../../../lib/consumer/consumer.js';
import type { HoodCreator, QueueRecord } from '../../../lib/consumer/process-batch.js';
import type { CreateResult } from '../../../lib/hood/client.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { captureLog } from '../../helpers/logs.js';
import { receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';

// `source_events` (issue 21 item 9): a record AWS delivered to the block queue itself (SES by SNS raw delivery,
// SMS) is a sign of life of its source, counted once per source; a normalised message (our webhook, the CLI) is
// not, since the webhook already counted its request. The consumer runs against fauxqs; Hood answers 201.

const SES_BOUNCE = readFileSync('test/fixtures/ses/aws-docs-notification-bounce-with-dsn.json', 'utf8');
const SES_COMPLAINT = readFileSync('test/fixtures/ses/aws-docs-notification-complaint-with-feedback.json', 'utf8');

const hood: HoodCreator = {
  async createBlockedContact(): Promise<CreateResult> {
    return { kind: 'created', id: '1001', type: 'email', status: 201 };
  },
};

let queues: LocalQueues;
let sqs: SQSClient;
let consumer: Consumer | undefined;

const env = (): Env => ({
  HOOD_API_TOKEN: 'test-token',
  HOOD_API_URL: 'http://127.0.0.1:9/v1/hood',
  HOOD_RATE_LIMITS: '1000/1s',
  BLOCK_QUEUE_URL: queues.blockQueueUrl,
  DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
  AWS_ENDPOINT_URL_SQS: queues.endpoint,
  AWS_REGION: queues.region,
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

/** Queue the bodies, run one batch like the event source mapping; `tweak` edits the records first. */
async function runConsumer(bodies: string[], tweak: (r: QueueRecord) => QueueRecord = (r) => r) {
  const published: Record<string, number>[] = [];
  consumer = await createConsumer(loadConsumerConfig(env()), {
    hood,
    logger: captureLog(),
    sqs: sqsClientFor(queues),
    publishCounts: () => undefined,
    publishLatency: () => undefined,
    publishParallel: () => undefined,
    publishSources: (counts) => published.push({ ...counts }),
  });
  await sendBodies(sqs, queues.blockQueueUrl, bodies);
  const records = (await receiveAll(sqs, queues.blockQueueUrl, bodies.length)).map((m) =>
    tweak(toRecord(m, queues.blockQueueArn)),
  );
  await consumer.handle({ Records: records }, { getRemainingTimeInMillis: () => 60_000 });
  return published;
}

describe('source_events', () => {
  it('counts each SES notification AWS delivered to the queue under ses', async () => {
    // Act
    const published = await runConsumer([SES_BOUNCE, SES_COMPLAINT]);

    // Assess
    expect(published).toEqual([{ ses: 2 }]);
  });

  it('counts nothing for a message our webhook queued: its request was counted there', async () => {
    // Prepare: what the ingress queues for a SendGrid bounce (a normalised message naming its source).
    const fromIngress = JSON.stringify({ contact: 'jane@example.com', reason: 'hard_bounce', source: 'sendgrid' });

    // Act
    const published = await runConsumer([fromIngress]);

    // Assess
    expect(published).toEqual([]);
  });

  it('counts nothing for a payload no mapper recognises: it names no source', async () => {
    // Act
    const published = await runConsumer([JSON.stringify({ hello: 'world' })]);

    // Assess
    expect(published).toEqual([]);
  });

  it('counts a record once, not again when SQS redelivers it', async () => {
    // Act
    const published = await runConsumer([SES_BOUNCE], (r) => ({
      ...r,
      attributes: { ...r.attributes, ApproximateReceiveCount: '2' },
    }));

    // Assess
    expect(published).toEqual([]);
  });
});

describe('sourcesEmfPublisher', () => {
  it('writes source_events with the provider dimension the quiet-source alarms read', () => {
    // Prepare
    const publish = sourcesEmfPublisher();
    const lines: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: unknown) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      return true;
    }) as typeof process.stdout.write;

    // Act
    try {
      publish({ ses: 3, 'aws-sms': 1 });
    } finally {
      process.stdout.write = original;
    }

    // Assess
    const docs = lines.map(
      (l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } },
    );
    expect(docs.map((d) => [d.provider, d.source_events, d.service])).toEqual([
      ['ses', 3, 'hood-blocker'],
      ['aws-sms', 1, 'hood-blocker'],
    ]);
    for (const d of docs) {
      expect(d._aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'provider']));
    }
  });
});
