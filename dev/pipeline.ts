import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type ConsumerConfig, type Env, loadConsumerConfig } from '../lib/config.js';
import { loadWebhookConfig } from '../lib/webhook/config.js';
import { type Consumer, createConsumer } from '../lib/consumer/consumer.js';
import type { Outcome } from '../lib/consumer/process-batch.js';
import { type QueueDepth, readQueueDepth } from '../lib/queue/sqs.js';
import { createWebhookHandler, type WebhookLambdaHandler } from '../lib/webhook/lambda.js';
import { isEnabled, WEBHOOK_PROVIDERS } from '../lib/webhook/ingress.js';
import { serveWebhook } from './api-gateway.js';
import { type LocalQueues, sqsClientFor, startLocalQueues } from './emulator.js';
import { type EventSourceMapping, startEventSourceMapping } from './esm.js';
import type { FileLog } from './file-log.js';
import { createHoodSandboxHandler, type HoodSandboxHandler } from './hood-sandbox.js';
import { closeServer, HOST, listen, sendJson } from './http.js';
import { countHoodCalls, type LiveCounts, newLiveCounts, OUTCOMES, observeOutcomes } from './live-counts.js';
import { sessionReplayKeyEnv, startSessionLedger } from './session-ledger.js';
import type { LocalState } from './state.js';

/**
 * The whole pipeline in one process, as `npm start` runs it: one HTTP server (webhook ingress through
 * the API Gateway adapter, the sandbox Hood, /healthz), the embedded SQS/SNS, the embedded ledger, and
 * CONSUMER_MAX_CONCURRENCY consumers driven by event source mappings on the block and bulk queues.
 */
export const SANDBOX_BASE_PATH = '/sandbox/v1/hood';
export const BATCH_SIZE = 10;
export const FUNCTION_TIMEOUT_MS = 60_000;
// AWS: queue visibility ≥ 6 × function timeout (serverless.yml uses 365 s). Locally it only matters when
// an invocation times out: a shorter visibility would hand its messages to a second poller mid-flight.
const VISIBILITY_TIMEOUT_SECONDS = 365;

export { HOST };

export interface Pipeline {
  origin: string;
  hoodUrl: string;
  queues: LocalQueues;
  consumerConfig: ConsumerConfig;
  /** The embedded ledger, for local.json (`why --local`). */
  ledger: LocalState['ledger'];
  consumers: Consumer[];
  esm: EventSourceMapping;
  sqs: SQSClient;
  webhooks: { enabled: string[]; disabled: string[] };
  /** Per invocation, as the Lambda publishes them: the stop summary. */
  totals: Record<Outcome, number>;
  /** Per record, as each is decided: the live status line. */
  live: LiveCounts;
  webhookStatus: Record<number, number>;
  stop(): Promise<StopSummary>;
}

export interface StopSummary {
  event: 'stopped';
  drained: boolean;
  /** Shadow mode (HOOD_DRY_RUN=true): nothing was sent to Hood; `would_block` counts what would have been. */
  dryRun: boolean;
  counts: Record<Outcome | 'would_block', number>;
  /** Messages finished for good: blocked (or would block), already blocked, duplicates, ignored, dead-lettered. */
  done: number;
  /** The block queue. */
  remaining: QueueDepth & { total: number };
  deadLetterQueue: QueueDepth & { total: number };
  /** The bulk queue (imports, backfills) and its dead-letter queue. */
  bulkRemaining: QueueDepth & { total: number };
  bulkDeadLetterQueue: QueueDepth & { total: number };
  webhooks: { requests: number; byStatus: Record<number, number> };
  invocations: ReturnType<EventSourceMapping['stats']>;
}

