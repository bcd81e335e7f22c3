/**
 * `npm run bench`: throughput against a strict Hood stand-in, 429s, loss, duplicates, per-record
 * overhead, mapping cost, memory per consumer, bundle size and cold-init time. Prints numbers; never
 * passes or fails on them (shared, noisy machines). Time-scaled limits keep runs short: the windows
 * shrink, the counts and the fixed-window semantics stay those of Hood.
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';
import { type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { parseRateLimits, loadConsumerConfig, type RateWindow } from '../lib/config.js';
import { coldFirstBatch } from './cold-batch.js';
import { consumerQueueEnv, sqsClientFor, startLocalQueues } from '../dev/emulator.js';
import type { SandboxStats } from '../dev/hood-sandbox.js';
import { processBatch, type QueueRecord } from '../lib/consumer/process-batch.js';
import { RecentContacts } from '../lib/consumer/recent.js';
import { Pacer } from '../lib/pacing/pacer.js';
import { type PeerKind, startPeer } from './peers.js';
import { gateDecisions } from '../lib/policy/index.js';
import { mapQueueBody } from '../lib/mapping/index.js';
import { QUEUE_SAMPLES } from '../lib/providers/index.js';
import { loadPolicyConfig } from '../lib/config.js';
import { TUNING_LAYERS } from '../lib/pacing/tuning.js';

const TOKEN = 'bench-token-not-a-secret';
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick') || args.has('quick');

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

interface BacklogOptions {
  label: string;
  messages: number;
  limits: string;
  consumers?: number;
  /** Hood's answer time (already time-scaled), ms. */
  latencyMs?: number;
  /** Share the budget through a DynamoDB table (dynalite in this process). */
  ledger?: boolean;
  maxInFlight?: number;
  headroomPercent?: number;
  /** Another client of the same account, calling at this percent of the steady limit, evenly. */
  otherClientPercent?: number;
  quiet?: boolean;
  /** The stand-in's parallel cap (`429 Retry-After: -1` past it). Default 10. */
  hoodParallel?: number;
  /** Latency injected on every DynamoDB request, [min, max] ms (already time-scaled). Default none. */
  dynamoLatencyMs?: [number, number];
  /** A peer instead of our consumers (bench/peers.ts). */
  peer?: PeerKind;
  /** `HOOD_PACING_TUNING_OFF` for the consumers: tuning layers turned off (lib/pacing/tuning.ts). */
  tuningOff?: string;
}

interface BacklogResult {
  steadyPct: number;
  /**
   * n × (W / count) ÷ the time from the first receive to the last 201, percent: the sustained limit's time for n
   * calls over ours (it credits the first window's allowance, so a short backlog can pass 100 %).
   */
  throughputPct: number;
  /** Percent of what N static shares allow (N × ⌊limit/N⌋ per window). */
  sharePct: number;
  /** Window-bursting ideal time ÷ our time, percent. */
  idealPct: number;
  /** DynamoDB requests (rate budget and contact ledger) per message, with the shared budget. */
  dynamoPerMessage?: number;
  /** Of which the rate budget's (the `rate#` item). */
  rateDynamoPerMessage?: number;
  /** `429 Retry-After: -1` answers (the stand-in's parallel cap). */
  parallelLimited: number;
  /** How many steady windows' allowance the backlog holds. */
  windows: number;
  /** The best sustained rate any client could reach here, percent of the steady limit (see `attainablePct`). */
  attainablePct: number;
  /** Window-bursting ideal under Hood's in-flight cap (`cappedIdealMs`) ÷ our time, percent. */
  cappedIdealPct: number;
  elapsedMs: number;
  oursRateLimited: number;
  theirsRateLimited: number;
  lost: number;
  duplicates: number;
  peakHeaps: number[];
}

/**
 * The fastest a backlog can possibly finish against fixed windows: every window's allowance at the burst
 * rate from the first moment (what a client that knew the windows' alignment and had the account to itself
 * could do).
 */
function windowBurstingIdealMs(messages: number, windows: RateWindow[]): number {
  const steady = windows.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
  // The shortest window sets the burst rate (Hood: 10/s).
  const burst = windows.reduce((a, b) => (b.windowMs < a.windowMs ? b : a));
  const fullWindows = Math.ceil(messages / steady.count) - 1;
  const rest = messages - fullWindows * steady.count;
  return fullWindows * steady.windowMs + (rest / burst.count) * burst.windowMs;
}

