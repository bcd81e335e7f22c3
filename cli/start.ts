import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createWebhookHandler, type WebhookLambdaHandler } from '../lib/webhook/lambda.js';
import { type ConsumerConfig, type Env, loadConsumerConfig, loadWebhookConfig, type RateWindow } from '../lib/config.js';
import { type Consumer, createConsumer } from '../lib/consumer/consumer.js';
import type { Outcome } from '../lib/consumer/process-batch.js';
import { startSessionLedger } from '../lib/ledger/open.js';
import { type LocalQueues, startLocalQueues } from '../lib/local/emulator.js';
import { type EventSourceMapping, startEventSourceMapping } from '../lib/local/esm.js';
import {
  acquireStartLock,
  DEFAULT_STATE_DIR,
  ensureStateDir,
  type LocalState,
  logFilePath,
  removeLocalState,
  rotateLog,
  stateFilePath,
  writeLocalState,
} from '../lib/local/state.js';
import { createHoodSandboxHandler, type HoodSandboxHandler } from '../lib/sandbox/hood-server.js';
import { isEnabled, WEBHOOK_PROVIDERS } from '../lib/webhook/ingress.js';
import { type CliIo, parseArgs, UsageError } from './main.js';
import { type ComponentLog, type FileLog, openFileLog } from './shared/log.js';
import { clearLine, formatRate, isTty, rewriteLine, steadyRatePerMinute, table, writeJson, writeLine } from './shared/output.js';
import { type QueueDepth, readQueueDepth } from './shared/queues.js';

export const HELP = `Usage: hood-blocker start [options]        (npm start = build + this)

Runs the whole pipeline on this machine, in one process, without an AWS account:
  - an embedded SQS + SNS (fauxqs, in memory): block queue, dead-letter queue (redrive policy), and an SNS
    topic delivering raw to the block queue (the SES → SNS → SQS path)
  - the webhook ingress at http://127.0.0.1:PORT/webhooks/{provider}
  - the consumer: CONSUMER_MAX_CONCURRENCY pollers (default 2), batch 10, 60 s timeout, like the Lambda
    event source mapping
  - a sandbox Hood at http://127.0.0.1:PORT/sandbox/v1/hood with the real paths, limits and answers,
    unless HOOD_API_TOKEN (or HOOD_API_TOKEN_PARAMETER) is set: then the consumer calls the real Hood
    (HOOD_API_URL) and every contact you send is really blocked

Provider secrets come from the environment (a provider without its secret answers 404);
GENERIC_WEBHOOK_TOKEN is generated and printed when unset (one you set is never printed). Logs go to
.hood-blocker/local.log; the previous runs' logs are kept as local.log.1 to local.log.3. One pipeline per
state directory: a second "start" there refuses and names the running one (pid, port).
Ctrl-C stops polling, lets in-flight batches finish, and prints a summary; a second Ctrl-C stops at once.
The queues live in memory: whatever is still queued when it stops is gone.

Options:
  --port N            listen on 127.0.0.1:N (default: PORT, else 3000; 0 = any free port)
  --state-dir DIR     where local.json and local.log go (default .hood-blocker)
  --verbose           also print the log lines
  --json              machine-readable: one JSON line when ready, a status line every 10 s, one when stopped
  -h, --help          this help

Exit codes: 0 stopped cleanly · 1 could not start (port in use, bad configuration, Node.js too old) ·
130 stopped at once by a second Ctrl-C`;

const DEFAULT_PORT = 3000;
const HOST = '127.0.0.1';
const SANDBOX_BASE_PATH = '/sandbox/v1/hood';
const BATCH_SIZE = 10;
const FUNCTION_TIMEOUT_MS = 60_000;
// AWS: queue visibility ≥ 6 × function timeout (serverless.yml uses 365 s). Locally it only matters when
// an invocation times out: a shorter visibility would hand its messages to a second poller mid-flight.
const VISIBILITY_TIMEOUT_SECONDS = 365;
const TTY_STATUS_INTERVAL_MS = 1000;
const PLAIN_STATUS_INTERVAL_MS = 10_000;
// Under `npm start` one Ctrl-C arrives twice: from the terminal and forwarded by npm
// (@npmcli/run-script's signal manager). Only a press this much later counts as the second one.
const SECOND_SIGNAL_AFTER_MS = 1000;
const SIGINT_EXIT_CODE = 130;
const OUTCOMES: readonly Outcome[] = ['blocked', 'already_blocked', 'deduplicated', 'ignored', 'dead_lettered', 'retried', 'rate_limited', 'unauthorized', 'deferred'];