export async function startPipeline(options: {
  port: number;
  /** Called with the provider of every webhook request answered other than 404 (dev/source-activity.ts). */
  onWebhookRequest?: (provider: string) => void;
  /** Called with the source of every record AWS would have put on the queue itself (SES raw delivery, …). */
  onSourceEvent?: (source: string) => void;
  sandbox: boolean;
  sandboxToken: string | undefined;
  /** The consumer's HOOD_MAX_ATTEMPTS: the block queue's redrive maxReceiveCount, as in serverless.yml. */
  maxReceiveCount: number;
  envFor: (urls: { hoodUrl: string; queues?: LocalQueues }) => Env;
  log: FileLog;
  undo: Array<() => Promise<void> | void>;
}): Promise<Pipeline> {
  const { undo, log } = options;
  // The HTTP server first: a port in use is the likeliest failure and costs nothing to detect.
  let routes: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (routes) routes(req, res);
    else sendJson(res, 503, { error: 'starting' });
  });
  const origin = await listen(server, options.port);
  undo.push(() => closeServer(server));

  const queues = await startQueuesQuietly({
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    maxReceiveCount: options.maxReceiveCount,
  });
  undo.push(() => queues.stop());
  const sandboxUrl = `${origin}${SANDBOX_BASE_PATH}`;
  // The ledger embedded (dynalite, a key for this session) unless LEDGER_TABLE points elsewhere.
  const sessionLedger = await startSessionLedger(options.envFor({ hoodUrl: sandboxUrl, queues }));
  if (sessionLedger) undo.push(() => sessionLedger.dynamo.stop());
  const baseEnv = { ...options.envFor({ hoodUrl: sandboxUrl, queues }), ...sessionLedger?.env };
  const env = { ...baseEnv, ...sessionReplayKeyEnv(baseEnv) };
  const consumerConfig = loadConsumerConfig(env);
  const webhookConfig = loadWebhookConfig(env);
  const hoodUrl = consumerConfig.hood.apiUrl;

  let sandboxHandler: HoodSandboxHandler | undefined;
  if (options.sandbox) {
    sandboxHandler = createHoodSandboxHandler({
      basePath: SANDBOX_BASE_PATH,
      token: options.sandboxToken,
      rateLimits: consumerConfig.hood.rateLimits,
    });
    undo.push(() => sandboxHandler!.dispose());
  }

  const newSqs = () => sqsClientFor(queues);
  const sqs = newSqs();
  undo.push(() => sqs.destroy());

  const webhookStatus: Record<number, number> = {};
  // This server is the local gateway: the URL Twilio/Mandrill signed comes from its Host / X-Forwarded-Proto.
  const webhook: WebhookLambdaHandler = createWebhookHandler({
    config: webhookConfig,
    sqsClient: sqs,
    logger: log.logger('webhook'),
    trustForwardedHeaders: true,
  });
  let draining = false;
  routes = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === '/healthz') {
      req.resume();
      sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok' });
      return;
    }
    if (sandboxHandler && url.pathname.startsWith('/sandbox/') && sandboxHandler(req, res)) return;
    const match = /^\/webhooks\/([^/]+)\/?$/u.exec(url.pathname);
    if (match) {
      if (draining) {
        // 503 makes a provider retry later instead of losing the event to a pipeline that is going away.
        req.resume();
        webhookStatus[503] = (webhookStatus[503] ?? 0) + 1;
        sendJson(res, 503, { error: 'unavailable', reason: 'shutting_down' }, { 'retry-after': '30' });
        return;
      }
      void serveWebhook(req, res, url, match[1]!, webhook, webhookConfig.maxBodyBytes).then((status) => {
        webhookStatus[status] = (webhookStatus[status] ?? 0) + 1;
        // A source's last request (`check --local` last-seen), whatever was answered except an unknown route.
        if (status !== 404) options.onWebhookRequest?.(match[1]!);
      });
      return;
    }
    req.resume();
    sendJson(res, 404, {
      error: 'not_found',
      routes: [
        'POST /webhooks/{provider}',
        'GET /healthz',
        ...(sandboxHandler ? [`${SANDBOX_BASE_PATH}/blocked-contacts`] : []),
      ],
    });
  };

  const totals = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  // Shadow mode: would-be blocks (the consumer counts them apart from `blocked`, which means Hood's 201).
  let wouldBlock = 0;
  const live = newLiveCounts();
  const consumers: Consumer[] = [];
  for (let i = 0; i < consumerConfig.hood.consumerMaxConcurrency; i += 1) {
    // One instance per poller, like one Lambda container each: own pacer share, ledger and Hood pool.
    const consumer = await createConsumer(consumerConfig, {
      logger: observeOutcomes(log.logger('consumer', { consumer: i }), live),
      sqs: newSqs(),
      publishCounts: (counts) => {
        for (const o of OUTCOMES) totals[o] += counts[o] ?? 0;
        wouldBlock += counts.dry_run_blocked ?? 0;
      },
      // The Lambda's EMF documents (latency, parallel cap) go to CloudWatch through stdout; here stdout is
      // the operator's terminal (or `start --json`'s one document per line): the counts above are the numbers.
      publishLatency: () => undefined,
      publishParallel: () => undefined,
      // `source_events` on a stack: here the source's last-seen for `check --local`, as a webhook request is.
      publishSources: (counts) => {
        for (const source of Object.keys(counts)) options.onSourceEvent?.(source);
      },
    });
    countHoodCalls(consumer, live);
    consumers.push(consumer);
  }
  undo.push(async () => {
    await Promise.all(consumers.map((c) => c.close().catch(() => undefined)));
  });
  const esmLog = log.logger('event-source-mapping');
  const esmSqs = newSqs();
  undo.push(() => esmSqs.destroy());
  // One event source mapping per queue over the same consumers, as the stack has.
  const mapping = (queueUrl: string, queueArn: string, finished: string) =>
    startEventSourceMapping({
      sqs: esmSqs,
      queueUrl,
      queueArn,
      region: queues.region,
      handlers: consumers.map((c) => (event, context) => c.handle(event, context)),
      batchSize: BATCH_SIZE,
      timeoutMs: FUNCTION_TIMEOUT_MS,
      onInvocation: (i) => {
        const level = i.outcome === 'error' || i.outcome === 'timeout' ? 'error' : 'debug';
        esmLog[level](finished, { ...i });
      },
    });
  const esm = mapping(queues.blockQueueUrl, queues.blockQueueArn, 'Invocation finished');
  undo.push(() => esm.stop());
  // The bulk queue (imports, backfills) gets its own pollers over the same consumers, as the stack gives
  // it its own event source mapping on the same function: bulk work shares each consumer's pacer (and so
  // the account's budget) instead of adding Hood calls beside the live ones.
  const bulkEsm = mapping(queues.bulkQueueUrl, queues.bulkQueueArn, 'Bulk invocation finished');
  undo.push(() => bulkEsm.stop());

  const webhooks = {
    enabled: WEBHOOK_PROVIDERS.filter((p) => isEnabled(p, webhookConfig)),
    disabled: WEBHOOK_PROVIDERS.filter((p) => !isEnabled(p, webhookConfig)),
  };

  const pipeline: Pipeline = {
    ledger: sessionLedger?.state,
    origin,
    hoodUrl,
    queues,
    consumerConfig,
    consumers,
    esm,
    sqs,
    webhooks,
    totals,
    live,
    webhookStatus,
    async stop() {
      draining = true;
      await Promise.all([esm.stop(), bulkEsm.stop()]);
      const [remaining, dlq, bulkRemaining, bulkDlq] = await Promise.all([
        depthWithTotal(sqs, queues.blockQueueUrl),
        depthWithTotal(sqs, queues.deadLetterQueueUrl),
        depthWithTotal(sqs, queues.bulkQueueUrl),
        depthWithTotal(sqs, queues.bulkDeadLetterQueueUrl),
      ]);
      const stats = bothStats(esm.stats(), bulkEsm.stats());
      const counts = { ...totals, would_block: wouldBlock };
      return {
        event: 'stopped',
        drained: stats.inFlight === 0,
        dryRun: consumerConfig.hood.dryRun,
        counts,
        done:
          counts.blocked +
          counts.would_block +
          counts.already_blocked +
          counts.deduplicated +
          counts.ignored +
          counts.dead_lettered,
        remaining,
        deadLetterQueue: dlq,
        bulkRemaining,
        bulkDeadLetterQueue: bulkDlq,
        webhooks: { requests: Object.values(webhookStatus).reduce((a, b) => a + b, 0), byStatus: { ...webhookStatus } },
        invocations: stats,
      };
    },
  };
  return pipeline;
}

