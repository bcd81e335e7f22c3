import { randomBytes } from 'node:crypto';
import { type Env, loadConsumerConfig, type RateWindow } from '../lib/config.js';
import { loadWebhookConfig } from '../lib/webhook/config.js';
import { secretHint } from '../lib/providers/index.js';
import { type QueueDepth, readQueueDepth } from '../lib/queue/sqs.js';
import { type LocalQueues, queuesForState } from '../dev/emulator.js';
import { openFileLog } from '../dev/file-log.js';
import { type StatusSnapshot, statusSnapshot } from '../dev/live-counts.js';
import {
  BATCH_SIZE,
  FUNCTION_TIMEOUT_MS,
  HOST,
  type Pipeline,
  SANDBOX_BASE_PATH,
  type StopSummary,
  startPipeline,
} from '../dev/pipeline.js';
import { SOURCE_NAMES } from '../lib/providers/index.js';
import { type ExpectedSource, parseExpectedSources, sourceRecorder } from '../dev/source-activity.js';
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
} from '../dev/state.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlags } from './shared/parse-command.js';
import {
  clearLine,
  formatRate,
  isTty,
  rewriteLine,
  steadyRatePerMinute,
  table,
  writeJson,
  writeLine,
} from './shared/output.js';

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
const TTY_STATUS_INTERVAL_MS = 1000;
const PLAIN_STATUS_INTERVAL_MS = 10_000;
// Under `npm start` one Ctrl-C arrives twice: from the terminal and forwarded by npm
// (@npmcli/run-script's signal manager). Only a press this much later counts as the second one.
const SECOND_SIGNAL_AFTER_MS = 1000;
const SIGINT_EXIT_CODE = 130;