interface StartInfo {
  event: 'ready';
  pid: number;
  webhookUrl: string;
  webhooks: { enabled: string[]; disabled: string[] };
  /** Only when generated here; null when the user supplied GENERIC_WEBHOOK_TOKEN (never echoed). */
  genericWebhookToken: string | null;
  genericWebhookTokenGenerated: boolean;
  hood: { sandbox: boolean; url: string; listUrl: string | null; token: string | null; rateLimits: string; ratePerMinute: number; dryRun: boolean };
  sqs: LocalState['sqs'];
  consumers: number;
  healthUrl: string;
  stateFile: string;
  logFile: string;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      'state-dir': { type: 'string' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  const port = parsePort(values.port ?? io.env.PORT, values.port !== undefined ? '--port' : 'PORT');
  const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
  const json = values.json === true;

  const sandbox = !io.env.HOOD_API_TOKEN?.trim() && !io.env.HOOD_API_TOKEN_PARAMETER?.trim();
  const givenGenericToken = io.env.GENERIC_WEBHOOK_TOKEN?.trim();
  const genericToken = givenGenericToken || randomBytes(24).toString('base64url');
  const sandboxToken = sandbox ? `sandbox-${randomBytes(16).toString('hex')}` : undefined;

  // Configuration mistakes surface before anything starts (placeholders stand in for what the running
  // pipeline fills in: its own URLs).
  const envFor = (urls: { hoodUrl: string; queues?: LocalQueues }): Env => ({
    ...io.env,
    GENERIC_WEBHOOK_TOKEN: genericToken,
    ...(sandbox ? { HOOD_API_URL: urls.hoodUrl, HOOD_API_TOKEN: sandboxToken } : {}),
    BLOCK_QUEUE_URL: urls.queues?.blockQueueUrl ?? 'http://127.0.0.1:1/000000000000/placeholder-block',
    DEAD_LETTER_QUEUE_URL: urls.queues?.deadLetterQueueUrl ?? 'http://127.0.0.1:1/000000000000/placeholder-dlq',
    BULK_QUEUE_URL: urls.queues?.bulkQueueUrl ?? 'http://127.0.0.1:1/000000000000/placeholder-bulk',
    BULK_DEAD_LETTER_QUEUE_URL: urls.queues?.bulkDeadLetterQueueUrl ?? 'http://127.0.0.1:1/000000000000/placeholder-bulk-dlq',
    AWS_ENDPOINT_URL_SQS: urls.queues?.endpoint ?? 'http://127.0.0.1:1',
    AWS_REGION: urls.queues?.region ?? 'us-east-1',
  });
  let maxReceiveCount: number;
  try {
    maxReceiveCount = loadConsumerConfig(envFor({ hoodUrl: `http://${HOST}${SANDBOX_BASE_PATH}` })).hood.maxAttempts;
    loadWebhookConfig(envFor({ hoodUrl: `http://${HOST}${SANDBOX_BASE_PATH}` }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), 1);
  }

  ensureStateDir(stateDir);
  // Before the log or the state file is touched: a second start here must leave the first one intact.
  const lock = acquireStartLock(stateDir);
  if (!lock.ok) throw new UsageError(lock.message, 1);
  rotateLog(logFilePath(stateDir));
  const terminal = new Terminal(io, json);
  const log = openFileLog(logFilePath(stateDir), values.verbose ? (line) => terminal.above(io.stderr, line) : undefined);
  const startLog = log.logger('start');
  const undo: Array<() => Promise<void> | void> = [() => lock.release(), () => log.close()];
  const rollback = async () => {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
  };

  let pipeline: Pipeline;
  try {
    pipeline = await startPipeline({ port, sandbox, sandboxToken, maxReceiveCount, envFor, log, undo });
  } catch (error) {
    await rollback();
    throw error instanceof UsageError ? error : new UsageError(error instanceof Error ? error.message : String(error), 1);
  }
  const { queues, origin } = pipeline;

  const info: StartInfo = {
    event: 'ready',
    pid: process.pid,
    webhookUrl: `${origin}/webhooks`,
    webhooks: pipeline.webhooks,
    genericWebhookToken: givenGenericToken ? null : genericToken,
    genericWebhookTokenGenerated: !givenGenericToken,
    hood: {
      sandbox,
      url: pipeline.hoodUrl,
      listUrl: sandbox ? `${pipeline.hoodUrl}/blocked-contacts?read_gdpr_fields=true` : null,
      token: sandboxToken ?? null,
      rateLimits: formatWindows(pipeline.consumerConfig.hood.rateLimits),
      ratePerMinute: steadyRatePerMinute(pipeline.consumerConfig.hood.rateLimits),
      dryRun: pipeline.consumerConfig.hood.dryRun,
    },
    sqs: {
      endpoint: queues.endpoint,
      region: queues.region,
      blockQueueUrl: queues.blockQueueUrl,
      blockQueueArn: queues.blockQueueArn,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      deadLetterQueueArn: queues.deadLetterQueueArn,
      sesTopicArn: queues.sesTopicArn,
      bulkQueueUrl: queues.bulkQueueUrl,
      bulkQueueArn: queues.bulkQueueArn,
      bulkDeadLetterQueueUrl: queues.bulkDeadLetterQueueUrl,
      bulkDeadLetterQueueArn: queues.bulkDeadLetterQueueArn,
    },
    consumers: pipeline.consumers.length,
    healthUrl: `${origin}/healthz`,
    stateFile: stateFilePath(stateDir),
    logFile: log.path,
  };
  writeLocalState(stateDir, {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    sqs: info.sqs,
    webhookUrl: info.webhookUrl,
    ...(givenGenericToken ? {} : { genericWebhookToken: genericToken }),
    hood: {
      sandbox,
      url: pipeline.hoodUrl,
      ...(sandboxToken ? { token: sandboxToken, listUrl: info.hood.listUrl! } : {}),
      dryRun: info.hood.dryRun,
    },
    logFile: log.path,
    ...(pipeline.ledger ? { ledger: pipeline.ledger } : {}),
  });
  undo.push(() => removeLocalState(stateDir));
  startLog.info('Local pipeline ready', {
    webhookUrl: info.webhookUrl,
    hoodUrl: info.hood.url,
    sandbox,
    sqsEndpoint: queues.endpoint,
    consumers: info.consumers,
    rateLimits: info.hood.rateLimits,
  });

  if (json) writeJson(io.stdout, info);
  else printStartInfo(io, info);

  const status = new StatusReporter(pipeline, terminal, json, io);
  status.start();

  return new Promise<number>((resolve) => {
    let stopping: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping !== undefined) {
        if (Date.now() - stopping < SECOND_SIGNAL_AFTER_MS) return;
        terminal.above(io.stderr, `${signal} again: stopping at once; in-flight work is abandoned (the queues were in memory).`);
        // Synchronous clean-up only: the state file must not point --local commands at a dead pipeline,
        // and a lock left behind could name a pid the system later gives to another process.
        removeLocalState(stateDir);
        lock.release();
        process.exit(SIGINT_EXIT_CODE);
      }
      stopping = Date.now();
      void (async () => {
        status.stop();
        startLog.info('Stopping: draining in-flight invocations', { signal });
        const inFlight = pipeline.esm.stats().inFlight;
        if (!json) {
          writeLine(
            io.stdout,
            `\n${signal}: stopping. No new polls; waiting for ${inFlight} in-flight ${inFlight === 1 ? 'invocation' : 'invocations'} to finish (Ctrl-C again to stop at once)…`,
          );
        }
        const summary = await pipeline.stop();
        startLog.info('Stopped', { ...summary.counts, remaining: summary.remaining.total, deadLetters: summary.deadLetterQueue.total });
        if (json) writeJson(io.stdout, summary);
        else printSummary(io, summary);
        await rollback();
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        // Every handle is closed by now; this only guards against a stray socket keeping a stopped
        // pipeline alive. Unref'd, so it never delays a clean exit.
        setTimeout(() => process.exit(0), 3000).unref();
        resolve(0);
      })().catch((error: unknown) => {
        writeLine(io.stderr, `hood-blocker start: stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

interface Pipeline {
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

interface StopSummary {
  event: 'stopped';
  drained: boolean;
  counts: Record<Outcome, number>;
  /** Messages finished for good: blocked, already blocked, duplicates, ignored, dead-lettered. */
  done: number;
  remaining: QueueDepth & { total: number };
  deadLetterQueue: QueueDepth & { total: number };
  webhooks: { requests: number; byStatus: Record<number, number> };
  invocations: ReturnType<EventSourceMapping['stats']>;
}

async function startPipeline(options: {
  port: number;
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

  const queues = await startQueuesQuietly({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS, maxReceiveCount: options.maxReceiveCount });
  undo.push(() => queues.stop());
  const sandboxUrl = `${origin}${SANDBOX_BASE_PATH}`;
  // The ledger embedded (dynalite, a key for this session) unless LEDGER_TABLE points elsewhere.
  const sessionLedger = await startSessionLedger(options.envFor({ hoodUrl: sandboxUrl, queues }));
  if (sessionLedger) undo.push(() => sessionLedger.dynamo.stop());
  const env = { ...options.envFor({ hoodUrl: sandboxUrl, queues }), ...sessionLedger?.env };
  const consumerConfig = loadConsumerConfig(env);
  const webhookConfig = loadWebhookConfig(env);
  const hoodUrl = consumerConfig.hood.apiUrl;

  let sandboxHandler: HoodSandboxHandler | undefined;
  if (options.sandbox) {
    sandboxHandler = createHoodSandboxHandler({ basePath: SANDBOX_BASE_PATH, token: options.sandboxToken, rateLimits: consumerConfig.hood.rateLimits });
    undo.push(() => sandboxHandler!.dispose());
  }

  const newSqs = () => new SQSClient({ region: queues.region, endpoint: queues.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 });
  const sqs = newSqs();
  undo.push(() => sqs.destroy());

  const webhookStatus: Record<number, number> = {};
  // This server is the local gateway: the URL Twilio/Mandrill signed comes from its Host / X-Forwarded-Proto.
  const webhook: WebhookLambdaHandler = createWebhookHandler({ config: webhookConfig, sqsClient: sqs, logger: log.logger('webhook'), trustForwardedHeaders: true });
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
      });
      return;
    }
    req.resume();
    sendJson(res, 404, {
      error: 'not_found',
      routes: ['POST /webhooks/{provider}', 'GET /healthz', ...(sandboxHandler ? [`${SANDBOX_BASE_PATH}/blocked-contacts`] : [])],
    });
  };

  const totals = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const live = newLiveCounts();
  const consumers: Consumer[] = [];
  for (let i = 0; i < consumerConfig.hood.consumerMaxConcurrency; i += 1) {
    // One instance per poller, like one Lambda container each: own pacer share, ledger and Hood pool.
    const consumer = await createConsumer(consumerConfig, {
      logger: observeOutcomes(log.logger('consumer', { consumer: i }), live),
      sqs: newSqs(),
      publishCounts: (counts) => {
        for (const o of OUTCOMES) totals[o] += counts[o] ?? 0;
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
  const esm = startEventSourceMapping({
    sqs: esmSqs,
    queueUrl: queues.blockQueueUrl,
    queueArn: queues.blockQueueArn,
    region: queues.region,
    handlers: consumers.map((c) => (event, context) => c.handle(event, context)),
    batchSize: BATCH_SIZE,
    timeoutMs: FUNCTION_TIMEOUT_MS,
    onInvocation: (i) => {
      const level = i.outcome === 'error' || i.outcome === 'timeout' ? 'error' : 'debug';
      esmLog[level]('Invocation finished', { ...i });
    },
  });
  undo.push(() => esm.stop());
  // The bulk queue (imports, backfills) gets its own pollers over the same consumers, as the stack gives
  // it its own event source mapping on the same function: bulk work shares each consumer's pacer (and so
  // the account's budget) instead of adding Hood calls beside the live ones.
  const bulkEsm = startEventSourceMapping({
    sqs: esmSqs,
    queueUrl: queues.bulkQueueUrl,
    queueArn: queues.bulkQueueArn,
    region: queues.region,
    handlers: consumers.map((c) => (event, context) => c.handle(event, context)),
    batchSize: BATCH_SIZE,
    timeoutMs: FUNCTION_TIMEOUT_MS,
    onInvocation: (i) => {
      const level = i.outcome === 'error' || i.outcome === 'timeout' ? 'error' : 'debug';
      esmLog[level]('Bulk invocation finished', { ...i });
    },
  });
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
      const [remaining, dlq] = await Promise.all([depthWithTotal(sqs, queues.blockQueueUrl), depthWithTotal(sqs, queues.deadLetterQueueUrl)]);
      const stats = esm.stats();
      const counts = { ...totals };
      return {
        event: 'stopped',
        drained: stats.inFlight === 0,
        counts,
        done: counts.blocked + counts.already_blocked + counts.deduplicated + counts.ignored + counts.dead_lettered,
        remaining,
        deadLetterQueue: dlq,
        webhooks: { requests: Object.values(webhookStatus).reduce((a, b) => a + b, 0), byStatus: { ...webhookStatus } },
        invocations: stats,
      };
    },
  };
  return pipeline;
}

/** Node request → API Gateway HTTP API (v2) event → the Lambda's own handler → Node response. */
async function serveWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  provider: string,
  handler: WebhookLambdaHandler,
  maxBodyBytes: number,
): Promise<number> {
  try {
    const body = await readLimited(req, maxBodyBytes);
    const headers: Record<string, string> = {};
    // API Gateway joins repeated headers with commas and lower-cases names; so do we.
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      headers[name] = headers[name] === undefined ? req.rawHeaders[i + 1]! : `${headers[name]},${req.rawHeaders[i + 1]!}`;
    }
    // This server speaks plain HTTP; without this the ingress would assume https when rebuilding the URL
    // that Twilio and Mandrill sign. A tunnel (ngrok, cloudflared) sets the header itself.
    headers['x-forwarded-proto'] ??= 'http';
    const method = req.method ?? 'GET';
    const event = {
      version: '2.0',
      routeKey: 'ANY /webhooks/{provider}',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/u, ''),
      headers,
      pathParameters: { provider: decodeURIComponent(provider) },
      body: body.toString('base64'),
      isBase64Encoded: true,
      requestContext: {
        http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
        domainName: headers.host ?? HOST,
        requestId: '',
        routeKey: 'ANY /webhooks/{provider}',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
    } as unknown as APIGatewayProxyEventV2;
    const out = await handler(event);
    const status = out.statusCode ?? 200;
    const responseHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.headers ?? {})) responseHeaders[k] = String(v);
    const text = out.body ?? '';
    res.writeHead(status, { ...responseHeaders, 'content-length': String(Buffer.byteLength(text)) });
    res.end(method === 'HEAD' ? undefined : text);
    return status;
  } catch (error) {
    if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', detail: error instanceof Error ? error.message : String(error) });
    return 500;
  }
}

/** Reads the body, keeping at most limit+1 bytes: enough for the ingress to answer 413, never more. */
async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size <= limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}


const PROVIDER_SECRET: Record<string, string> = {
  sendgrid: 'SENDGRID_WEBHOOK_PUBLIC_KEY',
  twilio: 'TWILIO_AUTH_TOKEN',
  mailgun: 'MAILGUN_WEBHOOK_SIGNING_KEY',
  mandrill: 'MANDRILL_WEBHOOK_KEY',
  resend: 'RESEND_WEBHOOK_SECRET',
  vonage: 'VONAGE_SIGNATURE_SECRET',
  postmark: 'POSTMARK_WEBHOOK_BASIC_AUTH or WEBHOOK_BASIC_AUTH',
  brevo: 'BREVO_WEBHOOK_BASIC_AUTH or WEBHOOK_BASIC_AUTH',
  sparkpost: 'SPARKPOST_WEBHOOK_BASIC_AUTH or WEBHOOK_BASIC_AUTH',
  sns: 'SNS_TOPIC_ARNS',
};

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

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.close();
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${HOST} is in use: stop whatever runs there, or choose another port with --port N (or PORT=N)`));
      else if (error.code === 'EACCES') reject(new Error(`not allowed to listen on port ${port}: choose a port above 1024 with --port N`));
      else reject(new Error(`cannot listen on ${HOST}:${port}: ${error.message}`));
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve(`http://${HOST}:${(server.address() as AddressInfo).port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

async function depthWithTotal(sqs: SQSClient, queueUrl: string): Promise<QueueDepth & { total: number }> {
  const d = await readQueueDepth(sqs, queueUrl);
  return { ...d, total: d.visible + d.inFlight + d.delayed };
}

function parsePort(value: string | undefined, source: string): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`${source} "${value}" is not a port number (0–65535; 0 = any free port)`);
  return n;
}

function formatWindows(windows: readonly RateWindow[]): string {
  return windows
    .map((w) => (w.windowMs % 60_000 === 0 ? `${w.count}/${w.windowMs / 60_000}m` : w.windowMs % 1000 === 0 ? `${w.count}/${w.windowMs / 1000}s` : `${w.count}/${w.windowMs}ms`))
    .join(',');
}

/** Owns the live status line so that other output (verbose logs, messages) is printed above it. */
class Terminal {
  private live = '';
  readonly tty: boolean;
  constructor(
    private readonly io: CliIo,
    json: boolean,
  ) {
    this.tty = !json && isTty(io.stdout);
  }

  status(text: string): void {
    if (!this.tty) return;
    this.live = text;
    rewriteLine(this.io.stdout, text);
  }

  above(stream: NodeJS.WritableStream, line: string): void {
    if (this.tty && this.live) clearLine(this.io.stdout);
    writeLine(stream, line);
    if (this.tty && this.live) rewriteLine(this.io.stdout, this.live);
  }

  endStatus(): void {
    if (this.tty && this.live) writeLine(this.io.stdout);
    this.live = '';
  }
}

/**
 * Counts kept per record, as the consumers decide them, so that the status line moves with every
 * contact rather than once per batch of ten. Read from the consumers' structured log lines (each
 * per-record line carries its `outcome`, the same field CloudWatch Logs Insights queries use).
 */
export interface LiveCounts {
  outcomes: Record<Outcome, number>;
  /** Hood create calls started (what the account's rate limit counts). */
  hoodCalls: number;
  /** Start times of the Hood calls of the last minute. */
  recentCalls: number[];
  /** Called after every change; the status line redraws (throttled). */
  onChange?: () => void;
}

export function newLiveCounts(): LiveCounts {
  return { outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>, hoodCalls: 0, recentCalls: [] };
}

const OUTCOME_SET = new Set<string>(OUTCOMES);

export function observeOutcomes<L extends ComponentLog>(logger: L, live: LiveCounts): L {
  const wrap =
    (write: ComponentLog['info']): ComponentLog['info'] =>
    (message, fields) => {
      write(message, fields);
      const outcome = fields?.outcome;
      if (typeof outcome === 'string' && OUTCOME_SET.has(outcome)) {
        live.outcomes[outcome as Outcome] += 1;
        live.onChange?.();
      }
    };
  return { ...logger, debug: wrap(logger.debug), info: wrap(logger.info), warn: wrap(logger.warn), error: wrap(logger.error) };
}

/**
 * The rate shown is measured where Hood's limit applies: every call the consumer's pacer starts. (A
 * count of finished batches overstates it: ten contacts land at the end of a batch at once.)
 */
export function countHoodCalls(consumer: Pick<Consumer, 'pacer'>, live: LiveCounts, now: () => number = Date.now): void {
  const pacer = consumer.pacer;
  const acquire = pacer.acquire.bind(pacer);
  // A slot handed out is a call about to start (whichever limiter: static shares or the shared table).
  pacer.acquire = async (latestStart, sleep) => {
    const ticket = await acquire(latestStart, sleep);
    if (ticket) {
      live.hoodCalls += 1;
      live.recentCalls.push(now());
      live.onChange?.();
    }
    return ticket;
  };
}

export function callsInLastMinute(live: LiveCounts, now: number): number {
  const cutoff = now - 60_000;
  while (live.recentCalls.length > 0 && live.recentCalls[0]! <= cutoff) live.recentCalls.shift();
  return live.recentCalls.length;
}

export interface StatusSnapshot {
  event: 'status';
  /** Depths right now (SQS attributes, approximate). */
  now: { queued: number; inFlight: number; deadLetterQueue: number };
  /** Since this pipeline started, per record. */
  totals: { blocked: number; alreadyBlocked: number; ignored: number; deadLettered: number; hoodCalls: number };
  /** Hood calls started in the last 60 s. */
  hoodCallsPerMinute: number;
  limitPerMinute: number;
}

export function statusSnapshot(live: LiveCounts, depth: { block: QueueDepth; dlq: QueueDepth }, limitPerMinute: number, now: number): StatusSnapshot {
  const o = live.outcomes;
  return {
    event: 'status',
    now: {
      queued: depth.block.visible + depth.block.delayed,
      inFlight: depth.block.inFlight,
      deadLetterQueue: depth.dlq.visible + depth.dlq.inFlight + depth.dlq.delayed,
    },
    totals: { blocked: o.blocked, alreadyBlocked: o.already_blocked + o.deduplicated, ignored: o.ignored, deadLettered: o.dead_lettered, hoodCalls: live.hoodCalls },
    hoodCallsPerMinute: callsInLastMinute(live, now),
    limitPerMinute,
  };
}

export function formatStatus(s: StatusSnapshot): string {
  const t = s.totals;
  return (
    `now: ${s.now.queued} queued · ${s.now.inFlight} in flight · ${s.now.deadLetterQueue} in DLQ` +
    ` | total: ${t.blocked} blocked · ${t.alreadyBlocked} already · ${t.ignored} ignored · ${t.deadLettered} dead-lettered` +
    ` | Hood: ${t.hoodCalls} calls, ${s.hoodCallsPerMinute} in the last min (limit ${formatRate(s.limitPerMinute)})`
  );
}

// A redraw per record would flood a slow terminal at 10 calls/s; 10 redraws a second still reads per record.
const REDRAW_MS = 100;

/** The status line: depths polled every second (TTY) or 10 s, counts redrawn as every record is decided. */
class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private redraw: NodeJS.Timeout | undefined;
  private busy = false;
  private depth: { block: QueueDepth; dlq: QueueDepth } | undefined;
  constructor(
    private readonly pipeline: Pipeline,
    private readonly terminal: Terminal,
    private readonly json: boolean,
    private readonly io: CliIo,
  ) {}

  start(): void {
    const interval = this.terminal.tty ? TTY_STATUS_INTERVAL_MS : PLAIN_STATUS_INTERVAL_MS;
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
    if (this.terminal.tty) {
      this.pipeline.live.onChange = () => {
        if (this.redraw !== undefined) return;
        this.redraw = setTimeout(() => {
          this.redraw = undefined;
          this.draw();
        }, REDRAW_MS);
        this.redraw.unref();
      };
      void this.tick();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.redraw);
    this.pipeline.live.onChange = undefined;
    this.terminal.endStatus();
  }

  private snapshot() {
    if (this.depth === undefined) return undefined;
    return statusSnapshot(this.pipeline.live, this.depth, steadyRatePerMinute(this.pipeline.consumerConfig.hood.rateLimits), Date.now());
  }

  private draw(): void {
    const s = this.snapshot();
    if (s !== undefined && this.terminal.tty) this.terminal.status(formatStatus(s));
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { sqs, queues } = this.pipeline;
      const [block, dlq] = await Promise.all([readQueueDepth(sqs, queues.blockQueueUrl), readQueueDepth(sqs, queues.deadLetterQueueUrl)]);
      this.depth = { block, dlq };
      const s = this.snapshot()!;
      if (this.json) writeJson(this.io.stdout, s);
      else if (this.terminal.tty) this.terminal.status(formatStatus(s));
      else writeLine(this.io.stdout, formatStatus(s));
    } catch {
      // The emulator is stopping or busy; the next tick tries again.
    } finally {
      this.busy = false;
    }
  }
}

function printStartInfo(io: CliIo, info: StartInfo): void {
  const out = (line = '') => writeLine(io.stdout, line);
  const cli = cliCommand();
  out(`hood-blocker is running locally (pid ${info.pid}). Ctrl-C drains in-flight work and stops; a second Ctrl-C stops at once.`);
  out();
  const disabled = info.webhooks.disabled.map((p) => `${p} (${PROVIDER_SECRET[p] ?? '?'})`);
  const rows: [string, string][] = [
    ['Webhooks', `${info.webhookUrl}/{provider}`],
    ['', `enabled: ${info.webhooks.enabled.join(', ')}`],
    ...(disabled.length > 0 ? ([['', `disabled until their secret is set: ${disabled.join(', ')}`]] as [string, string][]) : []),
    [
      'Hood',
      info.hood.sandbox
        ? `sandbox ${info.hood.url} (limits ${info.hood.rateLimits}, as HOOD_RATE_LIMITS)`
        : `REAL Hood at ${info.hood.url} (HOOD_API_TOKEN is set): contacts you send are really blocked`,
    ],
    ...(info.hood.dryRun ? ([['', 'SHADOW MODE (HOOD_DRY_RUN=true): decisions are logged and counted, nothing is sent to Hood']] as [string, string][]) : []),
    ...(info.hood.listUrl ? ([['', `blocked so far: ${info.hood.listUrl}`]] as [string, string][]) : []),
    ['SQS', `${info.sqs.endpoint} (in memory: gone when this stops)`],
    ['', `block queue   ${info.sqs.blockQueueUrl}`],
    ['', `dead letters  ${info.sqs.deadLetterQueueUrl}`],
    ['', `bulk queue    ${info.sqs.bulkQueueUrl} (imports; dead letters: ${info.sqs.bulkDeadLetterQueueUrl})`],
    ['', `SES topic     ${info.sqs.sesTopicArn} (raw delivery to the block queue)`],
    ['Consumer', `${info.consumers} pollers, batch ${BATCH_SIZE}, ${FUNCTION_TIMEOUT_MS / 1000} s timeout, at most ${formatRate(info.hood.ratePerMinute)} to Hood`],
    ['Logs', `${info.logFile} (--verbose prints them too)`],
    ['State', `${info.stateFile} (lets enqueue, dlq and check find this pipeline with --local)`],
  ];
  out(table(rows));
  out();
  // A token the user chose stays theirs: it is not echoed to a terminal (or its scrollback, or a CI log).
  const bearer = info.genericWebhookToken ?? '$GENERIC_WEBHOOK_TOKEN';
  if (info.genericWebhookToken !== null) out(`Generic webhook token (generated; set GENERIC_WEBHOOK_TOKEN to choose one): ${info.genericWebhookToken}`);
  else out('Generic webhook token: the one in GENERIC_WEBHOOK_TOKEN (not shown)');
  out();
  out('Block a contact through the generic webhook:');
  out(
    `  curl -sS -X POST ${info.webhookUrl}/generic -H "Authorization: Bearer ${bearer}" -H 'Content-Type: application/json' -d '{"contact":"jane@example.com","reason":"unsubscribe"}'`,
  );
  out(`Or sign a provider's sample event as the provider would: ${cli} send-test <provider> (see examples/)`);
  if (info.hood.listUrl && info.hood.token) {
    out('See what the sandbox Hood has blocked:');
    out(`  curl -sS '${info.hood.listUrl}' -H "Authorization: Bearer ${info.hood.token}"`);
  }
  out('Operate it like production:');
  out(`  ${cli} enqueue contacts.csv --local    ${cli} dlq list --local    ${cli} check --local`);
  out();
}

function printSummary(io: CliIo, s: StopSummary): void {
  const out = (line = '') => writeLine(io.stdout, line);
  const c = s.counts;
  const byStatus = Object.entries(s.webhooks.byStatus)
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ');
  out('Stopped.');
  out(
    table([
      ['webhooks', `${s.webhooks.requests} ${s.webhooks.requests === 1 ? 'request' : 'requests'}${byStatus ? ` (${byStatus})` : ''}`],
      ['blocked', `${c.blocked} new, ${c.already_blocked} already blocked, ${c.deduplicated} repeated contacts`],
      ['ignored', String(c.ignored)],
      ['dead-lettered', `${c.dead_lettered} by the consumer; the dead-letter queue held ${s.deadLetterQueue.total}`],
      ['retried', `${c.retried} after errors, ${c.rate_limited} after 429, ${c.deferred} deferred, ${c.unauthorized} held for the token`],
      ['still queued', `${s.remaining.total} (${s.remaining.visible} waiting, ${s.remaining.inFlight} backing off, ${s.remaining.delayed} delayed)`],
    ]),
  );
  out(
    s.drained
      ? `In-flight work drained: every received batch finished (${s.invocations.invocations} invocations).${s.remaining.total > 0 ? ' What was still queued lived in memory and is gone; send it again after the next start.' : ''}`
      : 'Some invocations had not finished.',
  );
}

/** In a clone, `npx` finds the package's own bin (and runs it on the Node.js of this shell's PATH). */
function cliCommand(): string {
  return 'npx hood-blocker';
}
