/**
 * Import benchmark (runnable alone: `npx tsx bench/import.ts [--quick]`). Prints numbers, asserts nothing.
 *
 * 1. Streaming: `import sendgrid` of 5,000 and 50,000 suppressions from the local stand-in (pages of 500,
 *    rows generated on demand), dry run: pages/s and the peak JS heap above the baseline, sampled after every
 *    page — flat if the list is streamed (what grows is only the per-contact 48-bit de-duplication key).
 * 2. Queueing: the same 50,000 onto a real SQS emulator (fauxqs) bulk queue: pages/s and contacts/s.
 * 3. Hood calls: a 30%-already-blocked list of N contacts imported and drained by a consumer into the
 *    sandbox Hood (time-scaled limits): Hood create calls vs contacts not yet blocked. Without the ledger
 *    (LEDGER_TABLE), every queued contact costs a Hood call; with it, the target is calls = not yet blocked.
 */
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConsumerConfig } from '../lib/config.js';
import { createConsumer } from '../lib/consumer/consumer.js';
import { createHoodClient } from '../lib/hood/client.js';
import { loadImportConfig } from '../lib/import/config.js';
import { runImport } from '../lib/import/run.js';
import { createImportSource } from '../lib/import/sources.js';
import { startStandin } from '../lib/import/standins.js';
import { startLocalQueues } from '../lib/local/emulator.js';
import { startEventSourceMapping } from '../lib/local/esm.js';
import { sendMessages } from '../lib/queue/sqs.js';
import { startHoodSandbox } from '../lib/sandbox/hood-server.js';

const quick = process.argv.includes('--quick');
const KEY = 'bench-sendgrid-key';
const ALL = new Set(['hard_bounce', 'complaint', 'unsubscribe', 'sms_opt_out', 'suppressed', 'manual'] as const);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function streaming(count: number, send: boolean, sampleHeap: boolean) {
  const standin = await startStandin({ provider: 'sendgrid', lists: { bounces: { count } }, apiKey: KEY });
  const queues = send ? await startLocalQueues() : undefined;
  const sqs = queues ? new SQSClient({ region: queues.region, endpoint: queues.endpoint, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }) : undefined;
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
    ...(sqs && queues ? { send: (m) => sendMessages(sqs, queues.bulkQueueUrl, m.map((x) => ({ body: JSON.stringify(x) }))) } : {}),
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

async function hoodCalls(count: number) {
  const blockedShare = 0.3;
  const limits = '200/100ms,12000/6s';
  const standin = await startStandin({ provider: 'sendgrid', lists: { unsubscribes: { count } }, apiKey: KEY });
  const hood = await startHoodSandbox({ token: 'bench', rateLimits: [{ count: 200, windowMs: 100 }, { count: 12_000, windowMs: 6000 }] });
  const client = createHoodClient({ apiUrl: hood.url, token: 'bench', requestTimeoutMs: 5000 });
  const already = Math.round(count * blockedShare);
  for (let i = 0; i < already; i += 1) await client.createBlockedContact({ contact: `unsubscribes${i}@example.com`, description: 'seed' });
  await client.close();
  const seedRequests = hood.stats().requests;
  const queues = await startLocalQueues({ visibilityTimeoutSeconds: 60 });
  const sqs = new SQSClient({ region: queues.region, endpoint: queues.endpoint, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  const config = await loadImportConfig('sendgrid', { SENDGRID_API_KEY: KEY, SENDGRID_API_URL: standin.url });
  await runImport({
    source: createImportSource(config),
    page: { types: ['unsubscribes'], until: new Date() },
    policy: { blockReasons: ALL },
    send: (m) => sendMessages(sqs, queues.bulkQueueUrl, m.map((x) => ({ body: JSON.stringify(x), attributes: { correlation_id: randomUUID() } }))),
  });
  const consumerConfig = loadConsumerConfig({
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: 'bench',
    HOOD_RATE_LIMITS: limits,
    CONSUMER_MAX_CONCURRENCY: '1',
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    BULK_QUEUE_URL: queues.bulkQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const consumer = await createConsumer(consumerConfig, { logger: quiet, publishCounts: () => undefined, sqs });
  const outcomes: Record<string, number> = {};
  const wrapped = consumer.handle.bind(consumer);
  const esm = startEventSourceMapping({ sqs, queueUrl: queues.bulkQueueUrl, queueArn: queues.bulkQueueArn, handlers: [(e, c) => wrapped(e, c)], waitTimeSeconds: 1 });
  const started = performance.now();
  const deadline = Date.now() + 300_000;
  while (hood.stats().requests - seedRequests < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const seconds = (performance.now() - started) / 1000;
  await esm.stop();
  await consumer.close();
  const calls = hood.stats().requests - seedRequests;
  await queues.stop();
  await hood.close();
  await standin.close();
  return { count, already, notYetBlocked: count - already, calls, seconds, outcomes };
}

console.log('## Import (bench/import.ts)');
if (!gc) console.log('(run with node --expose-gc for steadier heap numbers: NODE_OPTIONS=--expose-gc npx tsx bench/import.ts)');
const sizes = [5000, quick ? 20_000 : 50_000];
for (const size of sizes) {
  const speed = await streaming(size, false, false);
  const heap = await streaming(size, false, true);
  console.log(
    `dry run ${speed.counts.contacts.toLocaleString('en-US')} suppressions: ${speed.counts.pages} pages in ${speed.seconds.toFixed(2)} s = ${(speed.counts.pages / speed.seconds).toFixed(1)} pages/s, ${Math.round(speed.counts.contacts / speed.seconds).toLocaleString('en-US')} contacts/s; peak retained heap above baseline ${mb(heap.peakAboveBase)}`,
  );
}
const queued = await streaming(sizes[1]!, true, false);
console.log(
  `queued ${queued.counts.queued.toLocaleString('en-US')} onto the bulk queue (fauxqs, in this process): ${queued.counts.pages} pages in ${queued.seconds.toFixed(1)} s = ${(queued.counts.pages / queued.seconds).toFixed(1)} pages/s, ${Math.round(queued.counts.queued / queued.seconds).toLocaleString('en-US')} contacts/s`,
);
const calls = await hoodCalls(quick ? 1000 : 5000);
console.log(
  `Hood calls: ${calls.count} imported, ${calls.already} already blocked (30%), ${calls.notYetBlocked} not yet blocked → ${calls.calls} Hood calls in ${calls.seconds.toFixed(1)} s` +
    (calls.calls > calls.notYetBlocked ? ` (${calls.calls - calls.notYetBlocked} for contacts already blocked: no ledger in this build)` : ''),
);
