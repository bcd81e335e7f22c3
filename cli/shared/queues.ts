import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Env, LOCAL_CREDENTIALS, loadQueueConfig, nonEmpty } from '../../lib/config.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../../dev/state.js';
import { queueUrlFromArn } from '../../lib/queue/sqs.js';
import { createSqsClient } from '../../lib/queue/sqs-sdk.js';

export { type QueueDepth, readQueueDepth } from '../../lib/queue/sqs.js';
import { UsageError } from './command.js';
import { configOrUsage } from './config-errors.js';
import { describeAwsProblem } from './errors.js';
import { readStackOutputs, resolveStackEnv, stackOf } from './stack.js';

/**
 * Which queues a command talks to. Sources, most explicit first:
 *   --queue-url/--dlq-url, --stack NAME (CloudFormation outputs), --local (.hood-blocker/local.json)
 *   — at most one of these three kinds — and otherwise BLOCK_QUEUE_URL / DEAD_LETTER_QUEUE_URL.
 * A flag on the command line wins over the environment: an operator typing `--local` in a shell that
 * happens to export production queue URLs must not write to production.
 */
export const QUEUE_OPTIONS = {
  'queue-url': { type: 'string' },
  'dlq-url': { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  'state-dir': { type: 'string' },
} as const;

export interface QueueFlags {
  'queue-url'?: string | undefined;
  'dlq-url'?: string | undefined;
  stack?: string | undefined;
  region?: string | undefined;
  local?: boolean | undefined;
  'state-dir'?: string | undefined;
}

export const QUEUE_HELP = [
  'Queues (first that applies):',
  '  --queue-url URL     the block queue (and --dlq-url URL for the dead-letter queue)',
  '  --stack NAME        the deployed stack hood-blocker-<stage>: its queues, ledger table, hash-key secret and',
  '                      token parameter from its CloudFormation outputs (a variable set in the environment wins)',
  '  --region REGION     AWS region for --stack (default: AWS_REGION or your AWS profile)',
  '  --local             the pipeline started by "npm start" (reads .hood-blocker/local.json)',
  '  --state-dir DIR     where --local finds local.json (default .hood-blocker)',
  '  (none of these)     BLOCK_QUEUE_URL and DEAD_LETTER_QUEUE_URL from the environment',
].join('\n');

export interface QueueTarget {
  /** Human-readable origin, e.g. `stack hood-blocker-prod (eu-west-1)`. */
  description: string;
  mode: 'url' | 'stack' | 'local' | 'env';
  /** True for the `npm start` emulator: static credentials, no message move tasks. */
  local: boolean;
  region: string | undefined;
  endpoint: string | undefined;
  blockQueueUrl: string | undefined;
  deadLetterQueueUrl: string | undefined;
  blockQueueArn?: string | undefined;
  deadLetterQueueArn?: string | undefined;
  /** With --stack: every output of the stack (e.g. HoodDryRun). */
  stackOutputs?: Record<string, string>;
  /** Keys for a loopback endpoint (emulator, stand-in) when the environment names none; else the SDK's chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** The bulk queue and its dead-letter queue, when the source names them (stack outputs, local pipeline, env). */
  bulkQueueUrl?: string | undefined;
  bulkDeadLetterQueueUrl?: string | undefined;
}

/** Outputs of a deployed stack by key; injectable for tests. */
export type StackOutputsReader = (stackName: string, region: string | undefined) => Promise<Record<string, string>>;

/** Resolves the queues; `undefined` when nothing names any (the caller decides whether that is an error). */
export async function resolveQueueTarget(
  flags: QueueFlags,
  env: Env,
  options: { readStackOutputs?: StackOutputsReader } = {},
): Promise<QueueTarget | undefined> {
  const byUrl = flags['queue-url'] !== undefined || flags['dlq-url'] !== undefined;
  const kinds = [
    byUrl && '--queue-url/--dlq-url',
    flags.stack !== undefined && '--stack',
    flags.local === true && '--local',
  ].filter(Boolean);
  if (kinds.length > 1) throw new UsageError(`${kinds.join(' and ')} name different queues: use only one of them`);
  const envConfig = loadQueueConfigOrUsage(env);
  const envRegion = nonEmpty(flags.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);

  if (flags.local === true) {
    const read = readLocalState(flags['state-dir'] ?? DEFAULT_STATE_DIR);
    if (!read.ok) throw new Error(read.message);
    const { sqs } = read.state;
    return {
      description: `local pipeline (pid ${read.state.pid})`,
      mode: 'local',
      local: true,
      region: sqs.region,
      endpoint: sqs.endpoint,
      blockQueueUrl: sqs.blockQueueUrl,
      deadLetterQueueUrl: sqs.deadLetterQueueUrl,
      blockQueueArn: sqs.blockQueueArn,
      deadLetterQueueArn: sqs.deadLetterQueueArn,
      bulkQueueUrl: sqs.bulkQueueUrl,
      bulkDeadLetterQueueUrl: sqs.bulkDeadLetterQueueUrl,
    };
  }
  if (flags.stack !== undefined) {
    // main.ts resolved the stack once for the whole command (stackOf); a direct caller reads it here.
    const stack =
      stackOf(env) ??
      (await resolveStackEnv(
        flags,
        env,
        options.readStackOutputs ? (n, r) => options.readStackOutputs!(n, r) : readStackOutputs,
      ));
    if (stack === undefined) throw new UsageError('--stack needs a stack name, e.g. hood-blocker-prod');
    const merged = loadQueueConfigOrUsage(stack.env);
    const outputs = stack.outputs;
    return {
      description: `stack ${stack.stackName}${stack.region ? ` (${stack.region})` : ''}`,
      mode: 'stack',
      local: false,
      region: regionFromQueueUrl(merged.blockQueueUrl ?? '') ?? stack.region ?? envRegion,
      endpoint: merged.sqsEndpoint,
      credentials: merged.localCredentials,
      blockQueueUrl: merged.blockQueueUrl,
      deadLetterQueueUrl: merged.deadLetterQueueUrl,
      // ARNs only when the URL is the stack's own (a variable that overrides the URL names another queue).
      blockQueueArn: merged.blockQueueUrl === outputs.BlockQueueUrl ? outputs.BlockQueueArn : undefined,
      deadLetterQueueArn:
        merged.deadLetterQueueUrl === outputs.DeadLetterQueueUrl ? outputs.DeadLetterQueueArn : undefined,
      bulkQueueUrl: merged.bulkQueueUrl,
      bulkDeadLetterQueueUrl: merged.bulkDeadLetterQueueUrl,
      stackOutputs: outputs,
    };
  }
  if (byUrl) {
    const block = checkUrl(flags['queue-url'], '--queue-url');
    const dlq = checkUrl(flags['dlq-url'], '--dlq-url');
    return {
      description: 'queue URL from the command line',
      mode: 'url',
      local: false,
      region: regionFromQueueUrl(block ?? dlq ?? '') ?? envRegion,
      endpoint: envConfig.sqsEndpoint,
      credentials: envConfig.localCredentials,
      blockQueueUrl: block,
      deadLetterQueueUrl: dlq,
    };
  }
  if (envConfig.blockQueueUrl !== undefined || envConfig.deadLetterQueueUrl !== undefined) {
    return {
      description: 'BLOCK_QUEUE_URL/DEAD_LETTER_QUEUE_URL from the environment',
      mode: 'env',
      local: false,
      region: regionFromQueueUrl(envConfig.blockQueueUrl ?? envConfig.deadLetterQueueUrl ?? '') ?? envRegion,
      endpoint: envConfig.sqsEndpoint,
      credentials: envConfig.localCredentials,
      blockQueueUrl: envConfig.blockQueueUrl,
      deadLetterQueueUrl: envConfig.deadLetterQueueUrl,
      bulkQueueUrl: envConfig.bulkQueueUrl,
      bulkDeadLetterQueueUrl: envConfig.bulkDeadLetterQueueUrl,
    };
  }
  return undefined;
}

export const NO_QUEUE_MESSAGE = 'no queue given: pass --queue-url URL, --stack NAME or --local, or set BLOCK_QUEUE_URL';

/**
 * An SQS client for the target. The emulator accepts any credentials but the SDK insists on some, so
 * the local pipeline gets static dummy ones; AWS targets use the normal credential chain (profile, SSO,
 * environment, instance role).
 */
export function createQueueClient(target: QueueTarget): SQSClient {
  return createSqsClient({
    region: target.region,
    sqsEndpoint: target.endpoint,
    localCredentials: target.local ? LOCAL_CREDENTIALS : target.credentials,
  });
}

export async function readQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`${queueUrl} did not report its ARN`);
  return arn;
}

