import { type Env, localCredentialsFor, nonEmpty } from '../../lib/config.js';
import { UsageError } from './command.js';
import { describeAwsProblem } from './errors.js';

/**
 * `--stack NAME`: a deployed stack's CloudFormation outputs turned into the variables the commands already
 * read, so that one flag replaces exporting seven of them. A variable set in the environment still wins
 * (an operator pointing one command at another table keeps that power).
 */

/** CloudFormation output → the variable it stands for (serverless.yml `Outputs`). */
export const STACK_OUTPUT_VARIABLES: Readonly<Record<string, string>> = {
  BlockQueueUrl: 'BLOCK_QUEUE_URL',
  DeadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  BulkQueueUrl: 'BULK_QUEUE_URL',
  BulkDeadLetterQueueUrl: 'BULK_DEAD_LETTER_QUEUE_URL',
  LedgerTableName: 'LEDGER_TABLE',
  LedgerHashKeySecretArn: 'LEDGER_HASH_KEY_SECRET',
  WebhookBaseUrl: 'WEBHOOK_BASE_URL',
  HoodApiTokenParameter: 'HOOD_API_TOKEN_PARAMETER',
  HoodApiUrl: 'HOOD_API_URL',
  HoodDryRun: 'HOOD_DRY_RUN',
};

/** `--stack` and `--region` for commands that do not take the queue flags (why, forget, send-test). */
export const STACK_OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
} as const;

export const STACK_HELP = [
  '  --stack NAME        read the queues, ledger table, hash-key secret, webhook URL and token parameter from',
  "                      the CloudFormation stack's outputs (hood-blocker-<stage>); set variables still win",
  '  --region REGION     AWS region of the stack (default: AWS_REGION or your AWS profile)',
].join('\n');

/** Outputs of a deployed stack by key; injectable for tests. */
export type StackOutputsReader = (
  stackName: string,
  region: string | undefined,
  env: Env,
) => Promise<Record<string, string>>;

export interface StackEnv {
  stackName: string;
  region: string | undefined;
  outputs: Record<string, string>;
  /** The environment with the stack's values under the variables that are not set. */
  env: Env;
  /** Variables the stack would have set but the environment already did (they win; `check` says so). */
  overridden: string[];
}

/** The region a command talks to: --region, else AWS_REGION / AWS_DEFAULT_REGION, else the SDK's profile. */
export function regionOf(flag: string | undefined, env: Env): string | undefined {
  return nonEmpty(flag) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
}

/**
 * The environment a command runs with under `--stack NAME` (unchanged without it). Throws a one-line
 * error when the stack cannot be read, a UsageError for an empty name.
 */
export async function resolveStackEnv(
  flags: { stack?: string | undefined; region?: string | undefined },
  env: Env,
  reader: StackOutputsReader = readStackOutputs,
): Promise<StackEnv | undefined> {
  if (flags.stack === undefined) return undefined;
  const stackName = flags.stack.trim();
  if (stackName === '') throw new UsageError('--stack needs a stack name, e.g. hood-blocker-prod');
  const region = regionOf(flags.region, env);
  const outputs = await reader(stackName, region, env);
  if (outputs.BlockQueueUrl === undefined)
    throw new Error(`stack "${stackName}" has no BlockQueueUrl output: is it a hood-blocker stack?`);
  const merged: Record<string, string | undefined> = { ...env };
  const overridden: string[] = [];
  for (const [output, variable] of Object.entries(STACK_OUTPUT_VARIABLES)) {
    const value = outputs[output];
    if (value === undefined) continue;
    if (nonEmpty(env[variable]) !== undefined) {
      if (env[variable]!.trim() !== value) overridden.push(variable);
      continue;
    }
    merged[variable] = value;
  }
  // Stacks deployed before the HoodApiTokenParameter output: the deploy parameter's default name
  // (serverless.yml hoodApiTokenParameter, /hood-blocker/<stage>/hood-api-token). A wrong guess fails as
  // ParameterNotFound naming the parameter, which says what to set.
  const stage = /^hood-blocker-(.+)$/u.exec(stackName)?.[1];
  if (
    outputs.HoodApiTokenParameter === undefined &&
    nonEmpty(merged.HOOD_API_TOKEN_PARAMETER) === undefined &&
    stage !== undefined
  ) {
    merged.HOOD_API_TOKEN_PARAMETER = `/hood-blocker/${stage}/hood-api-token`;
  }
  if (region !== undefined && nonEmpty(env.AWS_REGION) === undefined) merged.AWS_REGION = region;
  const resolved: StackEnv = { stackName, region, outputs, env: merged, overridden };
  RESOLVED.set(merged, resolved);
  return resolved;
}