interface StartInfo {
  event: 'ready';
  pid: number;
  webhookUrl: string;
  webhooks: { enabled: string[]; disabled: string[] };
  /** Only when generated here; null when the user supplied GENERIC_WEBHOOK_TOKEN (never echoed). */
  genericWebhookToken: string | null;
  genericWebhookTokenGenerated: boolean;
  hood: {
    sandbox: boolean;
    url: string;
    listUrl: string | null;
    token: string | null;
    rateLimits: string;
    ratePerMinute: number;
    dryRun: boolean;
  };
  sqs: LocalState['sqs'];
  consumers: number;
  /** The embedded ledger's endpoint and table (never its hash key); null when LEDGER_TABLE points elsewhere. */
  ledger: { endpoint: string; table: string } | null;
  healthUrl: string;
  stateFile: string;
  logFile: string;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, io, HELP, {
    port: { type: 'string' },
    'state-dir': { type: 'string' },
    verbose: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
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
    BULK_DEAD_LETTER_QUEUE_URL:
      urls.queues?.bulkDeadLetterQueueUrl ?? 'http://127.0.0.1:1/000000000000/placeholder-bulk-dlq',
    AWS_ENDPOINT_URL_SQS: urls.queues?.endpoint ?? 'http://127.0.0.1:1',
    AWS_REGION: urls.queues?.region ?? 'us-east-1',
  });
  let maxReceiveCount: number;
  let expectedSources: ExpectedSource[];
  try {
    maxReceiveCount = loadConsumerConfig(envFor({ hoodUrl: `http://${HOST}${SANDBOX_BASE_PATH}` })).hood.maxAttempts;
    loadWebhookConfig(envFor({ hoodUrl: `http://${HOST}${SANDBOX_BASE_PATH}` }));
    // EXPECTED_SOURCES=generic:5m,…: `check --local` says when one went quiet (dev/source-activity.ts).
    expectedSources = parseExpectedSources(io.env.EXPECTED_SOURCES, SOURCE_NAMES);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), 1);
  }

  ensureStateDir(stateDir);
  // Before the log or the state file is touched: a second start here must leave the first one intact.
  const lock = acquireStartLock(stateDir);
  if (!lock.ok) throw new UsageError(lock.message, 1);
  rotateLog(logFilePath(stateDir));
  const terminal = new Terminal(io, json);
  const log = openFileLog(
    logFilePath(stateDir),
    values.verbose ? (line) => terminal.above(io.stderr, line) : undefined,
  );
  const startLog = log.logger('start');
  const undo: Array<() => Promise<void> | void> = [() => lock.release(), () => log.close()];
  const rollback = async () => {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
  };

  let pipeline: Pipeline;
  try {
    // One recorder for both: webhook requests and records AWS would deliver to the queue itself (ses, …).
    const onWebhookRequest = sourceRecorder(stateDir);
    pipeline = await startPipeline({
      port,
      sandbox,
      sandboxToken,
      maxReceiveCount,
      envFor,
      log,
      undo,
      onWebhookRequest,
      onSourceEvent: onWebhookRequest,
    });
  } catch (error) {
    await rollback();
    throw error instanceof UsageError
      ? error
      : new UsageError(error instanceof Error ? error.message : String(error), 1);
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
    sqs: queuesForState(queues),
    consumers: pipeline.consumers.length,
    ledger: pipeline.ledger ? { endpoint: pipeline.ledger.endpoint, table: pipeline.ledger.table } : null,
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
    ...(expectedSources.length > 0 ? { expectedSources } : {}),
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
        terminal.above(
          io.stderr,
          `${signal} again: stopping at once; in-flight work is abandoned (the queues were in memory).`,
        );
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
        startLog.info('Stopped', {
          ...summary.counts,
          remaining: summary.remaining.total,
          deadLetters: summary.deadLetterQueue.total,
        });
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
        writeLine(
          io.stderr,
          `hood-blocker start: stopping failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        process.exit(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function parsePort(value: string | undefined, source: string): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new UsageError(`${source} "${value}" is not a port number (0–65535; 0 = any free port)`);
  return n;
}

function formatWindows(windows: readonly RateWindow[]): string {
  return windows
    .map((w) =>
      w.windowMs % 60_000 === 0
        ? `${w.count}/${w.windowMs / 60_000}m`
        : w.windowMs % 1000 === 0
          ? `${w.count}/${w.windowMs / 1000}s`
          : `${w.count}/${w.windowMs}ms`,
    )
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

export function formatStatus(s: StatusSnapshot): string {
  const t = s.totals;
  const n = s.now;
  const bulk =
    n.bulkQueued + n.bulkInFlight + n.bulkDeadLetterQueue > 0
      ? ` · bulk: ${n.bulkQueued} queued, ${n.bulkInFlight} in flight, ${n.bulkDeadLetterQueue} in DLQ`
      : '';
  // Shadow mode never says "blocked": nothing reached Hood.
  const decided = s.dryRun
    ? `${t.wouldBlock} would block · ${t.alreadyBlocked} known`
    : `${t.blocked} blocked · ${t.alreadyBlocked} already`;
  const hood = s.dryRun
    ? 'Hood: shadow mode, no calls'
    : `Hood: ${t.hoodCalls} calls, ${s.hoodCallsPerMinute} in the last min (limit ${formatRate(s.limitPerMinute)})`;
  return (
    `now: ${n.queued} queued · ${n.inFlight} in flight · ${n.deadLetterQueue} in DLQ${bulk}` +
    ` | total: ${decided} · ${t.ignored} ignored · ${t.deadLettered} dead-lettered` +
    ` | ${hood}`
  );
}

// A redraw per record would flood a slow terminal at 10 calls/s; 10 redraws a second still reads per record.
const REDRAW_MS = 100;

/** The status line: depths polled every second (TTY) or 10 s, counts redrawn as every record is decided. */
class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private redraw: NodeJS.Timeout | undefined;
  private busy = false;
  private depth: { block: QueueDepth; dlq: QueueDepth; bulk: QueueDepth; bulkDlq: QueueDepth } | undefined;
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
    const hood = this.pipeline.consumerConfig.hood;
    return statusSnapshot(this.pipeline.live, this.depth, steadyRatePerMinute(hood.rateLimits), Date.now(), {
      dryRun: hood.dryRun,
    });
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
      const [block, dlq, bulk, bulkDlq] = await Promise.all(
        [queues.blockQueueUrl, queues.deadLetterQueueUrl, queues.bulkQueueUrl, queues.bulkDeadLetterQueueUrl].map(
          (url) => readQueueDepth(sqs, url),
        ),
      );
      this.depth = { block: block!, dlq: dlq!, bulk: bulk!, bulkDlq: bulkDlq! };
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
  out(
    `hood-blocker is running locally (pid ${info.pid}). Ctrl-C drains in-flight work and stops; a second Ctrl-C stops at once.`,
  );
  out();
  const disabled = info.webhooks.disabled.map((p) => `${p} (${secretHint(p)})`);
  const rows: [string, string][] = [
    ['Webhooks', `${info.webhookUrl}/{provider}`],
    ['', `enabled: ${info.webhooks.enabled.join(', ')}`],
    ...(disabled.length > 0
      ? ([['', `disabled until their secret is set: ${disabled.join(', ')}`]] as [string, string][])
      : []),
    [
      'Hood',
      info.hood.sandbox
        ? `sandbox ${info.hood.url} (limits ${info.hood.rateLimits}, as HOOD_RATE_LIMITS)`
        : `REAL Hood at ${info.hood.url} (HOOD_API_TOKEN is set): contacts you send are really blocked`,
    ],
    ...(info.hood.dryRun
      ? ([['', 'SHADOW MODE (HOOD_DRY_RUN=true): decisions are logged and counted, nothing is sent to Hood']] as [
          string,
          string,
        ][])
      : []),
    ...(info.hood.listUrl ? ([['', `blocked so far: ${info.hood.listUrl}`]] as [string, string][]) : []),
    ['SQS', `${info.sqs.endpoint} (in memory: gone when this stops)`],
    ['', `block queue   ${info.sqs.blockQueueUrl}`],
    ['', `dead letters  ${info.sqs.deadLetterQueueUrl}`],
    ['', `bulk queue    ${info.sqs.bulkQueueUrl} (imports; dead letters: ${info.sqs.bulkDeadLetterQueueUrl})`],
    ['', `SES topic     ${info.sqs.sesTopicArn} (raw delivery to the block queue)`],
    [
      'Consumer',
      `${info.consumers} pollers, batch ${BATCH_SIZE}, ${FUNCTION_TIMEOUT_MS / 1000} s timeout, at most ${formatRate(info.hood.ratePerMinute)} to Hood`,
    ],
    ...(info.ledger
      ? ([
          [
            'Ledger',
            `${info.ledger.endpoint} table ${info.ledger.table} (dynalite, in memory; a hash key for this session): ${cli} why <contact> --local`,
          ],
        ] as [string, string][])
      : []),
    ['Logs', `${info.logFile} (--verbose prints them too)`],
    ['State', `${info.stateFile} (lets enqueue, dlq and check find this pipeline with --local)`],
  ];
  out(table(rows));
  out();
  // A token the user chose stays theirs: it is not echoed to a terminal (or its scrollback, or a CI log).
  const bearer = info.genericWebhookToken ?? '$GENERIC_WEBHOOK_TOKEN';
  if (info.genericWebhookToken !== null)
    out(`Generic webhook token (generated; set GENERIC_WEBHOOK_TOKEN to choose one): ${info.genericWebhookToken}`);
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
  const queued = s.remaining.total + s.bulkRemaining.total;
  out(s.dryRun ? 'Stopped (shadow mode: nothing was sent to Hood).' : 'Stopped.');
  out(
    table([
      [
        'webhooks',
        `${s.webhooks.requests} ${s.webhooks.requests === 1 ? 'request' : 'requests'}${byStatus ? ` (${byStatus})` : ''}`,
      ],
      s.dryRun
        ? [
            'would block',
            `${c.would_block} new, ${c.already_blocked} known to the ledger, ${c.deduplicated} repeated contacts`,
          ]
        : ['blocked', `${c.blocked} new, ${c.already_blocked} already blocked, ${c.deduplicated} repeated contacts`],
      ['ignored', String(c.ignored)],
      [
        'dead-lettered',
        `${c.dead_lettered} by the consumer; the dead-letter queues held ${s.deadLetterQueue.total} (block) and ${s.bulkDeadLetterQueue.total} (bulk)`,
      ],
      [
        'retried',
        `${c.retried} after errors, ${c.rate_limited} after 429, ${c.deferred} deferred, ${c.unauthorized} held for the token`,
      ],
      [
        'still queued',
        `${s.remaining.total} on the block queue (${s.remaining.visible} waiting, ${s.remaining.inFlight} backing off, ${s.remaining.delayed} delayed)`,
      ],
      [
        '',
        `${s.bulkRemaining.total} on the bulk queue (${s.bulkRemaining.visible} waiting, ${s.bulkRemaining.inFlight} backing off, ${s.bulkRemaining.delayed} delayed)`,
      ],
    ]),
  );
  out(
    s.drained
      ? `In-flight work drained: every received batch finished (${s.invocations.invocations} invocations).${queued > 0 ? ' What was still queued lived in memory and is gone; send it again after the next start.' : ''}`
      : 'Some invocations had not finished.',
  );
}

/** In a clone, `npx` finds the package's own bin (and runs it on the Node.js of this shell's PATH). */
function cliCommand(): string {
  return 'npx hood-blocker';
}
