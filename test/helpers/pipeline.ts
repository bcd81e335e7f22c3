import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseRateLimits } from '../../lib/config.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import {
  type EventSourceMapping,
  type InvocationInfo,
  type SqsLambdaHandler,
  startEventSourceMapping,
} from '../../dev/esm.js';
import { type HoodSandbox, type HoodSandboxOptions, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { type SqsFaultProxy, startSqsFaultProxy } from './sqs-fault-proxy.js';
import { sqsClientFor } from './sqs.js';

export const SANDBOX_TOKEN = 'sandbox-token-3f9a8c1e';

export interface PipelineOptions {
  /** `HOOD_RATE_LIMITS` for the consumers and the sandbox (time-scaled in tests). */
  limits?: string;
  consumers?: number;
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
  functionTimeoutMs?: number;
  batchSize?: number;
  env?: Record<string, string>;
  sandbox?: Omit<HoodSandboxOptions, 'rateLimits'>;
  /** Expose the proxy the consumers' SQS calls (not the event source mapping's) go through, to inject faults. */
  sqsFaults?: boolean;
  /**
   * How many times faster the consumers' SQS waits run (DelaySeconds, VisibilityTimeout; see
   * ./sqs-time-scale.ts). Default 10, as the default Hood windows are a tenth of Hood's; 1: real seconds.
   */
  timeScale?: number;
  /** Wrap each consumer's handler, e.g. to simulate a crash after it did its work. */
  wrapHandler?: (handler: SqsLambdaHandler, consumer: number) => SqsLambdaHandler;
}

export interface Pipeline {
  queues: LocalQueues;
  sqs: SQSClient;
  hood: HoodSandbox;
  esm: EventSourceMapping;
  invocations: InvocationInfo[];
  sqsFaults: SqsFaultProxy | undefined;
  /** Everything the handlers wrote to stdout/stderr (logs, EMF metrics). */
  output: string[];
  stop(): Promise<void>;
}

const BUILT_HANDLER = pathToFileURL(resolve('dist/handlers/block-contacts.mjs')).href;

/**
 * The consumer as it runs in AWS: the built bundle, one fresh module instance per concurrent consumer
 * (a Lambda container each), driven by an event source mapping over a real SQS emulator, calling a real
 * HTTP stand-in for Hood that enforces fixed windows and answers 429 with Retry-After. Time is scaled, not
 * faked: the windows are a tenth of Hood's and the consumers' SQS waits (a held 401's 15 s, a backoff) run ten
 * times faster through a proxy (./sqs-time-scale.ts), so a test waits seconds where production waits a minute.
 */
export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const limits = options.limits ?? '10/100ms,150/6s';
  const queues = await startLocalQueues({
    maxReceiveCount: options.maxReceiveCount ?? 5,
    // Lambda requires the queue's visibility timeout to be at least the function timeout.
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 60,
  });
  const hood = await startHoodSandbox({
    token: SANDBOX_TOKEN,
    rateLimits: parseRateLimits(limits),
    duplicateBehaviour: 'create',
    ...options.sandbox,
  });
  const consumers = options.consumers ?? 2;
  const proxy = await startSqsFaultProxy(queues.endpoint, { timeScale: options.timeScale ?? 10 });
  const sqsFaults = options.sqsFaults ? proxy : undefined;
  const env: Record<string, string> = {
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: SANDBOX_TOKEN,
    HOOD_RATE_LIMITS: limits,
    CONSUMER_MAX_CONCURRENCY: String(consumers),
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: proxy.endpoint,
    AWS_REGION: queues.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    HOOD_RETRY_BASE_SECONDS: '1',
    HOOD_REQUEST_TIMEOUT_MS: '2000',
    POWERTOOLS_SERVICE_NAME: 'hood-blocker',
    POWERTOOLS_METRICS_NAMESPACE: 'HoodBlocker',
    ...options.env,
  };
  const output: string[] = [];
  const restore = captureOutput(output);
  // The environment stays set while the pipeline runs: as in Lambda, the SDK reads credentials from
  // it lazily, at the first call.
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const handlers: SqsLambdaHandler[] = [];
  for (let i = 0; i < consumers; i += 1) {
    // A distinct specifier makes a distinct module instance: its own pacer, ledger and pool.
    const mod = (await import(`${BUILT_HANDLER}?consumer=${randomUUID()}`)) as { handler: SqsLambdaHandler };
    handlers.push(options.wrapHandler ? options.wrapHandler(mod.handler, i) : mod.handler);
  }
  const sqs = sqsClientFor(queues);
  const invocations: InvocationInfo[] = [];
  const esm = startEventSourceMapping({
    sqs,
    queueUrl: queues.blockQueueUrl,
    queueArn: queues.blockQueueArn,
    handlers,
    batchSize: options.batchSize ?? 10,
    timeoutMs: options.functionTimeoutMs ?? 30_000,
    waitTimeSeconds: 1,
    onInvocation: (i) => invocations.push(i),
  });
  return {
    queues,
    sqs,
    hood,
    esm,
    invocations,
    output,
    sqsFaults,
    async stop() {
      await esm.stop();
      restore();
      process.env = saved;
      sqs.destroy();
      await hood.close();
      await proxy.close();
      await queues.stop();
    },
  };
}

/** Route process stdout/stderr writes into `sink` (the handlers log JSON lines and EMF there). */
function captureOutput(sink: string[]): () => void {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
}

export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return condition();
}
