import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { queueDepth, sendBodies } from '../helpers/sqs.js';

/**
 * The built consumer (dist/), several Lambda containers at once (one module instance each), an SQS
 * emulator, the sandbox Hood over HTTP and the ledger on dynalite: issue 11's "Done when".
 */
const HASH_KEY = 'integration-ledger-key-5d1f0c2b9a';
let pipeline: Pipeline | undefined;
let dynamo: LocalDynamo | undefined;

afterEach(async () => {
  await pipeline?.stop();
  await dynamo?.stop();
  pipeline = undefined;
  dynamo = undefined;
});

const msg = (contact: string, i: number) =>
  JSON.stringify({ contact, reason: 'unsubscribe', source: 'integration', eventId: `ev-${i}` });

function ledgerEnv(d: LocalDynamo): Record<string, string> {
  return { LEDGER_TABLE: d.table, AWS_ENDPOINT_URL_DYNAMODB: d.endpoint, LEDGER_HASH_KEY: HASH_KEY };
}

async function drained(p: Pipeline): Promise<boolean> {
  const q = await queueDepth(p.sqs, p.queues.blockQueueUrl);
  return q.visible + q.inFlight + q.delayed === 0 && p.esm.stats().inFlight === 0;
}

/** Every contact four times, interleaved so that copies of one contact meet in different containers. */
function fourTimes(contacts: readonly string[]): string[] {
  return [0, 1, 2, 3].flatMap((round) => contacts.map((c, i) => msg(c, round * 1000 + i)));
}

describe('ledger: four consumer containers, every contact four times', () => {
  it('calls Hood exactly once per distinct contact', async () => {
    // Prepare
    dynamo = await startLocalDynamo({ table: 'ledger-four' });
    pipeline = await startPipeline({ consumers: 4, batchSize: 5, env: ledgerEnv(dynamo) });
    const contacts = Array.from({ length: 40 }, (_, i) => `four${i}@example.com`);
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, fourTimes(contacts));
    const done = await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      55_000,
      250,
    );
    // Assess
    expect(done).toBe(true);
    const used = new Set(pipeline.invocations.filter((i) => i.records > 0).map((i) => i.consumer));
    expect(used.size).toBeGreaterThan(1);
    expect(pipeline.hood.stats().requests).toBe(contacts.length);
    expect(pipeline.hood.stats().duplicates).toBe(0);
    expect(
      pipeline.hood
        .contacts()
        .map((c) => c.contact)
        .sort(),
    ).toEqual([...contacts].sort());
  }, 90_000);

  it('leaves no contact in clear text in the table, and why knows each one as blocked', async () => {
    // Prepare
    dynamo = await startLocalDynamo({ table: 'ledger-scan' });
    pipeline = await startPipeline({ consumers: 2, env: ledgerEnv(dynamo) });
    const contacts = ['clear.text.person@example.com', '+38761234567'];
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, fourTimes(contacts));
    await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      30_000,
      250,
    );
    const scan = await dynamo.client.send(new ScanCommand({ TableName: dynamo.table }));
    const reader = new DynamoLedger({
      table: dynamo.table,
      client: dynamo.client,
      hashKey: HASH_KEY,
      blockedDays: 30,
      historyDays: 400,
    });
    const stories = await Promise.all(contacts.map((c) => reader.why(c)));
    // Assess
    const dump = JSON.stringify(scan.Items);
    expect(scan.Items!.length).toBeGreaterThan(0);
    for (const c of contacts) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(c.replace('+', ''));
    }
    expect(stories.map((s) => s?.status)).toEqual(['blocked', 'blocked']);
    const idOf = new Map(pipeline.hood.contacts().map((c) => [c.contact, c.id]));
    expect(stories.map((s) => s?.hoodId)).toEqual(contacts.map((c) => idOf.get(c)));
  }, 60_000);
});

describe('ledger: unavailable for a while', () => {
  it('loses nothing, dead-letters nothing and blocks each contact once when it comes back', async () => {
    // Prepare: a redrive policy of 2 receives, so one counted attempt per outage round would dead-letter.
    dynamo = await startLocalDynamo({ table: 'ledger-down' });
    const env = ledgerEnv(dynamo);
    const port = new URL(dynamo.endpoint).port;
    await dynamo.stop();
    // The re-queue delay doubles with each failed ledger call, up to a minute: at the default tenfold time
    // scale the last rounds wait 6 s each. What is tested is that no round counts as an attempt, not how long
    // a round waits, so every wait runs sixty times faster (one second, the least SQS delays).
    pipeline = await startPipeline({ consumers: 2, maxReceiveCount: 2, env, timeScale: 60 });
    const contacts = Array.from({ length: 12 }, (_, i) => `down${i}@example.com`);
    // Act
    await sendBodies(
      pipeline.sqs,
      pipeline.queues.blockQueueUrl,
      contacts.map((c, i) => msg(c, i)),
    );
    const sawOutage = await waitFor(() => pipeline!.output.join('').includes('"ledger_unavailable"'), 20_000, 100);
    // Several rounds of the outage: each would be an attempt if it counted as one.
    await waitFor(
      () => (pipeline!.output.join('').match(/LEDGER UNAVAILABLE/gu)?.length ?? 0) >= 3 * contacts.length,
      30_000,
      200,
    );
    const callsDuringOutage = pipeline.hood.stats().requests;
    dynamo = await startLocalDynamo({ table: 'ledger-down', port: Number(port) });
    const done = await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      180_000,
      250,
    );
    // Assess
    expect(sawOutage).toBe(true);
    expect(callsDuringOutage).toBe(0);
    expect({
      done,
      hood: pipeline.hood.contacts().length,
      queue: await queueDepth(pipeline.sqs, pipeline.queues.blockQueueUrl),
    }).toMatchObject({ done: true });
    expect(pipeline.hood.stats().requests).toBe(contacts.length);
    expect(await queueDepth(pipeline.sqs, pipeline.queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  }, 300_000);
});
