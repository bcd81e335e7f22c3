import { DEFAULT_RATE_LIMITS, type HoodConfig, loadHoodConfig, parseRateLimits } from '../lib/config.js';
import { createHoodClient, type HoodClient, type RateLimitInfo } from '../lib/hood/client.js';
import { resolveToken } from '../lib/hood/token.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../lib/local/state.js';
import { type CliIo, parseArgs } from './main.js';
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

Is everything in place for blocking to work?
  token        POST …/v2/ocamba/personal-api-keys/validate: 204 valid, 401 rejected
  rate limit   headroom from the X-RateLimit-* headers of one GET blocked-contacts?page=1,1
               (this costs one request of the account's rate limit)
  queues       GetQueueAttributes on the block queue and the dead-letter queue: depth, in flight

Hood: HOOD_API_URL (default https://api.ocamba.com/v1/hood) and HOOD_API_TOKEN or
HOOD_API_TOKEN_PARAMETER (SSM), or with --local the Hood that "npm start" uses. The token is never printed.

Options:
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

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { ...QUEUE_OPTIONS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  // Queue flags are checked first: a usage mistake should not cost a Hood request.
  const target = await resolveQueueTarget(values, io.env);
  const checks: CheckResult[] = [];
  checks.push(...(await checkHood(values.local === true ? (values['state-dir'] ?? DEFAULT_STATE_DIR) : undefined, io)));
  checks.push(...(await checkQueues(target)));

  const failed = checks.filter((c) => c.status === 'fail');
  if (values.json) {
    writeJson(io.stdout, { healthy: failed.length === 0, checks });
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      writeLine(io.stdout, `${c.status === 'fail' ? 'FAIL' : c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.message}`);
    }
    writeLine(io.stdout, failed.length === 0 ? 'healthy' : `${plural(failed.length, 'check')} failed`);
  }
  return failed.length === 0 ? 0 : 1;
}

async function checkHood(localStateDir: string | undefined, io: CliIo): Promise<CheckResult[]> {
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
    return [{ name: 'token', status: 'fail', message: error instanceof Error ? error.message : String(error) }];
  }
  let client: HoodClient;
  try {
    client = createHoodClient({ apiUrl: config.apiUrl, token: await resolveToken(config.token), requestTimeoutMs: config.requestTimeoutMs });
  } catch (error) {
    return [{ name: 'token', status: 'fail', message: error instanceof Error ? error.message : String(error) }];
  }
  try {
    const results: CheckResult[] = [];
    const valid = await client.validateToken();
    const at = `${config.apiUrl}${where}`;
    switch (valid.kind) {
      case 'valid':
        results.push({ name: 'token', status: 'ok', message: `valid (Hood answered ${valid.status}) at ${at}`, apiUrl: config.apiUrl });
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
        results.push({ name: 'token', status: 'fail', message: `not checked: Hood answered 429 (rate limit)${retryText(valid.retryAfterSeconds)} at ${at}`, apiUrl: config.apiUrl });
        return results;
      case 'unavailable':
        results.push({ name: 'token', status: 'fail', message: `cannot check at ${at}: ${valid.message}`, apiUrl: config.apiUrl });
        return results;
      case 'rejected':
        results.push({ name: 'token', status: 'fail', message: `Hood answered ${valid.status}${valid.message ? `: ${valid.message}` : ''} at ${at}`, apiUrl: config.apiUrl });
        return results;
    }
    results.push(await checkRate(client, io));
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
    return { name: 'rate limit', status: 'warn', message: `none left: Hood answered 429${retryText(listed.retryAfterSeconds)}` };
  }
  if (listed.kind !== 'listed') {
    const detail = listed.kind === 'unavailable' ? listed.message : `Hood answered ${listed.status}`;
    return { name: 'rate limit', status: 'fail', message: `GET blocked-contacts failed: ${detail}` };
  }
  const info: RateLimitInfo | undefined = listed.rateLimit;
  if (info?.limit === undefined || info.remaining === undefined) {
    return { name: 'rate limit', status: 'warn', message: `Hood sent no X-RateLimit-* headers (${cost})` };
  }
  const reset = info.resetSeconds === undefined ? '' : `, resets in ${info.resetSeconds} s`;
  const configured = parseRateLimits(io.env.HOOD_RATE_LIMITS?.trim() || DEFAULT_RATE_LIMITS);
  const data = { limit: info.limit, remaining: info.remaining, resetSeconds: info.resetSeconds ?? null };
  if (!configured.some((w) => w.count === info.limit)) {
    return {
      name: 'rate limit',
      status: 'warn',
      message: `${info.remaining} of ${info.limit} left${reset}; HOOD_RATE_LIMITS (${configured.map((w) => `${w.count}/${w.windowMs}ms`).join(',')}) has no window of ${info.limit}: check the account's limits (${cost})`,
      ...data,
    };
  }
  return { name: 'rate limit', status: 'ok', message: `${info.remaining} of ${info.limit} requests left in this window${reset} (${cost})`, ...data };
}

async function checkQueues(target: QueueTarget | undefined): Promise<CheckResult[]> {
  if (target === undefined) {
    return [{ name: 'queues', status: 'skip', message: 'not checked: pass --queue-url, --stack or --local, or set BLOCK_QUEUE_URL' }];
  }
  const sqs = createQueueClient(target);
  const results: CheckResult[] = [];
  try {
    if (target.blockQueueUrl !== undefined) {
      try {
        const d = await readQueueDepth(sqs, target.blockQueueUrl);
        results.push({
          name: 'block queue',
          status: 'ok',
          message: `${d.visible} waiting, ${d.inFlight} in flight, ${d.delayed} delayed (${target.blockQueueUrl})`,
          queueUrl: target.blockQueueUrl,
          ...d,
        });
      } catch (error) {
        results.push({ name: 'block queue', status: 'fail', message: `${target.blockQueueUrl}: ${describeAwsError(error, target)}`, queueUrl: target.blockQueueUrl });
      }
    }
    let dlqUrl: string | undefined;
    try {
      dlqUrl = await resolveDeadLetterQueueUrl(sqs, target);
      const d = await readQueueDepth(sqs, dlqUrl);
      const total = d.visible + d.inFlight + d.delayed;
      results.push({
        name: 'dead letters',
        status: total > 0 ? 'warn' : 'ok',
        message: total > 0 ? `${plural(total, 'message')} waiting for a decision: hood-blocker dlq list (${dlqUrl})` : `none (${dlqUrl})`,
        queueUrl: dlqUrl,
        ...d,
      });
    } catch (error) {
      results.push({ name: 'dead letters', status: 'fail', message: `${dlqUrl ?? 'dead-letter queue'}: ${describeAwsError(error, target)}`, queueUrl: dlqUrl ?? null });
    }
    return results;
  } finally {
    sqs.destroy();
  }
}

function retryText(seconds: number | undefined): string {
  return seconds === undefined ? '' : `, retry after ${seconds} s`;
}