// The stack an environment was built from, so that a command's queue flags (`--stack` again) reuse the one
// DescribeStacks answer main.ts got instead of asking CloudFormation a second time.
const RESOLVED = new WeakMap<object, StackEnv>();

/** The resolved stack behind an environment made by `resolveStackEnv`, if it was. */
export function stackOf(env: Env): StackEnv | undefined {
  return RESOLVED.get(env);
}

/**
 * `--stack NAME` / `--stack=NAME` and `--region R` as they appear in a command's arguments (before `--`),
 * found without the command's own parser: main.ts resolves the stack once for every command. `strip`
 * removes them, for commands whose own parser does not know them.
 */
export function stackFlagsIn(
  args: readonly string[],
  strip = false,
): { stack?: string; region?: string; rest: string[]; conflicts: string[] } {
  const rest: string[] = [];
  const found: { stack?: string; region?: string } = {};
  const conflicts: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const m = /^--(stack|region)(?:=(.*))?$/u.exec(arg);
    if (m) {
      const value = m[2] ?? args[i + 1];
      if (m[2] === undefined) i += 1;
      found[m[1] as 'stack' | 'region'] = value ?? '';
      if (!strip) rest.push(arg, ...(m[2] === undefined && value !== undefined ? [value] : []));
      continue;
    }
    if (/^--(local|queue-url|dlq-url)(=|$)/u.test(arg)) conflicts.push(arg.split('=')[0]!);
    rest.push(arg);
  }
  return { ...found, rest, conflicts };
}

/** The environment for a command: the stack's when `--stack` is given, else the one it was handed. */
export async function commandEnv(
  flags: { stack?: string | undefined; region?: string | undefined },
  env: Env,
): Promise<Env> {
  const stack = await resolveStackEnv(flags, env);
  if (stack !== undefined) return stack.env;
  const region = nonEmpty(flags.region);
  return region === undefined ? env : { ...env, AWS_REGION: region };
}

/**
 * Options for an AWS SDK client of the CLI, decided from the environment the command was handed (the SDK
 * would read `process.env` itself; config.ts is the only reader of that): region, the service's standard
 * endpoint override (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL), and dummy keys for a loopback
 * endpoint (a stand-in or emulator) when the environment names no credentials.
 */
export function awsClientOptions(
  service: 'CLOUDFORMATION' | 'SSM' | 'SECRETS_MANAGER' | 'CLOUDWATCH',
  env: Env,
  region: string | undefined,
): {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  const endpoint = nonEmpty(env[`AWS_ENDPOINT_URL_${service}`]) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const credentials = localCredentialsFor(env, endpoint);
  const where = region ?? regionOf(undefined, env);
  return {
    ...(where ? { region: where } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 3,
  };
}

/** CloudFormation DescribeStacks: the outputs of one stack by key. */
export async function readStackOutputs(
  stackName: string,
  region: string | undefined,
  env: Env,
): Promise<Record<string, string>> {
  // Loaded only for --stack: the CloudFormation client is large and no other path needs it.
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(awsClientOptions('CLOUDFORMATION', env, region));
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs: Record<string, string> = {};
    for (const o of out.Stacks?.[0]?.Outputs ?? []) {
      if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
    }
    return outputs;
  } catch (error) {
    if (error instanceof Error && /does not exist/iu.test(error.message)) {
      throw new Error(
        `stack "${stackName}" does not exist${region ? ` in ${region}` : ''} (deployed as hood-blocker-<stage>; pass --region if it is elsewhere)`,
      );
    }
    const known = describeAwsProblem(error);
    throw new Error(
      `could not read stack "${stackName}": ${known ?? (error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error))}`,
    );
  } finally {
    client.destroy();
  }
}

/** An SSM client for the CLI (token parameter); the caller destroys it. */
export async function createSsmClient(env: Env, region?: string) {
  const { SSMClient } = await import('@aws-sdk/client-ssm');
  return new SSMClient(awsClientOptions('SSM', env, region));
}

/** A Secrets Manager client for the CLI (ledger hash key); the caller destroys it. */
export async function createSecretsClient(env: Env, region?: string) {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  return new SecretsManagerClient(awsClientOptions('SECRETS_MANAGER', env, region));
}
