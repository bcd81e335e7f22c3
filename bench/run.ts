/**
 * `npm run bench`: throughput against a strict Hood stand-in, 429s, loss, duplicates, per-record
 * overhead, mapping cost, memory per consumer, bundle size and cold-init time. Prints numbers; never
 * passes or fails on them (shared, noisy machines). Time-scaled limits keep runs short: the windows
 * shrink, the counts and the fixed-window semantics stay those of Hood.
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { parseRateLimits, loadConsumerConfig } from '../lib/config.js';
import { startLocalQueues } from '../lib/local/emulator.js';
import type { SandboxStats } from '../lib/sandbox/hood-server.js';
import { processBatch, type QueueRecord } from '../lib/consumer/process-batch.js';
import { RecentContacts } from '../lib/consumer/recent.js';
import { Pacer } from '../lib/pacing/pacer.js';
import { applyBlockReasons, mapQueueBody } from '../lib/sources/index.js';
import { loadPolicyConfig } from '../lib/config.js';

const TOKEN = 'bench-token-not-a-secret';
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function backlogRun(label: string, messages: number, limits: string, consumers = 2) {
  const windows = parseRateLimits(limits);
  const steady = windows.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
  const queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 60 });
  const hoodWorker = new Worker(resolve(HOOD_BUNDLE), { workerData: { token: TOKEN, rateLimits: windows } });
  const hoodAsk = <T>(question: string, kind: string) =>
    new Promise<T>((done) => {
      const on = (m: { kind: string } & T) => {
        if (m.kind !== kind) return;
        hoodWorker.off('message', on);
        done(m);
      };
      hoodWorker.on('message', on);
      if (question) hoodWorker.postMessage(question);
    });
  const hood = { url: (await hoodAsk<{ url: string }>('', 'ready')).url };
  const hoodStats = async () => (await hoodAsk<{ stats: SandboxStats }>('stats', 'stats')).stats;
  const sqs = new SQSClient({ region: queues.region, endpoint: queues.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const contacts = Array.from({ length: messages }, (_, i) => `bench${i}@example.com`);
  for (let i = 0; i < contacts.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.blockQueueUrl,
        Entries: contacts.slice(i, i + 10).map((c, j) => ({ Id: String(j), MessageBody: JSON.stringify({ contact: c, reason: 'unsubscribe', source: 'bench' }) })),
      }),
    );
  }
  const env = {
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: TOKEN,
    HOOD_RATE_LIMITS: limits,
    CONSUMER_MAX_CONCURRENCY: String(consumers),
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const started = Date.now();
  const workers = Array.from(
    { length: consumers },
    () =>
      new Worker(resolve(WORKER_BUNDLE), {
        workerData: { env, queueUrl: queues.blockQueueUrl, queueArn: queues.blockQueueArn, endpoint: queues.endpoint, region: queues.region },
      }),
  );
  const deadline = started + Math.max(120_000, (messages / steady.count) * steady.windowMs * 3);
  while ((await hoodStats()).created < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const results = await Promise.all(
    workers.map(
      (w) =>
        new Promise<{ peakHeap: number }>((resolve) => {
          w.once('message', (m) => {
            resolve(m);
            void w.terminate();
          });
          w.postMessage('stop');
        }),
    ),
  );
  const final = await hoodAsk<{ stats: SandboxStats; contacts: { contact: string; at: number }[] }>('final', 'final');
  await hoodWorker.terminate();
  const stored = final.contacts;
  const unique = new Set(stored.map((c) => c.contact));
  const stats = final.stats;
  const createdAt = stored.map((c) => c.at).filter(Number.isFinite).sort((a, b) => a - b);
  let steadyPct = NaN;
  if (createdAt.length >= 20) {
    // Steady state: from the 10th to the 90th percentile of creates (no start-up burst, no tail).
    const a = Math.floor(createdAt.length * 0.1);
    const b = Math.floor(createdAt.length * 0.9);
    const rate = (b - a) / (createdAt[b]! - createdAt[a]!);
    steadyPct = (rate / (steady.count / steady.windowMs)) * 100;
  }
  const elapsed = Date.now() - started;
  console.log(`\n## ${label}: ${messages} messages, ${consumers} consumers, HOOD_RATE_LIMITS=${limits}`);
  console.log(`throughput (steady state)   ${fmt(steadyPct)} % of the steady limit (${steady.count}/${steady.windowMs} ms)`);
  console.log(`wall time                   ${fmt(elapsed / 1000)} s (ideal ≈ ${fmt(((messages / steady.count) * steady.windowMs) / 1000)} s)`);
  console.log(`429s                        ${stats.rateLimited} (window violations ${stats.windowViolations}, parallel ${stats.parallelViolations})`);
  console.log(`lost                        ${messages - unique.size}`);
  console.log(`duplicates                  ${stored.length - unique.size}`);
  console.log(`peak live heap per consumer ${results.map((r) => `${fmt(r.peakHeap / 1024 / 1024)} MiB`).join(', ')}`);
  sqs.destroy();
  await queues.stop();
  return { steadyPct, rateLimited: stats.rateLimited, lost: messages - unique.size, duplicates: stored.length - unique.size, peakHeaps: results.map((r) => r.peakHeap) };
}

/** CPU cost of mapping + bookkeeping per record: an instant Hood, a no-op queue, an unlimited pacer. */
async function overheadRun(records: number) {
  const config = loadConsumerConfig({ HOOD_API_TOKEN: TOKEN, HOOD_RATE_LIMITS: '1000000/1s', BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/q', DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/dlq' });
  const sqs = { send: async () => ({}) } as unknown as SQSClient;
  const hood = { createBlockedContact: async () => ({ kind: 'created' as const, id: '1', type: 'email', status: 201 }) };
  const pacer = new Pacer({ windows: config.hood.rateLimits, consumers: 1 });
  const recent = new RecentContacts();
  const batch = (n: number, offset: number): QueueRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      messageId: `m${offset + i}`,
      receiptHandle: `r${offset + i}`,
      body: JSON.stringify({ contact: `over${offset + i}@example.com`, reason: 'unsubscribe', source: 'bench' }),
      attributes: { ApproximateReceiveCount: '1' },
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
    }));
  const deps = { config, hood, sqs, pacer, recent, logger: { debug() {}, info() {}, warn() {}, error() {} }, count() {} };
  for (let i = 0; i < 200; i += 10) await processBatch(batch(10, -1000 - i), () => 60_000, deps);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records; i += 10) await processBatch(batch(10, i), () => 60_000, deps);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / records;
  console.log(`\n## Per-record overhead (consumer core: parse, map, dedupe, pace, describe, bookkeeping; Hood and SQS instant)`);
  console.log(`per record                  ${fmt(us, 2)} µs over ${records} records`);
}