/**
 * The fastest a backlog can finish when, besides the windows, at most `maxInFlight` calls may be in flight
 * and each takes `latencyMs`: each window's allowance at min(burst rate, maxInFlight / latency), the last
 * call's answer included. (At Hood 2 s and the default cap of 4, 2 calls/s: 80 % of 150/min, whatever the
 * client.)
 */
function cappedIdealMs(messages: number, windows: RateWindow[], maxInFlight: number, latencyMs: number): number {
  const steady = windows.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
  const burst = windows.reduce((a, b) => (b.windowMs < a.windowMs ? b : a));
  const ratePerMs = Math.min(
    burst.count / burst.windowMs,
    latencyMs > 0 ? maxInFlight / latencyMs : Number.POSITIVE_INFINITY,
  );
  const perWindow = Math.min(steady.count, Math.floor(ratePerMs * steady.windowMs));
  let left = messages;
  let t = 0;
  while (left > perWindow) {
    left -= perWindow;
    t += steady.windowMs;
  }
  return t + left / ratePerMs + latencyMs;
}

/**
 * The best sustained rate, percent of the steady limit, for a client that cannot know the windows' alignment
 * (W / (W + L), see lib/pacing/sliding.ts) and keeps at most `maxInFlight` calls in flight (Little's law).
 */
function attainablePct(windows: RateWindow[], maxInFlight: number, latencyMs: number): number {
  const steady = windows.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
  const sliding = steady.windowMs / (steady.windowMs + latencyMs);
  const cap = latencyMs > 0 ? maxInFlight / latencyMs / (steady.count / steady.windowMs) : Number.POSITIVE_INFINITY;
  return Math.min(sliding, cap) * 100;
}

/** A benchmark consumer's environment: the local queues, the Hood stand-in, quiet logs, no metrics; plus `extra`. */
function consumerEnv(
  queues: { blockQueueUrl: string; deadLetterQueueUrl: string; endpoint: string; region: string },
  hoodUrl: string,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    HOOD_API_URL: hoodUrl,
    HOOD_API_TOKEN: TOKEN,
    ...consumerQueueEnv(queues),
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...extra,
  };
}

