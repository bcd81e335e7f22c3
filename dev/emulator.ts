import type { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../lib/config.js';
import { LOCAL_TOPICS } from '../lib/providers/index.js';
import { createSqsClient } from '../lib/queue/sqs-sdk.js';
import type { LocalState } from './state.js';
/**
 * A real SQS (and SNS) emulator for tests, the benchmark and `npm start`: fauxqs, in this process.
 * fauxqs speaks the AWS SDK v3 protocol (send, receive, visibility, batch delete, redrive to a DLQ).
 * Its queue URLs use `sqs.<region>.localhost`, which does not resolve everywhere; it routes by path,
 * so clients get `http://127.0.0.1:<port>/<account>/<queue>` URLs.
 */
export interface LocalQueues {
  endpoint: string;
  port: number;
  region: string;
  blockQueueUrl: string;
  blockQueueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  /** Imports and backfills: consumed with the budget live traffic leaves; its own DLQ. */
  bulkQueueUrl: string;
  bulkQueueArn: string;
  bulkDeadLetterQueueUrl: string;
  bulkDeadLetterQueueArn: string;
  /**
   * The providers' local topics (`LocalTopic`: SES's, the SES → SNS → SQS path), each subscribed to the block
   * queue with raw delivery: their ARNs by the key local.json records them under.
   */
  topicArns: Readonly<Record<`${string}TopicArn`, string>>;
  publish(topicArn: string, message: string): void;
  stop(): Promise<void>;
}

export interface LocalQueueOptions {
  port?: number;
  region?: string;
  blockQueueName?: string;
  deadLetterQueueName?: string;
  bulkQueueName?: string;
  bulkDeadLetterQueueName?: string;
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
}

interface FauxqsServer {
  port: number;
  stop(): Promise<void>;
  createQueue(
    name: string,
    options?: { attributes?: Record<string, string>; region?: string },
  ): { queueUrl: string; queueArn: string };
  createTopic(name: string, options?: { region?: string }): { topicArn: string };
  subscribe(options: { topic: string; queue: string; region?: string; attributes?: Record<string, string> }): unknown;
  publish(topic: string, message: string, options?: Record<string, unknown>): unknown;
}

export async function startLocalQueues(options: LocalQueueOptions = {}): Promise<LocalQueues> {
  let fauxqs: { startFauxqs(options: Record<string, unknown>): Promise<FauxqsServer> };
  try {
    fauxqs = (await import('fauxqs')) as unknown as typeof fauxqs;
  } catch (error) {
    throw new Error(
      `the local SQS emulator (fauxqs) could not be loaded: ${error instanceof Error ? error.message : String(error)}. ` +
        'Run "npm install" in the hood-blocker checkout (it is a development dependency) on Node.js ≥ 22.5.',
    );
  }
  const region = options.region ?? 'us-east-1';
  const server = await fauxqs.startFauxqs({ port: options.port ?? 0, logger: false, defaultRegion: region });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const toLocal = (url: string) => `${endpoint}${new URL(url).pathname}`;
  const dlq = server.createQueue(options.deadLetterQueueName ?? 'hood-blocker-dlq', {
    attributes: { MessageRetentionPeriod: '1209600' },
  });
  const block = server.createQueue(options.blockQueueName ?? 'hood-blocker-block', {
    attributes: {
      MessageRetentionPeriod: '1209600',
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: options.maxReceiveCount ?? 5,
      }),
    },
  });
  const bulkDlq = server.createQueue(options.bulkDeadLetterQueueName ?? 'hood-blocker-bulk-dlq', {
    attributes: { MessageRetentionPeriod: '1209600' },
  });
  const bulk = server.createQueue(options.bulkQueueName ?? 'hood-blocker-bulk', {
    attributes: {
      MessageRetentionPeriod: '1209600',
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: bulkDlq.queueArn,
        maxReceiveCount: options.maxReceiveCount ?? 5,
      }),
    },
  });
  const topicArns: Record<`${string}TopicArn`, string> = {};
  for (const topic of LOCAL_TOPICS) {
    topicArns[topic.stateKey] = server.createTopic(topic.name).topicArn;
    server.subscribe({
      topic: topic.name,
      queue: options.blockQueueName ?? 'hood-blocker-block',
      attributes: { RawMessageDelivery: 'true' },
    });
  }
  return {
    endpoint,
    port: server.port,
    region,
    blockQueueUrl: toLocal(block.queueUrl),
    blockQueueArn: block.queueArn,
    deadLetterQueueUrl: toLocal(dlq.queueUrl),
    deadLetterQueueArn: dlq.queueArn,
    bulkQueueUrl: toLocal(bulk.queueUrl),
    bulkQueueArn: bulk.queueArn,
    bulkDeadLetterQueueUrl: toLocal(bulkDlq.queueUrl),
    bulkDeadLetterQueueArn: bulkDlq.queueArn,
    topicArns,
    publish: (topicArn, message) => {
      server.publish(topicArn.split(':').pop()!, message);
    },
    stop: () => server.stop(),
  };
}

/** An SQS client for the embedded queues (`npm start`, tests, bench): the one factory, emulator keys. */
export function sqsClientFor(queues: Pick<LocalQueues, 'region' | 'endpoint'>): SQSClient {
  return createSqsClient({ region: queues.region, sqsEndpoint: queues.endpoint, localCredentials: LOCAL_CREDENTIALS });
}

/**
 * The consumer's queue variables for a process or worker thread that runs the built handler against the
 * embedded queues (the bench's consumers and cold starts), with the emulator's keys.
 */
export function consumerQueueEnv(
  queues: Pick<LocalQueues, 'blockQueueUrl' | 'deadLetterQueueUrl' | 'endpoint' | 'region'>,
): Record<string, string> {
  return {
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

/** What local.json records of the embedded queues, so that `--local` commands find them. */
export function queuesForState(queues: LocalQueues): LocalState['sqs'] {
  return {
    endpoint: queues.endpoint,
    region: queues.region,
    blockQueueUrl: queues.blockQueueUrl,
    blockQueueArn: queues.blockQueueArn,
    deadLetterQueueUrl: queues.deadLetterQueueUrl,
    deadLetterQueueArn: queues.deadLetterQueueArn,
    ...queues.topicArns,
    bulkQueueUrl: queues.bulkQueueUrl,
    bulkQueueArn: queues.bulkQueueArn,
    bulkDeadLetterQueueUrl: queues.bulkDeadLetterQueueUrl,
    bulkDeadLetterQueueArn: queues.bulkDeadLetterQueueArn,
  };
}
