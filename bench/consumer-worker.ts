/**
 * One consumer "container" in its own worker thread (its own V8 heap, so its memory can be measured
 * alone): the built handler, driven by an event source mapping poller over the SQS emulator.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { sqsClientFor } from '../dev/emulator.js';
import { startEventSourceMapping, type SqsLambdaHandler } from '../dev/esm.js';

interface WorkerInput {
  env: Record<string, string>;
  queueUrl: string;
  queueArn: string;
  endpoint: string;
  region: string;
}

const input = workerData as WorkerInput;
Object.assign(process.env, input.env);
// The handler logs one JSON line per record; keep the benchmark's own output readable.
process.stdout.write = (() => true) as typeof process.stdout.write;
const { handler } = (await import(pathToFileURL(resolve('dist/handlers/block-contacts.mjs')).href)) as {
  handler: SqsLambdaHandler;
};
const sqs = sqsClientFor(input);
// Live heap: collect garbage before each sample, so the number is what the consumer keeps, not what
// V8 has not bothered to free yet.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
let peakHeap = 0;
const sample = () => {
  gc();
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
};
const timer = setInterval(sample, 1000);
parentPort!.postMessage({ kind: 'ready' });
const esm = startEventSourceMapping({
  sqs,
  queueUrl: input.queueUrl,
  queueArn: input.queueArn,
  handlers: [handler],
  batchSize: 10,
  timeoutMs: 60_000,
  waitTimeSeconds: 1,
});
parentPort!.on('message', async (m: string) => {
  if (m !== 'stop') return;
  await esm.stop();
  clearInterval(timer);
  sample();
  parentPort!.postMessage({ peakHeap, stats: esm.stats() });
  sqs.destroy();
});