async function backlogRun(o: BacklogOptions): Promise<BacklogResult> {
  const { label, messages, limits } = o;
  const consumers = o.consumers ?? 2;
  const windows = parseRateLimits(limits);
  const steady = windows.reduce((a, b) => (b.windowMs > a.windowMs ? b : a));
  // A naive consumer's failed messages come back after Lambda's default visibility timeout (30 s, time-scaled);
  // a long one keeps them from coming back twice while one is still being worked on.
  const visibilityTimeoutSeconds = o.peer === 'naive' ? Math.max(1, Math.round(30 / SCALE)) : 60;
  const queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds });
  const hoodWorker = new Worker(resolve(HOOD_BUNDLE), {
    workerData: { token: TOKEN, rateLimits: windows, latencyMs: o.latencyMs ?? 0, maxParallel: o.hoodParallel },
  });
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
  const _hoodStats = async () => (await hoodAsk<{ stats: SandboxStats }>('stats', 'stats')).stats;
  const table = o.ledger ? await startBenchTable(o.dynamoLatencyMs) : undefined;
  const sqs = sqsClientFor(queues);
  const contacts = Array.from({ length: messages }, (_, i) => `bench${i}@example.com`);
  for (let i = 0; i < contacts.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.blockQueueUrl,
        Entries: contacts.slice(i, i + 10).map((c, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify({ contact: c, reason: 'unsubscribe', source: 'bench' }),
        })),
      }),
    );
  }
  const env = consumerEnv(queues, hood.url, {
    HOOD_RATE_LIMITS: limits,
    CONSUMER_MAX_CONCURRENCY: String(consumers),
    HOOD_RATE_HEADROOM: String(o.headroomPercent ?? 0),
  });
  // Unset: the default (10, learned from 4).
  if (o.maxInFlight !== undefined) env.HOOD_MAX_IN_FLIGHT = String(o.maxInFlight);
  if (o.tuningOff) env.HOOD_PACING_TUNING_OFF = o.tuningOff;
  if (table) {
    env.LEDGER_TABLE = table.table;
    env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
    // The table also holds the contact ledger, which needs its HMAC key.
    env.LEDGER_HASH_KEY = 'bench-ledger-hmac-key-not-a-secret-0123456789';
  }
  const launched = Date.now();
  const peer = o.peer
    ? startPeer(o.peer, { hoodUrl: hood.url, token: TOKEN, queues, consumers, scale: SCALE })
    : undefined;
  const workers = Array.from(
    { length: peer ? 0 : consumers },
    () =>
      new Worker(resolve(WORKER_BUNDLE), {
        workerData: {
          env,
          queueUrl: queues.blockQueueUrl,
          queueArn: queues.blockQueueArn,
          endpoint: queues.endpoint,
          region: queues.region,
        },
      }),
  );
  // The clock starts when the first consumer has imported the handler and polls the queue (a Lambda's own
  // cold start is in the cold-start section; a worker thread's start-up on a busy machine is not Lambda's).
  const started = peer
    ? launched
    : await new Promise<number>((done) => {
        for (const w of workers) w.once('message', (m: { kind?: string }) => m.kind === 'ready' && done(Date.now()));
      });
  const startUpMs = started - launched;
  // Another client of the same account (same token), spreading its calls evenly; its 429s are its own.
  const other = { stop: false, calls: 0, rateLimited: 0 };
  const otherDone = (async () => {
    if (!o.otherClientPercent) return;
    const gapMs = steady.windowMs / ((steady.count * o.otherClientPercent) / 100);
    const t0 = Date.now();
    for (let i = 0; !other.stop; i += 1) {
      const due = t0 + i * gapMs;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, Math.ceil(due - Date.now())));
      if (other.stop) break;
      const res = await fetch(`${hood.url}/blocked-contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ contact: `other${i}@example.org`, description: 'other client' }),
      }).catch(() => undefined);
      await res?.arrayBuffer().catch(() => undefined);
      other.calls += 1;
      if (res?.status === 429) other.rateLimited += 1;
    }
  })();
  const deadline = started + Math.max(120_000, (messages / steady.count) * steady.windowMs * 3);
  const ours = async () =>
    (
      await hoodAsk<{ stats: SandboxStats; contacts: { contact: string; at: number }[] }>('final-peek', 'peek')
    ).contacts.filter((c) => c.contact.startsWith('bench')).length;
  while ((await ours()) < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const elapsed = Date.now() - started;
  other.stop = true;
  await otherDone;
  const results = peer
    ? [await peer.stop()]
    : await Promise.all(
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
  const stored = final.contacts.filter((c) => c.contact.startsWith('bench'));
  const unique = new Set(stored.map((c) => c.contact));
  const stats = final.stats;
  const createdAt = stored
    .map((c) => c.at)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (process.env.BENCH_TRACE) {
    const buckets = new Map<number, number>();
    for (const t of createdAt)
      buckets.set(Math.floor((t - started) / 500), (buckets.get(Math.floor((t - started) / 500)) ?? 0) + 1);
    console.log(
      [...buckets]
        .sort((a, b) => a[0] - b[0])
        .map(([k, v]) => `${k / 2}s:${v}`)
        .join(' '),
    );
  }
  let steadyPct = NaN;
  if (createdAt.length >= 20) {
    // Steady state: from the 10th to the 90th percentile of creates (no start-up burst, no tail).
    const a = Math.floor(createdAt.length * 0.1);
    const b = Math.floor(createdAt.length * 0.9);
    const rate = (b - a) / (createdAt[b]! - createdAt[a]!);
    steadyPct = (rate / (steady.count / steady.windowMs)) * 100;
  }
  const usable = o.ledger
    ? Math.floor((steady.count * (100 - (o.headroomPercent ?? 0))) / 100)
    : consumers * Math.floor(Math.floor((steady.count * (100 - (o.headroomPercent ?? 0))) / 100) / consumers);
  // What limits calls in flight: our hard cap and the stand-in's parallel cap (a peer has no cap of its own).
  const inFlightLimit = Math.min(o.peer ? Number.POSITIVE_INFINITY : (o.maxInFlight ?? 10), o.hoodParallel ?? 10);
  const result: BacklogResult = {
    steadyPct,
    sharePct: (steadyPct * steady.count) / usable,
    throughputPct:
      ((messages * steady.windowMs) /
        steady.count /
        ((createdAt[createdAt.length - 1] ?? started + elapsed) - started)) *
      100,
    idealPct: (windowBurstingIdealMs(messages, windows) / elapsed) * 100,
    windows: messages / steady.count,
    attainablePct: attainablePct(windows, inFlightLimit, o.latencyMs ?? 0),
    cappedIdealPct: (cappedIdealMs(messages, windows, inFlightLimit, o.latencyMs ?? 0) / elapsed) * 100,
    parallelLimited: stats.parallelViolations,
    elapsedMs: elapsed,
    oursRateLimited: stats.rateLimited - other.rateLimited,
    theirsRateLimited: other.rateLimited,
    lost: messages - unique.size,
    duplicates: stored.length - unique.size,
    peakHeaps: results.map((r) => r.peakHeap),
  };
  if (!o.quiet) {
    console.log(
      `\n## ${label}: ${messages} messages, ${consumers} consumers, HOOD_RATE_LIMITS=${limits}${o.latencyMs ? `, Hood latency ${o.latencyMs} ms` : ''}${o.ledger ? ', shared budget (LEDGER_TABLE)' : ', static shares'}`,
    );
    console.log(
      `throughput (steady state)   ${fmt(steadyPct)} % of the steady limit (${steady.count}/${steady.windowMs} ms), ${fmt(result.sharePct)} % of what the shares allow`,
    );
    console.log(
      `wall time                   ${fmt(elapsed / 1000)} s from the first consumer's start (worker start-up ${fmt(startUpMs / 1000)} s before it; window-bursting ideal ≈ ${fmt(windowBurstingIdealMs(messages, windows) / 1000)} s)`,
    );
    console.log(
      `429s                        ${stats.rateLimited} (window violations ${stats.windowViolations}, parallel ${stats.parallelViolations}; another client's ${other.rateLimited})`,
    );
    console.log(`lost                        ${result.lost}`);
    console.log(`duplicates                  ${result.duplicates}`);
    console.log(`peak live heap per consumer ${results.map((r) => `${fmt(r.peakHeap / 1024 / 1024)} MiB`).join(', ')}`);
  }
  sqs.destroy();
  await queues.stop();
  const dynamo = await table?.stop();
  const dynamoOps = dynamo?.counts;
  if (dynamo && dynamoOps) {
    result.dynamoPerMessage = Object.values(dynamoOps).reduce((a, b) => a + b, 0) / messages;
    result.rateDynamoPerMessage =
      Object.entries(dynamoOps)
        .filter(([k]) => k.startsWith('rate '))
        .reduce((a, [, n]) => a + n, 0) / messages;
    if (process.env.BENCH_TRACE || !o.quiet)
      console.log(
        `DynamoDB requests per message: ${Object.entries(dynamoOps)
          .map(([op, n]) => `${op} ${fmt(n / messages, 2)}`)
          .join(', ')}; refused conditions per message: ${
          Object.entries(dynamo.refused)
            .map(([op, n]) => `${op} ${fmt(n / messages, 2)}`)
            .join(', ') || 'none'
        }`,
      );
  }
  return result;
}

