import {
  type HoodConfig,
  LOCAL_CREDENTIALS,
  loadHoodConfig,
  loadLedgerConfig,
  loadPolicyConfig,
  loadRateLimits,
} from '../lib/config.js';
import { createDynamoClient } from '../lib/ledger/client.js';
import { describeBudget, RATE_ITEM_KEY, readBudget } from './shared/budget.js';
import { awsClientOptions, createSsmClient } from './shared/stack.js';
import { createHoodClient, type HoodClient, type RateLimitInfo } from '../lib/hood/client.js';
import { resolveToken } from '../lib/hood/token.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../dev/state.js';
import { SOURCE_NAMES, WEBHOOK_PROVIDERS } from '../lib/providers/index.js';
import { humanDuration, readSourceActivity, sourceVerdicts } from '../dev/source-activity.js';
import { peekDeadLetters } from '../lib/dlq/loops.js';
import { describeError } from './shared/errors.js';
import type { CliIo } from './shared/command.js';
import { parseFlags } from './shared/parse-command.js';
import { plural, writeJson, writeLine } from './shared/output.js';
import {
  createQueueClient,
  describeAwsError,
  QUEUE_HELP,
  QUEUE_OPTIONS,
  type QueueTarget,
  readQueueDepth,
  resolveDeadLetterQueueUrl,
  resolveQueueTarget,
} from './shared/queues.js';

export const HELP = `Usage: hood-blocker check [options]

Is everything in place for blocking to work? Spends nothing from the account's Hood budget unless --probe.
  token         POST <HOOD_API_URL origin>/v2/ocamba/personal-api-keys/validate: 204 valid, 401 rejected
  rate limit    headroom from that answer's X-RateLimit-* headers, when Hood sends them; with --probe,
                from one GET blocked-contacts?page=1,1 (costs one request of the account's rate limit)
  mode          live, or shadow mode (HOOD_DRY_RUN=true: everything runs except the Hood call)
  block queue   depth, in flight, delayed; age of the oldest message (CloudWatch
                ApproximateAgeOfOldestMessage; not available for the local pipeline)
  dead letters  depth, and how many per reason (read and handed back, as "dlq list" does)
  bulk queue    imports and backfills: depth, in flight, delayed
  bulk dead letters  depth, and how many per reason
  ledger        the ledger table answers (DescribeTable: status, approximate item count)
  rate budget   the consumers' shared Hood budget: calls in each window, in flight, last call
  source NAME   each source's last event: with --stack, to the hour from CloudWatch (webhook_requests and
                source_events, 7 days), failing an expected source (stack output ExpectedSources) silent
                longer than its hours; with --local, each EXPECTED_SOURCES entry, failing one silent too long
Everything that can hold an opt-out is listed; what this setup does not have is shown as "skip".

Hood: HOOD_API_URL (default https://api.ocamba.com/v1/hood) and HOOD_API_TOKEN or
HOOD_API_TOKEN_PARAMETER (SSM), or with --local the Hood that "npm start" uses. The token is never printed.

Options:
  --probe             also spend one blocked-contacts request to read that endpoint's headroom
  --json              one JSON object on stdout
  -h, --help          this help

${QUEUE_HELP}
  (no queue given at all: the queue checks are skipped, and said so)

Exit codes: 0 healthy · 1 a check failed (each failure explained on one line) · 2 usage`;

type Status = 'ok' | 'warn' | 'fail' | 'skip';

interface CheckResult {
  name: string;
  status: Status;
  message: string;
  [key: string]: unknown;
}

/** Network edges `check` reaches besides Hood and SQS; injectable for tests. */
export interface CheckDeps {
  readOldestAge?: OldestAgeReader;
  /** Epoch ms (the local sources' quiet windows); default `Date.now`. */
  now?: () => number;
}