/** The block queue URL, or a usage error naming how to give one. */
export function requireBlockQueueUrl(target: QueueTarget): string {
  if (target.blockQueueUrl === undefined) {
    throw new UsageError(`no block queue in ${target.description}: pass --queue-url URL or set BLOCK_QUEUE_URL`);
  }
  return target.blockQueueUrl;
}

/**
 * The dead-letter queue URL: given directly, or found through the block queue's redrive policy, so
 * that `--queue-url` alone is enough for `dlq` commands.
 */
export async function resolveDeadLetterQueueUrl(sqs: SQSClient, target: QueueTarget): Promise<string> {
  if (target.deadLetterQueueUrl !== undefined) return target.deadLetterQueueUrl;
  if (target.blockQueueUrl === undefined) {
    throw new UsageError(
      `no dead-letter queue in ${target.description}: pass --dlq-url URL or set DEAD_LETTER_QUEUE_URL`,
    );
  }
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: target.blockQueueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const policy = out.Attributes?.RedrivePolicy;
  const arn = policy
    ? ((JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn ?? undefined)
    : undefined;
  const url = arn
    ? queueUrlFromArn(arn, {
        sqsEndpoint: target.endpoint,
        blockQueueUrl: target.blockQueueUrl,
        deadLetterQueueUrl: undefined,
      })
    : undefined;
  if (url === undefined) {
    throw new UsageError(
      `${target.blockQueueUrl} has no redrive policy naming a dead-letter queue: pass --dlq-url URL`,
    );
  }
  target.deadLetterQueueUrl = url;
  target.deadLetterQueueArn = arn;
  return url;
}

/** One line for an SQS/AWS failure that tells the operator what to fix (no stack, no request dump). */
export function describeAwsError(error: unknown, target?: QueueTarget): string {
  if (!(error instanceof Error)) return String(error);
  // Our own errors already say what to do.
  if (error instanceof UsageError || error.name === 'Error') return error.message;
  const name = error.name;
  const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code;
  const known = describeAwsProblem(error);
  if (known !== undefined) return known;
  if (
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue' ||
    /NonExistentQueue|does not exist/iu.test(name)
  ) {
    return `the queue does not exist (${error.message})`;
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
    const where = target?.endpoint ?? 'the SQS endpoint';
    return target?.local
      ? `cannot reach the local pipeline at ${where} (${code}): is "npm start" still running?`
      : `cannot reach ${where} (${code})`;
  }
  return `${name}: ${error.message}`;
}

/** The stack's outputs (kept for callers of the old name; `readStackOutputs` takes the command's environment). */
export async function describeStackOutputs(
  stackName: string,
  region: string | undefined,
  env: Env = {},
): Promise<Record<string, string>> {
  return readStackOutputs(stackName, region, env);
}

/** `https://sqs.eu-west-1.amazonaws.com/…` or the legacy `https://eu-west-1.queue.amazonaws.com/…`. */
export function regionFromQueueUrl(url: string): string | undefined {
  try {
    const host = new URL(url).hostname;
    return (
      /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/u.exec(host)?.[1] ??
      /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/u.exec(host)?.[1]
    );
  } catch {
    return undefined;
  }
}

function checkUrl(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw new UsageError(`${flag} "${value}" is not an http(s) URL`);
  }
  return value.replace(/\/+$/u, '');
}

function loadQueueConfigOrUsage(env: Env): ReturnType<typeof loadQueueConfig> {
  return configOrUsage(() => loadQueueConfig(env));
}