async function mappingRun() {
  const policy = loadPolicyConfig({});
  const samples: Record<string, string> = {
    'normalised message': JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe', source: 'crm' }),
    'SES bounce (raw)': JSON.stringify({ notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'jane@example.com' }, { emailAddress: 'richard@example.com' }], timestamp: '2016-01-27T14:59:38.237Z', feedbackId: 'x' }, mail: { messageId: 'm', destination: ['jane@example.com'], timestamp: '2016-01-27T14:59:38.237Z', source: 'a@b.co' } }),
    'SES complaint (SNS envelope)': JSON.stringify({ Type: 'Notification', MessageId: 'id', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: JSON.stringify({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'richard@example.com' }], timestamp: '2016-01-27T14:59:38.237Z', feedbackId: 'f' }, mail: { messageId: 'm', destination: ['richard@example.com'] } }), Timestamp: '2016-01-27T14:59:38.237Z', SignatureVersion: '1', Signature: 'x', SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem' }),
    'SMS STOP (AWS EUM)': JSON.stringify({ originationNumber: '+14255550182', destinationNumber: '+12125550101', messageKeyword: 'STOP', messageBody: 'Stop', inboundMessageId: 'i', previousPublishedMessageId: 'p' }),
  };
  console.log(`\n## Mapping cost per event (mapQueueBody + BLOCK_REASONS)`);
  for (const [name, body] of Object.entries(samples)) {
    for (let i = 0; i < 2000; i += 1) applyBlockReasons(mapQueueBody(body, policy), policy.blockReasons);
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) applyBlockReasons(mapQueueBody(body, policy), policy.blockReasons);
    console.log(`${name.padEnd(28)}${fmt(Number(process.hrtime.bigint() - t0) / 1000 / n, 2)} µs`);
  }
}

function coldStart() {
  console.log(`\n## Cold start (bundle size, module import time: median of 7 fresh processes)`);
  for (const file of ['dist/handlers/block-contacts.mjs', 'dist/handlers/webhook.mjs', 'dist/cli.mjs']) {
    let size = NaN;
    try {
      size = statSync(file).size;
    } catch {
      console.log(`${file.padEnd(36)}missing (run npm run build)`);
      continue;
    }
    const times: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const out = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const t=performance.now(); await import(${JSON.stringify(`./${file}`)}); console.log(performance.now()-t)`],
        {
          env: { ...process.env, HOOD_API_TOKEN: TOKEN, AWS_REGION: 'eu-west-1', BLOCK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq', POWERTOOLS_LOG_LEVEL: 'ERROR' },
          encoding: 'utf8',
        },
      );
      times.push(Number(out.trim().split('\n').pop()));
    }
    times.sort((a, b) => a - b);
    console.log(`${file.padEnd(36)}${fmt(size / 1024, 0)} KiB   import ${fmt(times[3]!, 0)} ms`);
  }
}

// Each consumer runs in a worker thread (its own V8 heap); bundle the worker so no TypeScript loader
// sits in the heap being measured.
const WORKER_BUNDLE = 'dist/bench/consumer-worker.mjs';
const HOOD_BUNDLE = 'dist/bench/hood-worker.mjs';
for (const [entry, outfile] of [
  ['bench/consumer-worker.ts', WORKER_BUNDLE],
  ['bench/hood-worker.ts', HOOD_BUNDLE],
]) {
  await build({
    entryPoints: [entry!],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

console.log(`hood-blocker benchmark — node ${process.version}, ${new Date().toISOString()}`);
coldStart();
await mappingRun();
await overheadRun(quick ? 2000 : 20_000);
// Time scale: Hood's windows ÷ 10 for 1k (≈ 40 s) and ÷ 20 for 10k (≈ 200 s). Fixed per-call costs
// (HTTP, SQS) weigh 10–20× more against these windows than against Hood's real 1 s / 60 s ones.
const small = await backlogRun('Backlog 1k', 1000, '10/100ms,150/6s');
if (!quick) {
  const big = await backlogRun('Backlog 10k', 10_000, '10/50ms,150/3s');
  console.log(`\n## Memory: peak heap per consumer, 10k vs 1k backlog`);
  console.log(`ratio                       ${big.peakHeaps.map((h, i) => fmt(h / (small.peakHeaps[i] ?? h), 2)).join(', ')} (≈ 1.0 = flat)`);
}