export async function run(args: string[], io: CliIo, deps: CheckDeps = {}): Promise<number> {
  const parsed = parseFlags(args, io, HELP, {
    ...QUEUE_OPTIONS,
    probe: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
  // Queue flags are checked first: a usage mistake should not cost a Hood request.
  const target = await resolveQueueTarget(values, io.env);
  const checks: CheckResult[] = [];
  const localStateDir = values.local === true ? (values['state-dir'] ?? DEFAULT_STATE_DIR) : undefined;
  checks.push(...(await checkHood(localStateDir, io, values.probe === true)));
  checks.push(checkMode(target, localStateDir, io));
  checks.push(
    ...(await checkQueues(
      target,
      io,
      deps.readOldestAge ?? ((queue, region) => readOldestAgeFromCloudWatch(queue, region, io.env)),
    )),
  );
  checks.push(...(await checkLedger(localStateDir, io)));
  if (localStateDir !== undefined) checks.push(...checkLocalSources(localStateDir, deps.now ?? Date.now));
  else if (target?.mode === 'stack') checks.push(...(await checkStackSources(target, io, deps.now ?? Date.now)));

  const failed = checks.filter((c) => c.status === 'fail');
  if (values.json) {
    writeJson(io.stdout, { healthy: failed.length === 0, checks });
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      writeLine(
        io.stdout,
        `${c.status === 'fail' ? 'FAIL' : c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.message}`,
      );
    }
    writeLine(io.stdout, failed.length === 0 ? 'healthy' : `${plural(failed.length, 'check')} failed`);
  }
  return failed.length === 0 ? 0 : 1;
}

async function checkHood(localStateDir: string | undefined, io: CliIo, probe: boolean): Promise<CheckResult[]> {
  let config: Pick<HoodConfig, 'apiUrl' | 'token' | 'requestTimeoutMs'>;
  let where = '';
  try {
    if (localStateDir !== undefined) {
      const read = readLocalState(localStateDir);
      if (!read.ok) return [{ name: 'token', status: 'fail', message: read.message }];
      const { hood } = read.state;
      if (hood.sandbox && hood.token) {
        config = { apiUrl: hood.url, token: { kind: 'value', token: hood.token }, requestTimeoutMs: 10_000 };
        where = ' (the local sandbox Hood)';
      } else {
        config = { ...loadHoodConfig({ ...io.env, HOOD_API_URL: hood.url }) };
      }
    } else {
      config = loadHoodConfig(io.env);
    }
  } catch (error) {
    return [{ name: 'token', status: 'fail', message: describeError(error) }];
  }
  let client: HoodClient;
  const ssm = config.token.kind === 'ssm' ? await createSsmClient(io.env) : undefined;
  try {
    const token = await resolveToken(config.token, ssm ? { ssmClient: ssm } : {});
    client = createHoodClient({ apiUrl: config.apiUrl, token, requestTimeoutMs: config.requestTimeoutMs });
  } catch (error) {
    return [{ name: 'token', status: 'fail', message: describeError(error) }];
  } finally {
    ssm?.destroy();
  }
  try {
    const results: CheckResult[] = [];
    const valid = await client.validateToken();
    const at = `${config.apiUrl}${where}`;
    switch (valid.kind) {
      case 'valid':
        results.push({
          name: 'token',
          status: 'ok',
          message: `valid (Hood answered ${valid.status}) at ${at}`,
          apiUrl: config.apiUrl,
        });
        break;
      case 'unauthorized':
        results.push({
          name: 'token',
          status: 'fail',
          message: `rejected by Hood (${valid.status}) at ${at}: the key is wrong, expired or was rolled; set an active key in HOOD_API_TOKEN (or its SSM parameter)`,
          apiUrl: config.apiUrl,
        });
        return results;
      case 'rate_limited':
        results.push({
          name: 'token',
          status: 'fail',
          message: `not checked: Hood answered 429 (rate limit)${retryText(valid.retryAfterSeconds)} at ${at}`,
          apiUrl: config.apiUrl,
        });
        return results;
      case 'unavailable':
        results.push({
          name: 'token',
          status: 'fail',
          message: `cannot check at ${at}: ${valid.message}`,
          apiUrl: config.apiUrl,
        });
        return results;
      case 'rejected':
        results.push({
          name: 'token',
          status: 'fail',
          message: `Hood answered ${valid.status}${valid.message ? `: ${valid.message}` : ''} at ${at}`,
          apiUrl: config.apiUrl,
        });
        return results;
    }
    const fromValidate = rateFromHeaders(
      valid.rateLimit,
      io,
      'from the validate answer; no blocked-contacts request spent',
    );
    if (probe) results.push(await checkRate(client, io));
    else
      results.push(
        fromValidate ?? {
          name: 'rate limit',
          status: 'skip',
          message:
            'Hood sent no X-RateLimit-* headers with the validate answer; --probe reads them from one blocked-contacts request (costs 1 of the budget)',
        },
      );
    return results;
  } finally {
    await client.close();
  }
}

async function checkRate(client: HoodClient, io: CliIo): Promise<CheckResult> {
  const cost = 'this check spent 1 request';
  const listed = await client.listBlockedContacts({ page: 1, pageSize: 1 });
  if (listed.kind === 'rate_limited') {
    // At the limit is what a busy consumer looks like; a warning, not a failure.
    return {
      name: 'rate limit',
      status: 'warn',
      message: `none left: Hood answered 429${retryText(listed.retryAfterSeconds)}`,
    };
  }
  if (listed.kind !== 'listed') {
    const detail = listed.kind === 'unavailable' ? listed.message : `Hood answered ${listed.status}`;
    return { name: 'rate limit', status: 'fail', message: `GET blocked-contacts failed: ${detail}` };
  }
  return (
    rateFromHeaders(listed.rateLimit, io, cost) ?? {
      name: 'rate limit',
      status: 'warn',
      message: `Hood sent no X-RateLimit-* headers (${cost})`,
    }
  );
}

function rateFromHeaders(info: RateLimitInfo | undefined, io: CliIo, cost: string): CheckResult | undefined {
  if (info?.limit === undefined || info.remaining === undefined) return undefined;
  const reset = info.resetSeconds === undefined ? '' : `, resets in ${info.resetSeconds} s`;
  const configured = loadRateLimits(io.env);
  const data = { limit: info.limit, remaining: info.remaining, resetSeconds: info.resetSeconds ?? null };
  if (!configured.some((w) => w.count === info.limit)) {
    return {
      name: 'rate limit',
      status: 'warn',
      message: `${info.remaining} of ${info.limit} left${reset}; HOOD_RATE_LIMITS (${configured.map((w) => `${w.count}/${w.windowMs}ms`).join(',')}) has no window of ${info.limit}: check the account's limits (${cost})`,
      ...data,
    };
  }
  return {
    name: 'rate limit',
    status: 'ok',
    message: `${info.remaining} of ${info.limit} requests left in this window${reset} (${cost})`,
    ...data,
  };
}

/** Oldest message age of a queue in seconds, with the time of that datapoint; undefined when no datapoint. */
export type OldestAgeReader = (
  queueName: string,
  region: string | undefined,
) => Promise<{ seconds: number; at: Date } | undefined>;

/**
 * CloudWatch's AWS/SQS ApproximateAgeOfOldestMessage, 1-minute maximum, latest datapoint of the last
 * 15 minutes (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
 * SQS publishes it every minute for active queues; an idle queue may have no recent datapoint.
 */
export async function readOldestAgeFromCloudWatch(
  queueName: string,
  region: string | undefined,
  env: CliIo['env'] = {},
): Promise<{ seconds: number; at: Date } | undefined> {
  // Loaded only here: no other command needs the CloudWatch client.
  const { CloudWatchClient, GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const client = new CloudWatchClient(awsClientOptions('CLOUDWATCH', env, region));
  try {
    const end = new Date();
    const out = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 15 * 60_000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'age',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueName }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const series = out.MetricDataResults?.[0];
    const value = series?.Values?.[0];
    const at = series?.Timestamps?.[0];
    return value === undefined || at === undefined ? undefined : { seconds: value, at };
  } finally {
    client.destroy();
  }
}

// An hour-old opt-out is still in time for most senders, but a backlog that old is worth a look.
const OLD_MESSAGE_WARN_SECONDS = 3600;
const CHECK_PEEK_MAX = 200;

function checkMode(target: QueueTarget | undefined, localStateDir: string | undefined, io: CliIo): CheckResult {
  let dryRun: boolean | undefined;
  let where: string;
  if (target?.mode === 'stack') {
    const output = target.stackOutputs?.HoodDryRun;
    dryRun = output === undefined ? undefined : output.trim().toLowerCase() === 'true';
    where = `stack output HoodDryRun`;
  } else if (localStateDir !== undefined) {
    const read = readLocalState(localStateDir);
    dryRun = read.ok ? read.state.hood.dryRun === true : undefined;
    where = 'the local pipeline';
  } else {
    try {
      dryRun = loadHoodConfigLoose(io.env).dryRun;
    } catch {
      dryRun = undefined;
    }
    where = 'HOOD_DRY_RUN in this environment';
  }
  if (dryRun === undefined)
    return { name: 'mode', status: 'skip', message: `not known (${where} not found)`, dryRun: null };
  return dryRun
    ? {
        name: 'mode',
        status: 'warn',
        message: `SHADOW MODE (HOOD_DRY_RUN=true, ${where}): decisions are logged and counted, nothing is blocked in Hood`,
        dryRun,
      }
    : { name: 'mode', status: 'ok', message: `live: opt-outs are blocked in Hood (${where})`, dryRun };
}

async function checkQueues(
  target: QueueTarget | undefined,
  io: CliIo,
  readOldestAge: OldestAgeReader,
): Promise<CheckResult[]> {
  if (target === undefined) {
    return [
      {
        name: 'queues',
        status: 'skip',
        message: 'not checked: pass --queue-url, --stack or --local, or set BLOCK_QUEUE_URL',
      },
    ];
  }
  const sqs = createQueueClient(target);
  const results: CheckResult[] = [];
  try {
    if (target.blockQueueUrl !== undefined) {
      results.push(await depthCheck(sqs, 'block queue', target.blockQueueUrl, target));
      results.push(await checkOldest(target, target.blockQueueUrl, readOldestAge));
    }
    results.push(await checkDeadLetters(sqs, 'dead letters', () => resolveDeadLetterQueueUrl(sqs, target), target, io));
    if (target.bulkQueueUrl === undefined) {
      results.push({
        name: 'bulk queue',
        status: 'skip',
        message: `none in ${target.description} (imports then go to the block queue)`,
        queueUrl: null,
      });
    } else {
      results.push(await depthCheck(sqs, 'bulk queue', target.bulkQueueUrl, target));
    }
    const bulkDlq = target.bulkDeadLetterQueueUrl;
    if (bulkDlq === undefined) {
      results.push({
        name: 'bulk dead letters',
        status: 'skip',
        message: `no bulk dead-letter queue in ${target.description}`,
        queueUrl: null,
      });
    } else {
      results.push(await checkDeadLetters(sqs, 'bulk dead letters', async () => bulkDlq, target, io));
    }
    return results;
  } finally {
    sqs.destroy();
  }
}

async function depthCheck(
  sqs: ReturnType<typeof createQueueClient>,
  name: string,
  queueUrl: string,
  target: QueueTarget,
): Promise<CheckResult> {
  try {
    const d = await readQueueDepth(sqs, queueUrl);
    return {
      name,
      status: 'ok',
      message: `now: ${d.visible} waiting, ${d.inFlight} in flight, ${d.delayed} delayed (${queueUrl})`,
      queueUrl,
      ...d,
    };
  } catch (error) {
    return { name, status: 'fail', message: `${queueUrl}: ${describeAwsError(error, target)}`, queueUrl };
  }
}

async function checkDeadLetters(
  sqs: ReturnType<typeof createQueueClient>,
  name: string,
  resolveUrl: () => Promise<string>,
  target: QueueTarget,
  io: CliIo,
): Promise<CheckResult> {
  let dlqUrl: string | undefined;
  try {
    dlqUrl = await resolveUrl();
    const d = await readQueueDepth(sqs, dlqUrl);
    const total = d.visible + d.inFlight + d.delayed;
    let byReason: Record<string, number> = {};
    let reasons = '';
    if (total > 0) {
      const peeked = await peekDeadLetters(sqs, dlqUrl, { max: CHECK_PEEK_MAX, policy: loadPolicyConfig(io.env) });
      byReason = Object.fromEntries(peeked.groups.map((g) => [g.reason, g.count]));
      const partial = peeked.listed < total ? `, of the first ${peeked.listed}` : '';
      reasons =
        peeked.groups.length > 0 ? ` (${peeked.groups.map((g) => `${g.count} ${g.reason}`).join(', ')}${partial})` : '';
    }
    const bulk = name.startsWith('bulk') ? ' --bulk' : '';
    return {
      name,
      status: total > 0 ? 'warn' : 'ok',
      message:
        total > 0
          ? `${plural(total, 'message')} waiting for a decision${reasons}: hood-blocker dlq list${bulk} (${dlqUrl})`
          : `none (${dlqUrl})`,
      queueUrl: dlqUrl,
      ...d,
      byReason,
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      message: `${dlqUrl ?? 'dead-letter queue'}: ${describeAwsError(error, target)}`,
      queueUrl: dlqUrl ?? null,
    };
  }
}

/**
 * The ledger table (where the consumers' shared rate budget lives too): DescribeTable for its status, and
 * one GetItem of the budget's item. Without a ledger both are skipped and said so.
 */
async function checkLedger(localStateDir: string | undefined, io: CliIo): Promise<CheckResult[]> {
  let table: string | undefined;
  let options: Parameters<typeof createDynamoClient>[0];
  try {
    if (localStateDir !== undefined) {
      const read = readLocalState(localStateDir);
      const l = read.ok ? read.state.ledger : undefined;
      table = l?.table;
      options = { endpoint: l?.endpoint, region: l?.region, localCredentials: LOCAL_CREDENTIALS };
    } else {
      const config = loadLedgerConfig(io.env);
      table = config.table;
      options = { endpoint: config.endpoint, region: config.region, localCredentials: config.localCredentials };
    }
  } catch (error) {
    return [{ name: 'ledger', status: 'fail', message: describeError(error) }];
  }
  if (table === undefined) {
    const message = 'no ledger (LEDGER_TABLE unset): no history for "why", consumers pace with static shares';
    return [
      { name: 'ledger', status: 'skip', message, table: null },
      {
        name: 'rate budget',
        status: 'skip',
        message: 'static shares per consumer (no shared budget without a ledger)',
      },
    ];
  }
  const { DescribeTableCommand, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const dynamo = createDynamoClient({ ...options, maxAttempts: 2 });
  const results: CheckResult[] = [];
  try {
    try {
      const out = await dynamo.send(new DescribeTableCommand({ TableName: table }));
      const status = out.Table?.TableStatus ?? 'unknown';
      const count = out.Table?.ItemCount;
      results.push({
        name: 'ledger',
        status: status === 'ACTIVE' ? 'ok' : 'warn',
        message: `table ${table}: ${status}${count === undefined ? '' : `, about ${count} items (DynamoDB updates this count every 6 h)`}`,
        table,
        tableStatus: status,
      });
    } catch (error) {
      results.push({ name: 'ledger', status: 'fail', message: `table ${table}: ${describeAwsError(error)}`, table });
      return results;
    }
    try {
      const now = Date.now();
      const out = await dynamo.send(new GetItemCommand({ TableName: table, Key: RATE_ITEM_KEY, ConsistentRead: true }));
      const state = readBudget(out.Item, loadRateLimits(io.env), now);
      results.push({ name: 'rate budget', status: 'ok', message: describeBudget(state, now), ...state });
    } catch (error) {
      results.push({
        name: 'rate budget',
        status: 'warn',
        message: `could not read the shared budget: ${describeAwsError(error)}`,
      });
    }
    return results;
  } finally {
    dynamo.destroy();
  }
}

async function checkOldest(
  target: QueueTarget,
  queueUrl: string,
  readOldestAge: OldestAgeReader,
): Promise<CheckResult> {
  const name = 'oldest message';
  if (target.local)
    return {
      name,
      status: 'skip',
      message: 'not measured for the local pipeline (a CloudWatch metric)',
      ageSeconds: null,
    };
  const queueName = queueUrl.split('/').at(-1) ?? queueUrl;
  try {
    const age = await readOldestAge(queueName, target.region);
    if (age === undefined)
      return {
        name,
        status: 'ok',
        message: `no datapoint in the last 15 min (CloudWatch ApproximateAgeOfOldestMessage; an idle queue has none)`,
        ageSeconds: null,
      };
    const text = `${formatAge(age.seconds)} old (CloudWatch ApproximateAgeOfOldestMessage, 1-min maximum at ${age.at.toISOString().slice(11, 16)} UTC)`;
    return {
      name,
      status: age.seconds > OLD_MESSAGE_WARN_SECONDS ? 'warn' : 'ok',
      message: text,
      ageSeconds: age.seconds,
    };
  } catch (error) {
    // Reading metrics needs cloudwatch:GetMetricData, which a queue operator may not have: a warning.
    return {
      name,
      status: 'warn',
      message: `could not read CloudWatch: ${describeAwsError(error, target)}`,
      ageSeconds: null,
    };
  }
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function loadHoodConfigLoose(env: CliIo['env']): HoodConfig {
  // The token may be unset here (the token check reports that); the mode only needs HOOD_DRY_RUN.
  return loadHoodConfig({
    ...env,
    HOOD_API_TOKEN: env.HOOD_API_TOKEN?.trim() || env.HOOD_API_TOKEN_PARAMETER?.trim() ? env.HOOD_API_TOKEN : 'unused',
  });
}

function retryText(seconds: number | undefined): string {
  return seconds === undefined ? '' : `, retry after ${seconds} s`;
}

/**
 * `--local`: each source of the pipeline's EXPECTED_SOURCES with its last event, failing when one was
 * silent longer than its window (the local counterpart of the stack's quiet-source alarms); other sources that
 * sent something are listed as info.
 */
function checkLocalSources(stateDir: string, now: () => number): CheckResult[] {
  const read = readLocalState(stateDir);
  if (!read.ok) return [];
  const expected = read.state.expectedSources ?? [];
  const activity = readSourceActivity(stateDir);
  const at = now();
  const results: CheckResult[] = sourceVerdicts(expected, activity, Date.parse(read.state.startedAt), at).map((v) =>
    v.status === 'ok'
      ? {
          name: `source ${v.name}`,
          status: 'ok',
          message: `last ${eventWord(v.name)} ${humanDuration(v.silentMs)} ago`,
          lastSeen: v.lastSeen,
        }
      : {
          name: `source ${v.name}`,
          status: 'fail',
          message: `quiet: no ${eventWord(v.name)} for ${humanDuration(v.silentMs)} (expected within ${humanDuration(v.quietMs)}; EXPECTED_SOURCES)`,
          lastSeen: v.lastSeen ?? null,
        },
  );
  for (const [name, lastSeen] of Object.entries(activity.lastSeen)) {
    if (expected.some((e) => e.name === name)) continue;
    const ago = humanDuration(Math.max(0, at - Date.parse(lastSeen)));
    results.push({ name: `source ${name}`, status: 'ok', message: `last ${eventWord(name)} ${ago} ago`, lastSeen });
  }
  return results;
}

/** A webhook provider sends requests; an AWS-native source (ses, aws-sms, …) reaches the queue as events. */
function eventWord(source: string): 'request' | 'event' {
  return (WEBHOOK_PROVIDERS as readonly string[]).includes(source) ? 'request' : 'event';
}

/** How far back `check --stack` looks for each source's last event (CloudWatch keeps hourly data). */
const LAST_SEEN_DAYS = 7;

/** The two per-source metrics the quiet-source alarms sum: webhook requests, and records AWS queued itself. */
const SOURCE_METRICS = ['webhook_requests', 'source_events'] as const;

/**
 * `--stack`: each source's last event, to the hour, from the webhook's `webhook_requests` and the consumer's
 * `source_events` (records AWS delivered to the queue itself: ses, aws-sms, …), namespace HoodBlocker,
 * dimensions service and provider: one GetMetricData call, hourly sums over 7 days, the later of the two.
 */
export async function readSourceLastSeen(
  region: string | undefined,
  env: CliIo['env'] = {},
  now = new Date(),
): Promise<Record<string, Date>> {
  const { CloudWatchClient, GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const client = new CloudWatchClient(awsClientOptions('CLOUDWATCH', env, region));
  try {
    const out = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - LAST_SEEN_DAYS * 24 * 3_600_000),
        EndTime: now,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: SOURCE_NAMES.flatMap((provider, i) =>
          SOURCE_METRICS.map((metric, m) => ({
            Id: `s${i}m${m}`,
            Label: `${provider} ${metric}`,
            MetricStat: {
              Metric: {
                Namespace: 'HoodBlocker',
                MetricName: metric,
                Dimensions: [
                  { Name: 'service', Value: 'hood-blocker' },
                  { Name: 'provider', Value: provider },
                ],
              },
              Period: 3600,
              Stat: 'Sum',
            },
          })),
        ),
      }),
    );
    const seen: Record<string, Date> = {};
    for (const series of out.MetricDataResults ?? []) {
      const provider = SOURCE_NAMES[Number(/^s(\d+)m\d+$/u.exec(series.Id ?? '')?.[1] ?? Number.NaN)];
      const i = (series.Values ?? []).findIndex((v) => v > 0);
      const at = i < 0 ? undefined : series.Timestamps?.[i];
      if (provider === undefined || at === undefined) continue;
      const before = seen[provider];
      if (before === undefined || at.getTime() > before.getTime()) seen[provider] = at;
    }
    return seen;
  } finally {
    client.destroy();
  }
}