async function startBenchTable(latencyMs?: [number, number]): Promise<{
  table: string;
  endpoint: string;
  stop(): Promise<{ counts: Record<string, number>; refused: Record<string, number> }>;
}> {
  // BENCH_PLAIN_DYNALITE=1: a refused conditional write comes back without the item (dynalite's way, not DynamoDB's).
  const plainDynalite = process.env.BENCH_PLAIN_DYNALITE === '1';
  const worker = new Worker(resolve(DYNAMO_BUNDLE), {
    workerData: { latencyMs, plainDynalite, traceFile: process.env.BENCH_RATE_TRACE },
  });
  const ready = await new Promise<{ endpoint: string; table: string }>((done) => worker.once('message', done));
  return {
    table: ready.table,
    endpoint: ready.endpoint,
    async stop() {
      const { counts, refused } = await new Promise<{
        counts: Record<string, number>;
        refused: Record<string, number>;
      }>((done) => {
        worker.once('message', done);
        worker.postMessage('stop');
      });
      await worker.terminate();
      return { counts, refused };
    },
  };
}

/** CPU cost of mapping + bookkeeping per record: an instant Hood, a no-op queue, an unlimited pacer. */
async function overheadRun(records: number) {
  const config = loadConsumerConfig({
    HOOD_API_TOKEN: TOKEN,
    HOOD_RATE_LIMITS: '1000000/1s',
    BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/q',
    DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/dlq',
  });
  const sqs = { send: async () => ({}) } as unknown as SQSClient;
  const hood = {
    createBlockedContact: async () => ({ kind: 'created' as const, id: '1', type: 'email', status: 201 }),
  };
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
  const deps = {
    config,
    hood,
    sqs,
    pacer,
    recent,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    count() {},
  };
  for (let i = 0; i < 200; i += 10) await processBatch(batch(10, -1000 - i), () => 60_000, deps);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records; i += 10) await processBatch(batch(10, i), () => 60_000, deps);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / records;
  console.log(
    `\n## Per-record overhead (consumer core: parse, map, dedupe, pace, describe, bookkeeping; Hood and SQS instant)`,
  );
  console.log(`per record                  ${fmt(us, 2)} µs over ${records} records`);
}