/** fauxqs loads node:sqlite, which prints an ExperimentalWarning on Node 22; it is noise for the user. */
async function startQueuesQuietly(options: Parameters<typeof startLocalQueues>[0]): Promise<LocalQueues> {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite/iu.test(text)) return;
    (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await startLocalQueues(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/node:sqlite/u.test(message)) {
      // fauxqs keeps its queues in node:sqlite, which this Node.js does not have (22.5+, unflagged in 22.13).
      throw new Error(
        `the embedded SQS needs Node.js ≥ 22.13 (node:sqlite); this is ${process.versions.node}. "npm start" runs the Node.js 22 that "npm ci" installs (devDependency "node"); or use a newer node.`,
      );
    }
    throw new Error(`the embedded SQS could not start: ${message}`);
  } finally {
    process.emitWarning = original;
  }
}

async function depthWithTotal(sqs: SQSClient, queueUrl: string): Promise<QueueDepth & { total: number }> {
  const d = await readQueueDepth(sqs, queueUrl);
  return { ...d, total: d.visible + d.inFlight + d.delayed };
}

/** The block and bulk event source mappings' counts together: the stop summary covers both lanes. */
function bothStats(
  a: ReturnType<EventSourceMapping['stats']>,
  b: ReturnType<EventSourceMapping['stats']>,
): ReturnType<EventSourceMapping['stats']> {
  const sum = { ...a };
  for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += b[key];
  return sum;
}