/**
 * The stack's ExpectedSources output (`ses:24,sendgrid:24`, or `none`; absent on a stack deployed before it):
 * source → hours. An entry that does not read is skipped: the output is written by packaging, which validated it.
 */
function stackExpectedSources(output: string | undefined): Map<string, number> {
  const expected = new Map<string, number>();
  for (const entry of (output ?? '').split(',')) {
    const m = /^\s*([a-z][a-z0-9-]*):(\d+)\s*$/u.exec(entry);
    if (m) expected.set(m[1]!, Number(m[2]));
  }
  return expected;
}

const utcHour = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * `--stack`: each source's last event, to the hour; an expected source (ExpectedSources output) whose last hour
 * with an event ended `hours` or more ago, or that sent nothing in 7 days, fails as its quiet-source alarm does.
 */
async function checkStackSources(target: QueueTarget, io: CliIo, now: () => number): Promise<CheckResult[]> {
  const at = now();
  let seen: Record<string, Date>;
  try {
    seen = await readSourceLastSeen(target.region, io.env, new Date(at));
  } catch (error) {
    return [
      {
        name: 'sources',
        status: 'warn',
        message: `last event per source unknown: ${error instanceof Error ? error.message : String(error)}`,
      },
    ];
  }
  const expected = stackExpectedSources(target.stackOutputs?.ExpectedSources);
  const names = [...new Set([...Object.keys(seen), ...expected.keys()])].sort((a, b) => a.localeCompare(b));
  if (names.length === 0) {
    return [
      {
        name: 'sources',
        status: 'skip',
        message: `no event from any source in the last ${LAST_SEEN_DAYS} days (CloudWatch webhook_requests, source_events)`,
      },
    ];
  }
  return names.map((name): CheckResult => {
    const last = seen[name];
    const hours = expected.get(name);
    const within = hours === undefined ? '' : ` (expected within ${hours} h; expectedSources)`;
    if (last === undefined) {
      return {
        name: `source ${name}`,
        status: 'fail',
        message: `quiet: nothing in the last ${LAST_SEEN_DAYS} days${within}`,
        lastSeen: null,
      };
    }
    // The datapoint is an hourly sum: the event was somewhere in that hour, so count from the hour's end.
    const silentMs = at - (last.getTime() + 3_600_000);
    if (hours !== undefined && silentMs >= hours * 3_600_000) {
      return {
        name: `source ${name}`,
        status: 'fail',
        message: `quiet: last ${eventWord(name)} in the hour from ${utcHour(last)}${within}`,
        lastSeen: last.toISOString(),
      };
    }
    return {
      name: `source ${name}`,
      status: 'ok',
      message: `last ${eventWord(name)} in the hour from ${utcHour(last)}`,
      lastSeen: last.toISOString(),
    };
  });
}
