/**
 * Ledger section of the benchmark (issue 11), runnable alone: `npx tsx bench/ledger.ts [--scale N] [--messages N]`.
 *
 * A backlog of 1,000 messages where 40% repeat a contact already in the backlog, consumed by four
 * consumer containers (in-process, each its own pacer and pool, like `npm start`) through the local
 * event source mapping over the SQS emulator, against the sandbox Hood over HTTP; once without a ledger
 * (today's per-container memory) and once with the ledger on dynalite. Prints blocks per minute, Hood
 * calls per minute, duplicates, ledger time per record, and opt-out latency p50/p95 for a trickle and
 * for the backlog. Hood's windows are time-scaled (`--scale 10`: 150/1m → 150/6s); per-minute figures
 * are printed both as measured and converted back to Hood's real windows. Numbers only, never asserted.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { loadConsumerConfig } from '../lib/config.js';
import { type Consumer, createConsumer } from '../lib/consumer/consumer.js';
import type { Lane } from '../lib/consumer/ledger-hooks.js';
import { DynamoLedger } from '../lib/ledger/dynamo.js';
import type { Ledger } from '../lib/ledger/index.js';
import { startLocalDynamo } from '../dev/dynalite.js';
import { sqsClientFor, startLocalQueues } from '../dev/emulator.js';
import { startEventSourceMapping } from '../dev/esm.js';
import { startHoodSandbox } from '../dev/hood-sandbox.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const SCALE = option('scale', 10);
const MESSAGES = option('messages', 1000);
const CONSUMERS = option('consumers', 4);
const REPEAT_SHARE = 0.4;
const TOKEN = 'bench-ledger-token';
const LIMITS = `10/${Math.round(1000 / SCALE)}ms,150/${Math.round(60_000 / SCALE)}ms`;

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (values: readonly number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** Wraps every ledger call to add up the time spent in it. */
function timed(ledger: Ledger, total: { ms: number; calls: number }): Ledger {
  return new Proxy(ledger, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          total.ms += performance.now() - t0;
          total.calls += 1;
        }
      };
    },
  });
}

/** 60% distinct contacts, 40% repeats of them, shuffled (a fixed seed: the same backlog every run). */
function backlog(n: number): string[] {
  const distinct = Math.round(n * (1 - REPEAT_SHARE));
  const contacts = Array.from({ length: distinct }, (_, i) => `ledger-bench${i}@example.com`);
  const list = [...contacts, ...Array.from({ length: n - distinct }, (_, i) => contacts[(i * 7919) % distinct]!)];
  let seed = 42;
  for (let i = list.length - 1; i > 0; i -= 1) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

interface RunResult {
  seconds: number;
  blocks: number;
  hoodCalls: number;
  duplicates: number;
  records: number;
  ledgerMs: number;
  ledgerCalls: number;
  latency: Record<Lane, number[]>;
}

async function run(withLedger: boolean, contacts: readonly string[], pace: 'backlog' | 'trickle'): Promise<RunResult> {
  const queues = await startLocalQueues({ maxReceiveCount: 10, visibilityTimeoutSeconds: 60 });
  const hood = await startHoodSandbox({
    token: TOKEN,
    rateLimits: loadConsumerConfig({ HOOD_API_TOKEN: 'x', HOOD_RATE_LIMITS: LIMITS }).hood.rateLimits,
    duplicateBehaviour: 'create',
  });
  const dynamo = withLedger ? await startLocalDynamo({ table: 'ledger-bench' }) : undefined;
  const env = {
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: TOKEN,
    HOOD_RATE_LIMITS: LIMITS,
    CONSUMER_MAX_CONCURRENCY: String(CONSUMERS),
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    HOOD_RETRY_BASE_SECONDS: '1',
  };
  const config = loadConsumerConfig(env);
  const timing = { ms: 0, calls: 0 };
  const latency: Record<Lane, number[]> = { live: [], bulk: [] };
  const consumers: Consumer[] = [];
  for (let i = 0; i < CONSUMERS; i += 1) {
    const ledger = dynamo
      ? timed(
          new DynamoLedger({
            table: dynamo.table,
            client: dynamo.client,
            hashKey: 'bench-ledger-hash-key-0123456789',
            blockedDays: 30,
            historyDays: 400,
          }),
          timing,
        )
      : undefined;
    consumers.push(
      await createConsumer(withLedger ? config : { ...config, ledger: undefined }, {
        logger: silent,
        publishCounts: () => {},
        publishLatency: (samples) => {
          for (const [lane, values] of samples) latency[lane].push(...values);
        },
        ...(ledger ? { ledger } : {}),
      }),
    );
  }
  const sqs = sqsClientFor(queues);
  const send = async (batch: readonly string[]) => {
    const at = new Date().toISOString();
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.blockQueueUrl,
        Entries: batch.map((c, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify({ contact: c, reason: 'unsubscribe', source: 'bench', occurredAt: at }),
        })),
      }),
    );
  };
  const started = Date.now();
  if (pace === 'backlog') for (let i = 0; i < contacts.length; i += 10) await send(contacts.slice(i, i + 10));
  let records = 0;
  const esm = startEventSourceMapping({
    sqs,
    queueUrl: queues.blockQueueUrl,
    queueArn: queues.blockQueueArn,
    region: queues.region,
    handlers: consumers.map((c) => (event, context) => c.handle(event, context)),
    batchSize: 10,
    timeoutMs: 30_000,
    waitTimeSeconds: 1,
    onInvocation: (i) => {
      records += i.records;
    },
  });
  if (pace === 'trickle') {
    // Well under the rate limit: one message per 2 tokens of the steady window.
    const gapMs = Math.round((2 * 60_000) / SCALE / 150);
    for (const c of contacts) {
      await send([c]);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }
  const distinct = new Set(contacts).size;
  const deadline = Date.now() + 15 * 60_000;
  const drained = async () => {
    const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
    const a = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queues.blockQueueUrl, AttributeNames: ['All'] }),
    );
    const attrs = (a.Attributes ?? {}) as Record<string, string | undefined>;
    const n = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ].reduce((s, k) => s + Number(attrs[k] ?? 0), 0);
    return n === 0 && esm.stats().inFlight === 0;
  };
  while (
    Date.now() < deadline &&
    !(new Set(hood.contacts().map((c) => c.contact)).size >= distinct && (await drained()))
  )
    await new Promise((r) => setTimeout(r, 250));
  const seconds = (Date.now() - started) / 1000;
  await esm.stop();
  const stats = hood.stats();
  const result: RunResult = {
    seconds,
    blocks: new Set(hood.contacts().map((c) => c.contact)).size,
    hoodCalls: stats.requests,
    duplicates: stats.duplicates,
    records,
    ledgerMs: timing.ms,
    ledgerCalls: timing.calls,
    latency,
  };
  await Promise.all(consumers.map((c) => c.close()));
  sqs.destroy();
  await hood.close();
  await dynamo?.stop();
  await queues.stop();
  return result;
}