async function mappingRun() {
  const policy = loadPolicyConfig({});
  const samples: Record<string, string> = {
    'normalised message': JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe', source: 'crm' }),
    // Each provider's queue bodies as it declares them (`queueSamples`: SES raw and in an SNS envelope, SMS).
    ...Object.fromEntries(QUEUE_SAMPLES),
  };
  console.log(`\n## Mapping cost per event (mapQueueBody + BLOCK_REASONS)`);
  for (const [name, body] of Object.entries(samples)) {
    for (let i = 0; i < 2000; i += 1) gateDecisions(mapQueueBody(body, policy), { blockReasons: policy.blockReasons });
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) gateDecisions(mapQueueBody(body, policy), { blockReasons: policy.blockReasons });
    console.log(`${name.padEnd(28)}${fmt(Number(process.hrtime.bigint() - t0) / 1000 / n, 2)} µs`);
  }
}

/** Bytes a bundle loads at import: the file and every chunk it imports statically (from the build's metafile). */
function loadedBytes(root: string, file: string): number {
  const metaFile = `${root}/${file}.meta.json`;
  if (!existsSync(metaFile)) return statSync(`${root}/${file}`).size;
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as {
    outputs: Record<string, { imports?: { path: string; kind: string; external?: boolean }[] }>;
  };
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const imp of meta.outputs[out]?.imports ?? [])
      if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(file);
  let total = 0;
  for (const f of seen) total += statSync(`${root}/${f}`).size;
  return total;
}

async function coldStart(baselineRoot?: string) {
  console.log(
    `\n## Cold start (code loaded at import, module import time: median of 9 fresh processes${baselineRoot ? `; before = ${baselineRoot}` : ''})`,
  );
  for (const file of ['dist/handlers/block-contacts.mjs', 'dist/handlers/webhook.mjs', 'dist/cli.mjs']) {
    const roots = baselineRoot ? [baselineRoot, '.'] : ['.'];
    const line: string[] = [];
    const times = new Map<string, number[]>(roots.map((r) => [r, []]));
    // Interleaved, so load on a shared machine hits before and after alike.
    for (let i = 0; i < 9; i += 1)
      for (const root of roots) if (existsSync(`${root}/${file}`)) times.get(root)!.push(importMs(root, file));
    for (const root of roots) {
      const t = times.get(root)!.sort((a, b) => a - b);
      if (t.length === 0) {
        line.push(`${root === '.' ? 'after' : 'before'}: missing`);
        continue;
      }
      line.push(
        `${root === '.' ? 'after' : 'before'} ${fmt(loadedBytes(root, file) / 1024, 0)} KiB, import ${fmt(t[Math.floor(t.length / 2)]!, 0)} ms`,
      );
    }
    console.log(`${file.padEnd(36)}${line.join('   ')}`);
  }
  // Import + first batch: one opt-out blocked end to end (Hood 201, message deleted, counts published).
  const file = 'dist/handlers/block-contacts.mjs';
  const roots = (baselineRoot ? [baselineRoot, '.'] : ['.']).filter((r) => existsSync(`${r}/${file}`));
  const rounds = quick ? 5 : 9;
  for (const [kind, contactFor] of [
    ['email', (n: number) => `cold${n}-${Date.now()}@example.com`],
    ['phone', (n: number) => `+4420794${String((Date.now() % 100_000) + n).padStart(5, '0')}`],
  ] as const) {
    const samples = await coldFirstBatch(roots, file, rounds, contactFor);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const line = roots.map((root) => {
      const s = samples.get(root)!;
      return `${root === '.' ? 'after' : 'before'} import ${fmt(median(s.map((x) => x.importMs)), 0)} ms, import + first batch ${fmt(median(s.map((x) => x.firstBatchMs)), 0)} ms`;
    });
    console.log(`${`consumer, 1-record batch (${kind})`.padEnd(36)}${line.join('   ')}`);
  }
}

