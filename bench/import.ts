/**
 * Import benchmark (runnable alone: `npx tsx bench/import.ts [--quick]`). Prints numbers, asserts nothing.
 *
 * 1. Streaming: `import sendgrid` of 5,000 and 50,000 suppressions from the local stand-in (pages of 500,
 *    rows generated on demand), dry run: pages/s and the peak JS heap above the baseline, sampled after every
 *    page — flat if the list is streamed (what grows is only the per-contact 48-bit de-duplication key).
 * 2. Queueing: the same 50,000 onto a real SQS emulator (fauxqs) bulk queue: pages/s and contacts/s.
 * 3. Hood calls: a 30%-already-blocked list of N contacts (default 50,000; `--hood-calls=N`) imported and
 *    drained by a consumer with the DynamoDB ledger (dynalite, in this process) into the sandbox Hood
 *    (time-scaled limits, duplicates stored so that a wasted call shows): Hood calls vs contacts not yet
 *    blocked — the target is equality. `--only-hood-calls` skips sections 1 and 2.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readQueueDepth } from '../cli/shared/queues.js';
import { loadConsumerConfig } from '../lib/config.js';
import { createConsumer } from '../lib/consumer/consumer.js';
import { createHoodClient } from '../lib/hood/client.js';
import { createImportSource, loadImportConfig } from '../lib/providers/suppressions.js';
import { runImport } from '../lib/import/run.js';
import { startStandin } from '../dev/suppression-standins.js';
import { DynamoLedger } from '../lib/ledger/dynamo.js';
import { startLocalDynamo } from '../dev/dynalite.js';
import { sqsClientFor, startLocalQueues } from '../dev/emulator.js';
import { startEventSourceMapping } from '../dev/esm.js';
import { sendMessages } from '../lib/queue/sqs.js';
import { startHoodSandbox } from '../dev/hood-sandbox.js';

const quick = process.argv.includes('--quick');
const KEY = 'bench-sendgrid-key';
const ALL = new Set(['hard_bounce', 'complaint', 'unsubscribe', 'sms_opt_out', 'suppressed', 'manual'] as const);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function streaming(count: number, send: boolean, sampleHeap: boolean) {
  const standin = await startStandin({ provider: 'sendgrid', lists: { bounces: { count } }, apiKey: KEY });
  const queues = send ? await startLocalQueues() : undefined;
  const sqs = queues ? sqsClientFor(queues) : undefined;
  const config = await loadImportConfig('sendgrid', { SENDGRID_API_KEY: KEY, SENDGRID_API_URL: standin.url });
  const source = createImportSource(config);
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const started = performance.now();
  const counts = await runImport({
    source,
    page: { types: ['bounces'], until: new Date() },
    policy: { blockReasons: ALL },
    ...(sqs && queues
      ? {
          send: (m) =>
            sendMessages(
              sqs,
              queues.bulkQueueUrl,
              m.map((x) => ({ body: JSON.stringify(x) })),
            ),
        }
      : {}),
    onPage: () => {
      if (!sampleHeap) return;
      // With --expose-gc: what the import *retains* after each page (garbage would hide a leak either way).
      gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  sqs?.destroy();
  await queues?.stop();
  await standin.close();
  return { counts, seconds, peakAboveBase: peak - base };
}

const CONSUMERS = 2;

async function hoodCalls(count: number) {
  const blockedShare = 0.3;
  const limits = '200/100ms,12000/6s';
  const standin = await startStandin({ provider: 'sendgrid', lists: { unsubscribes: { count } }, apiKey: KEY });
  const hood = await startHoodSandbox({
    token: 'bench',
    rateLimits: [
      { count: 200, windowMs: 100 },
      { count: 12_000, windowMs: 6000 },
    ],
    duplicateBehaviour: 'create',
  });
  const dynamo = await startLocalDynamo({ table: 'bench-import-ledger' });
  const hashKey = randomBytes(32).toString('base64url');
  // The 30% already blocked: in Hood, and in the ledger as the pipeline left them (claimed, marked blocked).
  const client = createHoodClient({ apiUrl: hood.url, token: 'bench', requestTimeoutMs: 5000 });
  const seedLedger = new DynamoLedger({
    table: dynamo.table,
    client: dynamo.client,
    hashKey,
    blockedDays: 30,
    historyDays: 400,
  });
  const already = Math.round(count * blockedShare);
  const seedStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < already; i = next++) {
        const contact = `unsubscribes${i}@example.com`;
        let created = await client.createBlockedContact({ contact, description: 'seed' });
        while (created.kind === 'rate_limited') {
          await new Promise((r) =>
            setTimeout(r, Math.max(10, created.kind === 'rate_limited' ? (created.retryAfterMs ?? 100) : 0)),
          );
          created = await client.createBlockedContact({ contact, description: 'seed' });
        }
        await seedLedger.claim(contact, 60_000);
        await seedLedger.markBlocked(contact, {
          hoodId: created.kind === 'created' ? created.id : undefined,
          event: { at: new Date().toISOString(), source: 'seed', reason: 'unsubscribe', outcome: 'blocked' },
        });
      }
    }),
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  await client.close();
  const seed = hood.stats();
  const queues = await startLocalQueues({ visibilityTimeoutSeconds: 60 });
  const sqs = sqsClientFor(queues);
  const config = await loadImportConfig('sendgrid', { SENDGRID_API_KEY: KEY, SENDGRID_API_URL: standin.url });
  await runImport({
    source: createImportSource(config),
    page: { types: ['unsubscribes'], until: new Date() },
    policy: { blockReasons: ALL },
    send: (m) =>
      sendMessages(
        sqs,
        queues.bulkQueueUrl,
        m.map((x) => ({ body: JSON.stringify(x), attributes: { correlation_id: randomUUID() } })),
      ),
  });
  const consumerConfig = loadConsumerConfig({
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: 'bench',
    HOOD_RATE_LIMITS: limits,
    CONSUMER_MAX_CONCURRENCY: String(CONSUMERS),
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    BULK_QUEUE_URL: queues.bulkQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    LEDGER_TABLE: dynamo.table,
    LEDGER_HASH_KEY: hashKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  // CONSUMERS containers, each with its own DynamoDB client and pacer share, as Lambda would run them.
  const consumers = await Promise.all(
    Array.from({ length: CONSUMERS }, () =>
      createConsumer(consumerConfig, {
        logger: quiet,
        publishCounts: () => undefined,
        publishLatency: () => undefined,
        sqs,
      }),
    ),
  );
  const esm = startEventSourceMapping({
    sqs,
    queueUrl: queues.bulkQueueUrl,
    queueArn: queues.bulkQueueArn,
    handlers: consumers.map(
      (c) => (e: Parameters<typeof c.handle>[0], ctx: Parameters<typeof c.handle>[1]) => c.handle(e, ctx),
    ),
    waitTimeSeconds: 1,
  });
  const started = performance.now();
  const deadline = Date.now() + 900_000;
  const drained = async () => {
    const d = await readQueueDepth(sqs, queues.bulkQueueUrl);
    return d.visible + d.inFlight + d.delayed === 0;
  };
  while (Date.now() < deadline && !(hood.stats().created - seed.created >= count - already && (await drained())))
    await new Promise((r) => setTimeout(r, 250));
  const seconds = (performance.now() - started) / 1000;
  await esm.stop();
  for (const c of consumers) await c.close();
  const end = hood.stats();
  const calls = end.requests - seed.requests - (end.rateLimited - seed.rateLimited);
  const dlq = await readQueueDepth(sqs, queues.deadLetterQueueUrl);
  seedLedger.close();
  sqs.destroy();
  await queues.stop();
  await hood.close();
  await dynamo.stop();
  await standin.close();
  return {
    count,
    already,
    notYetBlocked: count - already,
    calls,
    duplicates: end.duplicates - seed.duplicates,
    rateLimited: end.rateLimited - seed.rateLimited,
    deadLettered: dlq.visible,
    seconds,
    seedSeconds,
  };
}

console.log('## Import (bench/import.ts)');
if (!gc)
  console.log(
    '(run with node --expose-gc for steadier heap numbers: NODE_OPTIONS=--expose-gc npx tsx bench/import.ts)',
  );
const onlyHood = process.argv.includes('--only-hood-calls');
const sizes = [5000, quick ? 20_000 : 50_000];
for (const size of onlyHood ? [] : sizes) {
  const speed = await streaming(size, false, false);
  const heap = await streaming(size, false, true);
  console.log(
    `dry run ${speed.counts.contacts.toLocaleString('en-US')} suppressions: ${speed.counts.pages} pages in ${speed.seconds.toFixed(2)} s = ${(speed.counts.pages / speed.seconds).toFixed(1)} pages/s, ${Math.round(speed.counts.contacts / speed.seconds).toLocaleString('en-US')} contacts/s; peak retained heap above baseline ${mb(heap.peakAboveBase)}`,
  );
}
const queued = onlyHood ? undefined : await streaming(sizes[1]!, true, false);
if (queued)
  console.log(
    `queued ${queued.counts.queued.toLocaleString('en-US')} onto the bulk queue (fauxqs, in this process): ${queued.counts.pages} pages in ${queued.seconds.toFixed(1)} s = ${(queued.counts.pages / queued.seconds).toFixed(1)} pages/s, ${Math.round(queued.counts.queued / queued.seconds).toLocaleString('en-US')} contacts/s`,
  );
const hoodArg = process.argv.find((a) => a.startsWith('--hood-calls='));
const calls = await hoodCalls(hoodArg ? Number(hoodArg.slice('--hood-calls='.length)) : quick ? 2000 : 50_000);
console.log(
  `Hood calls with the ledger (dynalite): ${calls.count.toLocaleString('en-US')} imported, ${calls.already.toLocaleString('en-US')} already blocked (30%), ` +
    `${calls.notYetBlocked.toLocaleString('en-US')} not yet blocked → ${calls.calls.toLocaleString('en-US')} Hood calls (${calls.duplicates} for contacts already in Hood, ${calls.rateLimited} 429s, ${calls.deadLettered} dead-lettered) ` +
    `in ${calls.seconds.toFixed(1)} s = ${Math.round(calls.count / calls.seconds).toLocaleString('en-US')} contacts/s drained (seeding took ${calls.seedSeconds.toFixed(1)} s)`,
);
