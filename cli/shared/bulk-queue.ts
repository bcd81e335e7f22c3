import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../lib/queue/sqs-sdk.js';
import type { Env } from '../../lib/config.js';
import { loadQueueConfig } from '../../lib/config.js';
import { UsageError } from './command.js';
import { createQueueClient, type QueueFlags, type QueueTarget, resolveQueueTarget } from './queues.js';

export interface BulkQueue {
  target: QueueTarget;
  queueUrl: string;
  /** Set when the bulk queue could not be found and the block queue is used instead. */
  warning?: string;
}

/**
 * The queue for imports and backfills. Same flags as `enqueue`; `--queue-url` is taken as given, every
 * other source prefers its bulk queue (`BULK_QUEUE_URL`, the stack's `BulkQueueUrl` output, the local
 * pipeline's bulk queue) and falls back to the block queue with a warning: live opt-outs then wait
 * behind the import.
 */
export async function resolveBulkQueue(flags: QueueFlags, env: Env): Promise<BulkQueue | undefined> {
  const target = await resolveQueueTarget(flags, env);
  const bulkFromEnv = loadQueueConfig(env).bulkQueueUrl;
  const fallback = (what: string) =>
    `no bulk queue in ${what}: using the block queue, so live opt-outs wait behind this import (set BULK_QUEUE_URL, or deploy the stack with its bulk queue)`;
  if (target === undefined) {
    if (bulkFromEnv === undefined) return undefined;
    const endpoint = loadQueueConfig(env).sqsEndpoint;
    return {
      target: {
        description: 'BULK_QUEUE_URL from the environment',
        mode: 'env',
        local: false,
        region: env.AWS_REGION?.trim() || undefined,
        endpoint,
        blockQueueUrl: undefined,
        deadLetterQueueUrl: undefined,
      },
      queueUrl: bulkFromEnv,
    };
  }
  switch (target.mode) {
    case 'url':
      if (target.blockQueueUrl === undefined)
        throw new UsageError('--queue-url is needed (the queue to put the contacts on)');
      return { target, queueUrl: target.blockQueueUrl };
    case 'local': {
      const { readLocalState, DEFAULT_STATE_DIR } = await import('../../dev/state.js');
      const read = readLocalState(flags['state-dir'] ?? DEFAULT_STATE_DIR);
      const bulk = read.ok ? read.state.sqs.bulkQueueUrl : undefined;
      if (bulk !== undefined) return { target, queueUrl: bulk };
      return {
        target,
        queueUrl: requireBlock(target),
        warning: fallback('the local pipeline (started by an older version?)'),
      };
    }
    case 'stack': {
      // BULK_QUEUE_URL when set, else the stack's BulkQueueUrl output.
      const bulk = target.bulkQueueUrl;
      if (bulk !== undefined) return { target, queueUrl: bulk };
      return {
        target,
        queueUrl: requireBlock(target),
        warning: fallback(`${target.description} (no BulkQueueUrl output)`),
      };
    }
    case 'env':
      if (bulkFromEnv !== undefined) return { target, queueUrl: bulkFromEnv };
      return { target, queueUrl: requireBlock(target), warning: fallback('the environment (BULK_QUEUE_URL is unset)') };
  }
}

function requireBlock(target: QueueTarget): string {
  if (target.blockQueueUrl === undefined)
    throw new UsageError(`no queue in ${target.description}: set BULK_QUEUE_URL or pass --queue-url URL`);
  return target.blockQueueUrl;
}

/**
 * An SQS client for the bulk queue. Like `createQueueClient`, plus: a loopback endpoint (an emulator)
 * named in the environment gets dummy credentials when the environment has none, as the consumer's own
 * config does; keys in the environment the CLI was handed are used as given.
 */
export function createBulkQueueClient(bulk: BulkQueue, env: Env): SQSClient {
  if (bulk.target.local) return createQueueClient(bulk.target);
  const config = loadQueueConfig(env);
  const given =
    env.AWS_ACCESS_KEY_ID?.trim() && env.AWS_SECRET_ACCESS_KEY?.trim()
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID.trim(),
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY.trim(),
          ...(env.AWS_SESSION_TOKEN?.trim() ? { sessionToken: env.AWS_SESSION_TOKEN.trim() } : {}),
        }
      : undefined;
  const credentials = given ?? config.localCredentials;
  if (credentials === undefined) return createQueueClient(bulk.target);
  return createSqsClient({
    region: bulk.target.region ?? config.region,
    sqsEndpoint: bulk.target.endpoint,
    localCredentials: credentials,
  });
}