function importMs(root: string, file: string): number {
  {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t=performance.now(); await import(${JSON.stringify(pathToFileURL(resolve(root, file)).href)}); console.log(performance.now()-t)`,
      ],
      {
        env: {
          ...process.env,
          HOOD_API_TOKEN: TOKEN,
          AWS_REGION: 'eu-west-1',
          BLOCK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
          DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
        encoding: 'utf8',
      },
    );
    return Number(out.trim().split('\n').pop());
  }
}

/**
 * Trickle: one opt-out every ~2 s on an idle queue, send → Hood 201, through the built handler and the
 * local event source mapping (long polling, no batching window). Lambda adds up to the batching window
 * (`maximumBatchingWindowSeconds`) on top while a batch is not full.
 */
async function trickleRun() {
  const queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 60 });
  const hoodWorker = new Worker(resolve(HOOD_BUNDLE), {
    workerData: { token: TOKEN, rateLimits: parseRateLimits('10/1s,150/1m'), latencyMs: 0 },
  });
  const url = await new Promise<string>((done) => hoodWorker.once('message', (m: { url: string }) => done(m.url)));
  const sqs = sqsClientFor(queues);
  const env = consumerEnv(queues, url, { CONSUMER_MAX_CONCURRENCY: '2' });
  const workers = [0, 1].map(
    () =>
      new Worker(resolve(WORKER_BUNDLE), {
        workerData: {
          env,
          queueUrl: queues.blockQueueUrl,
          queueArn: queues.blockQueueArn,
          endpoint: queues.endpoint,
          region: queues.region,
        },
      }),
  );
  const latencies: number[] = [];
  const peek = () =>
    new Promise<{ contact: string; at: number }[]>((done) => {
      const on = (m: { kind: string; contacts: { contact: string; at: number }[] }) => {
        if (m.kind !== 'peek') return;
        hoodWorker.off('message', on);
        done(m.contacts);
      };
      hoodWorker.on('message', on);
      hoodWorker.postMessage('final-peek');
    });
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < (quick ? 5 : 12); i += 1) {
    const contact = `trickle${i}@example.com`;
    const sent = Date.now();
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.blockQueueUrl,
        Entries: [{ Id: '0', MessageBody: JSON.stringify({ contact, reason: 'unsubscribe', source: 'bench' }) }],
      }),
    );
    for (;;) {
      const found = (await peek()).find((c) => c.contact === contact);
      if (found) {
        latencies.push(found.at - sent);
        break;
      }
      if (Date.now() - sent > 30_000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
  }
  latencies.sort((a, b) => a - b);
  console.log(`\n## Trickle latency (send → Hood 201, idle queue, ${latencies.length} opt-outs, no batching window)`);
  console.log(
    `median ${fmt(latencies[Math.floor(latencies.length / 2)] ?? NaN, 0)} ms, max ${fmt(latencies[latencies.length - 1] ?? NaN, 0)} ms; in Lambda add up to maximumBatchingWindowSeconds`,
  );
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((done) => {
          w.once('message', () => {
            void w.terminate();
            done();
          });
          w.postMessage('stop');
        }),
    ),
  );
  await hoodWorker.terminate();
  sqs.destroy();
  await queues.stop();
}

