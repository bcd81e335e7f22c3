import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { type EventSourceMapping, type SqsLambdaHandler, startEventSourceMapping } from '../../dev/esm.js';
import { type Pipeline, SANDBOX_TOKEN, startPipeline, waitFor } from '../helpers/pipeline.js';
import { runCli } from './helpers.js';

const KEY = 'pipeline-mailgun-key';
const LISTS = { bounces: 25, complaints: 15, unsubscribes: 20 };
const TOTAL = LISTS.bounces + LISTS.complaints + LISTS.unsubscribes;
let pipeline: Pipeline;
let standin: Standin;
let bulk: EventSourceMapping;

beforeAll(async () => {
  pipeline = await startPipeline({ consumers: 2 });
  // The bulk queue's own event source mapping on the same (built) function, as the stack wires it.
  const mod = (await import(
    `${pathToFileURL(resolve('dist/handlers/block-contacts.mjs')).href}?bulk=${randomUUID()}`
  )) as { handler: SqsLambdaHandler };
  bulk = startEventSourceMapping({
    sqs: pipeline.sqs,
    queueUrl: pipeline.queues.bulkQueueUrl,
    queueArn: pipeline.queues.bulkQueueArn,
    handlers: [mod.handler],
    waitTimeSeconds: 1,
  });
  standin = await startStandin({
    provider: 'mailgun',
    lists: {
      bounces: { count: LISTS.bounces },
      complaints: { count: LISTS.complaints },
      unsubscribes: { count: LISTS.unsubscribes },
    },
    apiKey: KEY,
  });
});
afterAll(async () => {
  await bulk.stop();
  await standin.close();
  await pipeline.stop();
});

describe('import → bulk queue → consumer → sandbox Hood → reconcile', () => {
  it('blocks every imported contact and reconcile then reports 0 missing', async () => {
    const env = {
      MAILGUN_API_KEY: KEY,
      MAILGUN_DOMAIN: 'mg.example.com',
      MAILGUN_API_URL: standin.url,
      BULK_QUEUE_URL: pipeline.queues.bulkQueueUrl,
      AWS_ENDPOINT_URL_SQS: pipeline.queues.endpoint,
      AWS_REGION: pipeline.queues.region,
    };
    // Act: import
    const imported = await runCli(['import', 'mailgun', '--json'], env);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      source: 'mailgun',
      contacts: TOTAL,
      queued: TOTAL,
      byReason: { hard_bounce: LISTS.bounces, complaint: LISTS.complaints, unsubscribe: LISTS.unsubscribes },
    });
    const done = await waitFor(() => pipeline.hood.contacts().length >= TOTAL, 45_000);
    expect(done).toBe(true);
    expect(pipeline.hood.contacts().every((c) => c.description.includes('import:mailgun'))).toBe(true);
    // Act: reconcile against the sandbox Hood
    const reconciled = await runCli(['reconcile', '--from', 'mailgun', '--json'], {
      ...env,
      HOOD_API_URL: pipeline.hood.url,
      HOOD_API_TOKEN: SANDBOX_TOKEN,
      HOOD_RATE_LIMITS: '10/100ms,150/6s',
    });
    // Assess
    expect(JSON.parse(reconciled.stdout)).toMatchObject({ from: 'mailgun', source: TOTAL, both: TOTAL, missing: 0 });
    expect(reconciled.code).toBe(0);
  });
});
