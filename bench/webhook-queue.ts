/**
 * `npx tsx bench/webhook-queue.ts [--quick]`: time for the webhook to queue a body at the size limit
 * (27,000 contacts in one ~950 KB generic body) against fauxqs running in its own thread, one batch at a
 * time (the ingress before issue 9 item 3) and with several batches in flight (now). Prints numbers;
 * never passes or fails on them. Runnable alone; `npm run bench` does not include it.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientFor } from '../dev/emulator.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Worker } from 'node:worker_threads';
import { loadWebhookConfig } from '../lib/webhook/config.js';
import { sendMessages } from '../lib/queue/sqs.js';
import { createWebhookHandler, WEBHOOK_SEND_CONCURRENCY } from '../lib/webhook/lambda.js';

const TOKEN = 'bench-token-not-a-secret';
const quick = process.argv.includes('--quick');
const CONTACTS = quick ? 5_000 : 27_000;
const RUNS = quick ? 1 : 3;

const worker = new Worker(new URL('./fauxqs-worker.mjs', import.meta.url));
const ask = <T>(message: object | undefined, kind: string) =>
  new Promise<T>((done) => {
    const on = (m: { kind: string } & T) => {
      if (m.kind !== kind) return;
      worker.off('message', on);
      done(m);
    };
    worker.on('message', on);
    if (message) worker.postMessage(message);
  });
const { endpoint } = await ask<{ endpoint: string }>(undefined, 'ready');
/** An SQS client; with `latencyMs`, each call first waits that long (a network round trip to SQS, which fauxqs on loopback lacks). */
function client(latencyMs: number): SQSClient {
  const sqs = sqsClientFor({ region: 'us-east-1', endpoint });
  if (latencyMs > 0) {
    sqs.middlewareStack.add(
      (next) => async (args) => {
        await new Promise((r) => setTimeout(r, latencyMs));
        return next(args);
      },
      { step: 'finalizeRequest', name: 'benchLatency' },
    );
  }
  return sqs;
}
const sqs = client(0);

const body = JSON.stringify(
  Array.from({ length: CONTACTS }, (_, i) => ({ contact: `user${String(i).padStart(5, '0')}@example.de` })),
);
const event = {
  version: '2.0',
  rawPath: '/webhooks/generic',
  rawQueryString: '',
  headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  body,
  isBase64Encoded: false,
  pathParameters: { provider: 'generic' },
  requestContext: { domainName: 'bench.local', http: { method: 'POST', path: '/webhooks/generic' } },
} as unknown as APIGatewayProxyEventV2;

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let run = 0;

async function timeOnce(
  concurrency: number,
  latencyMs: number,
): Promise<{ ms: number; queued: number; status: number }> {
  const sender = client(latencyMs);
  run += 1;
  const { url } = await ask<{ url: string }>({ kind: 'create', name: `bench-block-${run}` }, 'created');
  const { url: dlq } = await ask<{ url: string }>({ kind: 'create', name: `bench-dlq-${run}` }, 'created');
  const config = loadWebhookConfig({
    GENERIC_WEBHOOK_TOKEN: TOKEN,
    BLOCK_QUEUE_URL: url,
    DEAD_LETTER_QUEUE_URL: dlq,
    AWS_REGION: 'us-east-1',
  });
  const handler = createWebhookHandler({
    config,
    sqsClient: sender,
    logger: silent,
    sendToQueue: (messages) => sendMessages(sender, url, messages, { concurrency }),
  });
  const started = performance.now();
  const response = await handler(event);
  const ms = performance.now() - started;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return { ms, queued: Number(attributes.Attributes?.ApproximateNumberOfMessages), status: response.statusCode ?? 0 };
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
console.log(
  `webhook: queue one generic body of ${fmt(CONTACTS)} contacts (${fmt(body.length)} bytes) against fauxqs in a worker thread; ${RUNS} run(s) each, median`,
);
console.log('SQS round trip | batches in flight | median ms | contacts/s | queued | status');
for (const latencyMs of [0, 10]) {
  for (const concurrency of [1, 4, WEBHOOK_SEND_CONCURRENCY]) {
    // With latency and one batch at a time a run takes 2,700 × 10 ms: one run is enough to see it.
    const runs = latencyMs > 0 && concurrency === 1 ? 1 : RUNS;
    const results = [];
    for (let i = 0; i < runs; i += 1) results.push(await timeOnce(concurrency, latencyMs));
    results.sort((a, b) => a.ms - b.ms);
    const median = results[Math.floor(results.length / 2)]!;
    const label =
      concurrency === 1
        ? '1 (before)'
        : concurrency === WEBHOOK_SEND_CONCURRENCY
          ? `${concurrency} (now)`
          : String(concurrency);
    const rtt = latencyMs === 0 ? 'loopback' : `+${latencyMs} ms`;
    console.log(
      `${rtt.padEnd(14)} | ${label.padEnd(17)} | ${fmt(median.ms).padStart(9)} | ${fmt((CONTACTS / median.ms) * 1000).padStart(10)} | ${fmt(median.queued).padStart(6)} | ${median.status}`,
    );
  }
}
await worker.terminate();
