import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { type EventSourceMapping, type SqsLambdaHandler, startEventSourceMapping } from '../../dev/esm.js';
import { readQueueDepth } from '../../cli/shared/queues.js';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { runCli, tempDir } from './helpers.js';

const KEY = 'ledger-import-sendgrid-key';
const HASH_KEY = 'ledger-import-hash-key-0123456789';
const ALREADY = 30;
const TOTAL = 100;
let dynamo: LocalDynamo;
let pipeline: Pipeline;
let bulk: EventSourceMapping;
let ledger: DynamoLedger;
const standins: Standin[] = [];
const dir = tempDir('hood-blocker-import-ledger-');

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-import' });
  pipeline = await startPipeline({
    consumers: 2,
    limits: '20/100ms,400/6s',
    env: { LEDGER_TABLE: dynamo.table, LEDGER_HASH_KEY: HASH_KEY, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
  });
  bulk = await bulkConsumer();
  ledger = new DynamoLedger({
    table: dynamo.table,
    client: dynamo.client,
    hashKey: HASH_KEY,
    blockedDays: 30,
    historyDays: 400,
  });
});
afterAll(async () => {
  await bulk.stop();
  for (const s of standins) await s.close();
  await pipeline.stop();
  await dynamo.stop();
  dir.remove();
});

/** A fresh container of the built consumer on the bulk queue (its own in-memory caches, the shared ledger). */
async function bulkConsumer(): Promise<EventSourceMapping> {
  const mod = (await import(
    `${pathToFileURL(resolve('dist/handlers/block-contacts.mjs')).href}?bulk=${randomUUID()}`
  )) as { handler: SqsLambdaHandler };
  return startEventSourceMapping({
    sqs: pipeline.sqs,
    queueUrl: pipeline.queues.bulkQueueUrl,
    queueArn: pipeline.queues.bulkQueueArn,
    handlers: [mod.handler],
    waitTimeSeconds: 1,
  });
}

async function importList(count: number): Promise<void> {
  const standin = await startStandin({ provider: 'sendgrid', lists: { unsubscribes: { count } }, apiKey: KEY });
  standins.push(standin);
  const run = await runCli(
    ['import', 'sendgrid', '--json', '--cursor-file', join(dir.path, `import-${randomUUID()}.json`)],
    {
      SENDGRID_API_KEY: KEY,
      SENDGRID_API_URL: standin.url,
      BULK_QUEUE_URL: pipeline.queues.bulkQueueUrl,
      AWS_ENDPOINT_URL_SQS: pipeline.queues.endpoint,
      AWS_REGION: pipeline.queues.region,
    },
  );
  expect(JSON.parse(run.stdout)).toMatchObject({ contacts: count, queued: count });
}

const drained = async () => {
  const d = await readQueueDepth(pipeline.sqs, pipeline.queues.bulkQueueUrl);
  return d.visible + d.inFlight + d.delayed === 0;
};

describe('import through the ledger (local pipeline, dynalite, sandbox Hood)', () => {
  it(`imports ${TOTAL} contacts of which ${ALREADY} are already blocked with ${TOTAL - ALREADY} Hood calls`, {
    timeout: 150_000,
  }, async () => {
    // Prepare: an earlier import blocked the first 30 (unsubscribes0..29), through the same pipeline
    await importList(ALREADY);
    expect(await waitFor(async () => pipeline.hood.contacts().length >= ALREADY && (await drained()), 45_000)).toBe(
      true,
    );
    // Days later, a cold container: only the ledger remembers (a warm one's recent-contacts cache would
    // answer "deduplicated" before the ledger is asked).
    await bulk.stop();
    bulk = await bulkConsumer();
    const before = pipeline.hood.stats();
    // Act: the full list, 0..99
    await importList(TOTAL);
    const already = Array.from({ length: ALREADY }, (_, i) => `unsubscribes${i}@example.com`);
    const done = await waitFor(
      async () =>
        pipeline.hood.contacts().length >= TOTAL &&
        (await drained()) &&
        (
          await Promise.all(
            already.map(
              async (c) => (await ledger.why(c))?.events.some((e) => e.outcome === 'already_blocked') === true,
            ),
          )
        ).every(Boolean),
      60_000,
    );
    // Assess
    expect(done).toBe(true);
    const after = pipeline.hood.stats();
    // Every Hood request but a 429 (which the pacer should avoid anyway) is a create call.
    expect(after.requests - before.requests - (after.rateLimited - before.rateLimited)).toBe(TOTAL - ALREADY);
    expect(after.created - before.created).toBe(TOTAL - ALREADY);
    expect(after.duplicates - before.duplicates).toBe(0);
    expect(pipeline.hood.contacts()).toHaveLength(TOTAL);
  });
});