function line(label: string, r: RunResult): string {
  const perMin = (n: number) => (n / r.seconds) * 60;
  return [
    label.padEnd(16),
    `${fmt(r.seconds)} s`.padStart(9),
    `${r.blocks}`.padStart(7),
    `${r.hoodCalls}`.padStart(11),
    `${r.duplicates}`.padStart(11),
    `${fmt(perMin(r.blocks))} (${fmt(perMin(r.blocks) / SCALE)})`.padStart(20),
    `${fmt(perMin(r.hoodCalls))} (${fmt(perMin(r.hoodCalls) / SCALE)})`.padStart(20),
    (r.ledgerCalls
      ? `${fmt(r.ledgerMs / r.records, 2)} ms (${fmt(r.ledgerCalls / r.records, 2)} calls)`
      : '—'
    ).padStart(22),
  ].join(' ');
}

const contacts = backlog(MESSAGES);
console.log(
  `Ledger bench: ${MESSAGES} messages, ${new Set(contacts).size} distinct contacts (${REPEAT_SHARE * 100}% repeats), ${CONSUMERS} consumers, Hood ${LIMITS} (time scale ×${SCALE})`,
);
const without = await run(false, contacts, 'backlog');
const withLedger = await run(true, contacts, 'backlog');
console.log(
  `${'run'.padEnd(16)} ${'time'.padStart(9)} ${'blocks'.padStart(7)} ${'Hood calls'.padStart(11)} ${'duplicates'.padStart(11)} ${'blocks/min (real)'.padStart(20)} ${'calls/min (real)'.padStart(20)} ${'ledger per record'.padStart(22)}`,
);
console.log(line('without ledger', without));
console.log(line('with ledger', withLedger));

const trickleContacts = Array.from({ length: Math.min(200, MESSAGES) }, (_, i) => `ledger-trickle${i}@example.com`);
const trickle = await run(true, trickleContacts, 'trickle');
const secs = (ms: number) => `${fmt(ms / 1000, 2)} s`;
console.log('opt-out latency, live lane, occurredAt → Hood 201 (with ledger; measured on the time-scaled windows):');
console.log(
  `  trickle (${trickleContacts.length} msgs): p50 ${secs(pct(trickle.latency.live, 50))}  p95 ${secs(pct(trickle.latency.live, 95))}`,
);
console.log(
  `  backlog (${MESSAGES} msgs): p50 ${secs(pct(withLedger.latency.live, 50))}  p95 ${secs(pct(withLedger.latency.live, 95))}  (a backlog waits for the rate limit: ×${SCALE} at Hood's real windows)`,
);