// Each consumer runs in a worker thread (its own V8 heap); bundle the worker so no TypeScript loader
// sits in the heap being measured.
const WORKER_BUNDLE = 'dist/bench/consumer-worker.mjs';
const HOOD_BUNDLE = 'dist/bench/hood-worker.mjs';
const DYNAMO_BUNDLE = 'dist/bench/dynamo-worker.mjs';
for (const [entry, outfile] of [
  ['bench/consumer-worker.ts', WORKER_BUNDLE],
  ['bench/hood-worker.ts', HOOD_BUNDLE],
  ['bench/dynamo-worker.ts', DYNAMO_BUNDLE],
]) {
  await build({
    entryPoints: [entry!],
    outfile,
    bundle: true,
    // dynalite stays a package import (resolved from node_modules at run time).
    external: ['dynalite'],
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

// Sections: `npm run bench -- <section> [<section> …]` runs only those (default: all but `backlog10k`).
//   cold [--baseline <dir with an older dist/>]  bundle sizes and import time (before/after)
//   mapping, overhead                             per-event CPU cost
//   uneven                                        3 and 4 consumers (shares that do not divide 150)
//   matrix [--ablate all|turns,…] [--static] [--consumers 2,4,8] [--latency 50,1000,2000] [--backlogs 300,3000] [--max-in-flight 4]
//                                                 consumers × Hood latency × backlog, shared budget unless --static
//   neighbour                                     another client using 30% of the budget, with and without headroom
//   quick                                         one time-scaled cell per dimension + the peer rows (~5 min)
//   peers                                         a naive consumer and a 2 calls/s fixed-rate sender
//   matrix … [--hood-parallel 4] [--runs 3]       the stand-in's parallel cap; repeat each cell
// Real time: `npm run bench -- matrix --scale 1 --consumers 2,8 --latency 2000 --backlogs 450` (~4 min a row).
//   trickle                                       send → Hood 201 on a mostly idle queue
//   backlog, backlog10k                           the original 1k / 10k backlog runs
// Time scale: Hood's windows ÷ 10 (10/100ms,150/6s); latencies scale with them. Fixed per-call costs
// (HTTP, SQS, DynamoDB) weigh 10× more against these windows than against Hood's real ones.
// `--scale 1` runs in Hood's real time (the shared limiter's DynamoDB round trips then weigh as in AWS).
const scaleAt = process.argv.indexOf('--scale');
const SCALE = scaleAt >= 0 ? Math.max(1, Number(process.argv[scaleAt + 1]) || 10) : 10;
const SCALED = `10/${Math.round(1000 / SCALE)}ms,150/${Math.round(60_000 / SCALE)}ms`;
const named = process.argv
  .slice(2)
  .filter(
    (a, i, all) =>
      !a.startsWith('--') &&
      ![
        '--baseline',
        '--scale',
        '--consumers',
        '--latency',
        '--backlogs',
        '--max-in-flight',
        '--hood-parallel',
        '--runs',
      ].includes(all[i - 1] ?? ''),
  );
// DynamoDB's round trip from a Lambda (5–10 ms), scaled with Hood's time, injected on dynalite.
const DYNAMO_LATENCY: [number, number] = [5 / SCALE, 10 / SCALE];
const baselineAt = process.argv.indexOf('--baseline');
const baseline = baselineAt >= 0 ? process.argv[baselineAt + 1] : undefined;
const want = (section: string) =>
  named.length === 0 ? !['backlog10k', 'quick', 'peers'].includes(section) : named.includes(section);

console.log(
  `hood-blocker benchmark — node ${process.version}, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
if (want('cold')) await coldStart(baseline);
if (want('mapping')) await mappingRun();
if (want('overhead')) await overheadRun(quick ? 2000 : 20_000);
let small: BacklogResult | undefined;
if (want('backlog')) small = await backlogRun({ label: 'Backlog 1k', messages: 1000, limits: SCALED });
if (want('backlog10k')) {
  const big = await backlogRun({ label: 'Backlog 10k', messages: 10_000, limits: '10/50ms,150/3s' });
  if (small) {
    console.log(`\n## Memory: peak heap per consumer, 10k vs 1k backlog`);
    console.log(
      `ratio                       ${big.peakHeaps.map((h, i) => fmt(h / (small!.peakHeaps[i] ?? h), 2)).join(', ')} (≈ 1.0 = flat)`,
    );
  }
}
if (want('uneven')) {
  for (const consumers of [3, 4]) {
    await backlogRun({ label: `Uneven shares (${consumers} consumers)`, messages: 600, limits: SCALED, consumers });
  }
}
const table: string[] = [];
const row = (name: string, r: BacklogResult) =>
  // A backlog of a few windows bursts each window's allowance: its 10th–90th percentile slope is no steady
  // rate (it can exceed 100 %); its wall time against the ideals is the measure.
  table.push(
    `| ${name} | ${fmt(r.throughputPct)} | ${r.windows >= 10 ? fmt(r.steadyPct) : '(burst)'} | ${fmt(r.attainablePct)} | ${fmt(r.idealPct)} | ${fmt(r.cappedIdealPct)} | ${fmt(r.elapsedMs / 1000)} | ${r.oursRateLimited} / ${r.theirsRateLimited} | ${r.parallelLimited} | ${r.lost} | ${r.duplicates} | ${r.dynamoPerMessage === undefined ? '—' : `${fmt(r.dynamoPerMessage)} (rate budget ${fmt(r.rateDynamoPerMessage ?? 0)} + ledger ${fmt(r.dynamoPerMessage - (r.rateDynamoPerMessage ?? 0))})`} |`,
  );
if (want('matrix')) {
  const ledger = !process.argv.includes('--static');
  const only = (flag: string, all: number[]) => {
    const at = process.argv.indexOf(flag);
    return at >= 0 ? process.argv[at + 1]!.split(',').map(Number) : all;
  };
  const backlogs = process.argv.includes('--short') ? [300] : only('--backlogs', [300, 3000]);
  const maxInFlight = process.argv.includes('--max-in-flight') ? only('--max-in-flight', [10])[0]! : undefined;
  const hoodParallel = only('--hood-parallel', [10])[0]!;
  const runs = only('--runs', [1])[0]!;
  // `--ablate turns,batch,…` (or `all`): a row with every tuning layer, then one without each named layer.
  const ablateAt = process.argv.indexOf('--ablate');
  const ablate = ablateAt < 0 ? [] : process.argv[ablateAt + 1]!.split(',');
  const variants = [undefined, ...(ablate.includes('all') ? [...TUNING_LAYERS] : ablate)];
  for (const consumers of only('--consumers', [2, 4, 8])) {
    for (const latency of only('--latency', [50, 1000, 2000])) {
      for (const messages of backlogs) {
        for (const tuningOff of variants)
          for (let run = 0; run < runs; run += 1) {
            const r = await backlogRun({
              label: 'matrix',
              messages,
              limits: SCALED,
              consumers,
              latencyMs: latency / SCALE,
              ledger,
              maxInFlight,
              hoodParallel,
              dynamoLatencyMs: DYNAMO_LATENCY,
              quiet: true,
              tuningOff,
            });
            row(
              `${consumers} consumers, Hood ${latency} ms, backlog ${messages}${ledger ? '' : ' (static shares)'}${maxInFlight === undefined ? '' : `, HOOD_MAX_IN_FLIGHT=${maxInFlight}`}${hoodParallel === 10 ? '' : `, stand-in cap ${hoodParallel}`}${tuningOff ? `, without ${tuningOff}` : ablate.length > 0 ? ', every layer' : ''}`,
              r,
            );
            console.log(table[table.length - 1]);
          }
      }
    }
  }
}
if (want('quick') || want('peers')) {
  // One time-scaled cell per dimension (consumers, latency, static shares, the stand-in's parallel cap, another
  // client), then the peers on the same stand-in and messages.
  const cells: [string, BacklogOptions][] = want('quick')
    ? [
        [
          '8 consumers, Hood 1000 ms, backlog 300',
          {
            label: 'quick',
            messages: 300,
            limits: SCALED,
            consumers: 8,
            latencyMs: 1000 / SCALE,
            ledger: true,
            dynamoLatencyMs: DYNAMO_LATENCY,
          },
        ],
        [
          '2 consumers, Hood 2000 ms, backlog 300',
          {
            label: 'quick',
            messages: 300,
            limits: SCALED,
            consumers: 2,
            latencyMs: 2000 / SCALE,
            ledger: true,
            dynamoLatencyMs: DYNAMO_LATENCY,
          },
        ],
        [
          '2 consumers, Hood 2000 ms, backlog 300, stand-in cap 4',
          {
            label: 'quick',
            messages: 300,
            limits: SCALED,
            consumers: 2,
            latencyMs: 2000 / SCALE,
            ledger: true,
            hoodParallel: 4,
            dynamoLatencyMs: DYNAMO_LATENCY,
          },
        ],
        [
          '2 consumers, Hood 1000 ms, backlog 300 (static shares)',
          { label: 'quick', messages: 300, limits: SCALED, consumers: 2, latencyMs: 1000 / SCALE },
        ],
        [
          'other client at 30%, HOOD_RATE_HEADROOM=30',
          {
            label: 'quick',
            messages: 300,
            limits: SCALED,
            consumers: 2,
            ledger: true,
            headroomPercent: 30,
            otherClientPercent: 30,
            dynamoLatencyMs: DYNAMO_LATENCY,
          },
        ],
      ]
    : [];
  cells.push(
    [
      'peer: naive consumer (no pacing), 2 consumers, Hood 1000 ms, backlog 300',
      { label: 'peer', messages: 300, limits: SCALED, consumers: 2, latencyMs: 1000 / SCALE, peer: 'naive' },
    ],
    [
      'peer: fixed-rate sender 2 calls/s, Hood 1000 ms, backlog 300',
      { label: 'peer', messages: 300, limits: SCALED, latencyMs: 1000 / SCALE, peer: 'fixed-rate' },
    ],
  );
  for (const [name, options] of cells) {
    row(name, await backlogRun({ ...options, quiet: true }));
    console.log(table[table.length - 1]);
  }
}
if (want('neighbour')) {
  for (const headroom of [0, 30]) {
    const r = await backlogRun({
      label: 'neighbour',
      messages: 900,
      limits: SCALED,
      consumers: 2,
      ledger: true,
      headroomPercent: headroom,
      otherClientPercent: 30,
      quiet: true,
    });
    row(`other client at 30%, HOOD_RATE_HEADROOM=${headroom}`, r);
    console.log(table[table.length - 1]);
  }
}
if (table.length > 0) {
  console.log(
    `\n## Throughput table (time ÷ ${SCALE}; HOOD_MAX_IN_FLIGHT=10 learned from 4 unless named; DynamoDB ${DYNAMO_LATENCY.map((x) => fmt(x)).join('–')} ms injected; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version})`,
  );
  console.log(
    '| run | throughput % (n × W/count ÷ time) | % of sustained limit (10th–90th pct slope) | best attainable % | % of window-bursting ideal | % of ideal under the in-flight cap | wall s | 429s ours / theirs | of which -1 | lost | duplicates | DynamoDB requests / message (rate budget + contact ledger) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const line of table) console.log(line);
}
if (want('trickle')) await trickleRun();
