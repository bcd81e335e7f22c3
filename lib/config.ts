import * as z from 'zod/mini';
import { isTuningLayer, TUNING_LAYERS, type TuningLayer } from './pacing/tuning.js';
import { ConfigError } from './errors.js';
import { compileNeverBlock, type NeverBlockList } from './policy/never-block.js';
import { type Reason, ReasonSchema } from './types.js';

/**
 * All configuration is read here, once, at cold start; nothing else reads `process.env`.
 * Every problem names its variable; values of secrets are never echoed.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface RateWindow {
  count: number;
  windowMs: number;
}

export const DEFAULT_HOOD_API_URL = 'https://api.ocamba.com/v1/hood';
export const DEFAULT_RATE_LIMITS = '10/1s,150/1m';
export const DEFAULT_BLOCK_REASONS: readonly Reason[] = [
  'hard_bounce',
  'complaint',
  'unsubscribe',
  'sms_opt_out',
  'suppressed',
  'manual',
];
// Union of the AWS End User Messaging (US/CA) and Twilio default opt-out keywords
// (https://docs.aws.amazon.com/sms-voice/latest/userguide/keywords-required.html,
// https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
export const DEFAULT_SMS_OPT_OUT_KEYWORDS: readonly string[] = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPTOUT',
  'OPT-OUT',
  'REVOKE',
  'REMOVE',
  'ARRET',
  'TD',
];

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/** `10/1s,150/1m` → windows; fixed-window semantics, the format of Hood's rate-limit documentation. */
export function parseRateLimits(spec: string, variable = 'HOOD_RATE_LIMITS'): RateWindow[] {
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new ConfigError(variable, 'expected count/window pairs such as "10/1s,150/1m"');
  return parts.map((part) => {
    const m = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m)$/u.exec(part);
    if (!m) throw new ConfigError(variable, `"${part}" is not count/window (units ms, s, m), e.g. "150/1m"`);
    const count = Number(m[1]);
    // Whole milliseconds, rounded up (a longer window is the safe side): windows end up in timers.
    const windowMs = Math.ceil(Number(m[2] ?? '1') * UNIT_MS[m[3] as keyof typeof UNIT_MS]);
    if (!Number.isSafeInteger(count) || count < 1) throw new ConfigError(variable, `"${part}": count must be ≥ 1`);
    if (!(windowMs >= 1)) throw new ConfigError(variable, `"${part}": window must be ≥ 1ms`);
    return { count, windowMs };
  });
}

/** A value as given, trimmed; `undefined` when unset or blank (an empty variable means "not set"). */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function str(env: Env, name: string): string | undefined {
  return nonEmpty(env[name]);
}

function url(env: Env, name: string, fallback?: string): string | undefined {
  const v = str(env, name) ?? fallback;
  if (v === undefined) return undefined;
  const parsed = z.url({ protocol: /^https?$/u }).safeParse(v);
  if (!parsed.success) throw new ConfigError(name, 'must be an http(s) URL');
  return v.replace(/\/+$/u, '');
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer from ${min} to ${max}`);
  return n;
}

function list(env: Env, name: string): string[] | undefined {
  const v = str(env, name);
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/** Mapping policy shared by the consumer, the webhook ingress and `extract`. */
export interface PolicyConfig {
  blockReasons: ReadonlySet<Reason>;
  /** Upper-cased, trimmed opt-out keywords; matched against the whole trimmed message body. */
  smsOptOutKeywords: ReadonlySet<string>;
  /** NEVER_BLOCK (or NEVER_BLOCK_PARAMETER, resolved before loading): contacts ignored with reason never_block. */
  neverBlock?: NeverBlockList;
}

export function loadPolicyConfig(env: Env = process.env): PolicyConfig {
  const reasons = list(env, 'BLOCK_REASONS') ?? [...DEFAULT_BLOCK_REASONS];
  const blockReasons = new Set<Reason>();
  for (const r of reasons) {
    // soft_bounce is accepted (scripts list every label) but stays count-only: the policy gate never
    // lets it block; only SOFT_BOUNCE_POLICY turns soft bounces into a block (soft_bounce_threshold).
    const parsed = ReasonSchema.safeParse(r);
    if (!parsed.success) {
      throw new ConfigError('BLOCK_REASONS', `unknown reason "${r}"; known: ${ReasonSchema.options.join(', ')}`);
    }
    blockReasons.add(parsed.data);
  }
  const keywords = list(env, 'SMS_OPT_OUT_KEYWORDS') ?? [...DEFAULT_SMS_OPT_OUT_KEYWORDS];
  const neverBlock = compileNeverBlock(list(env, 'NEVER_BLOCK') ?? []);
  if (neverBlock.invalid.length > 0) {
    // Positions only: the entries are contacts (personal data) and must not reach a log.
    throw new ConfigError(
      'NEVER_BLOCK',
      `entries ${neverBlock.invalid.join(', ')} are neither an email address, a phone number nor *@domain`,
    );
  }
  return {
    blockReasons,
    smsOptOutKeywords: new Set(keywords.map((k) => k.toUpperCase())),
    neverBlock: { contacts: neverBlock.contacts, domains: neverBlock.domains },
  };
}

export interface QueueConfig {
  /**
   * Static dummy credentials for a local emulator endpoint (127.0.0.1/localhost) when none are in the
   * environment: emulators ignore them, and the SDK would otherwise fail to sign any request.
   */
  localCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  blockQueueUrl: string | undefined;
  deadLetterQueueUrl: string | undefined;
  /** `BULK_QUEUE_URL`: imports and backfills, consumed with the budget live traffic leaves. */
  bulkQueueUrl?: string | undefined;
  /** `BULK_DEAD_LETTER_QUEUE_URL`: where a bulk record the consumer rejects goes (its own alarm, not the live one). */
  bulkDeadLetterQueueUrl?: string | undefined;
  /** `AWS_ENDPOINT_URL_SQS`: the SDK reads it too; we need it to turn queue ARNs into URLs. */
  sqsEndpoint: string | undefined;
  region: string;
}

/** What an emulator (SQS, DynamoDB) is handed: it accepts any keys, but the SDK insists on some. */
export const LOCAL_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};

/**
 * The one local-credentials rule: an endpoint on this machine (an emulator) gets dummy keys when the
 * environment names no credentials of its own; anything else uses the SDK's normal chain.
 */
export function localCredentialsFor(
  env: Env,
  endpoint: string | undefined,
): { accessKeyId: string; secretAccessKey: string } | undefined {
  const local =
    endpoint !== undefined && /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/u.test(endpoint);
  const hasCredentials =
    str(env, 'AWS_ACCESS_KEY_ID') !== undefined ||
    str(env, 'AWS_PROFILE') !== undefined ||
    str(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI') !== undefined;
  return local && !hasCredentials ? { ...LOCAL_CREDENTIALS } : undefined;
}

export function loadQueueConfig(env: Env = process.env): QueueConfig {
  const sqsEndpoint = url(env, 'AWS_ENDPOINT_URL_SQS') ?? url(env, 'AWS_ENDPOINT_URL');
  return {
    localCredentials: localCredentialsFor(env, sqsEndpoint),
    blockQueueUrl: url(env, 'BLOCK_QUEUE_URL'),
    deadLetterQueueUrl: url(env, 'DEAD_LETTER_QUEUE_URL'),
    bulkQueueUrl: url(env, 'BULK_QUEUE_URL'),
    bulkDeadLetterQueueUrl: url(env, 'BULK_DEAD_LETTER_QUEUE_URL'),
    sqsEndpoint,
    region: str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
  };
}

export type TokenSource = { kind: 'value'; token: string } | { kind: 'ssm'; parameterName: string };

export interface HoodConfig {
  apiUrl: string;
  token: TokenSource;
  rateLimits: RateWindow[];
  consumerMaxConcurrency: number;
  /**
   * `BULK_MAX_CONCURRENCY`: the bulk queue's event source mapping maximumConcurrency (serverless.yml
   * `bulkMaxConcurrency`); with static shares the bulk lane's slice is split between this many consumers.
   */
  bulkMaxConcurrency: number;
  /** Per-request budget (connect + headers + body). */
  requestTimeoutMs: number;
  /**
   * Real delivery attempts (5xx, timeouts, crashes) before a message is dead-lettered with reason
   * `retries_exhausted`. Keep equal to the queue's redrive `maxReceiveCount`: the consumer needs it for
   * copies it re-queues itself (their SQS receive count starts again at 1).
   */
  maxAttempts: number;
  /** First retry delay after a real failure; doubles per attempt, capped at 900 s (SQS delay maximum). */
  retryBaseSeconds: number;
  /**
   * `HOOD_MAX_IN_FLIGHT` (default 10): Hood calls in flight across all consumers, a hard cap never exceeded.
   * Hood's parallel cap is undocumented, so the cap used is learned below it (lib/pacing/parallel-cap.ts).
   */
  maxInFlight: number;
  /** `HOOD_START_IN_FLIGHT` (default 4, at most HOOD_MAX_IN_FLIGHT): the learned parallel cap's start. */
  startInFlight: number;
  /** `HOOD_PARALLEL_PROBE_SECONDS` (default 300): a step back after `Retry-After: -1` holds this long. */
  parallelProbeMs: number;
  /** `HOOD_RATE_HEADROOM`: percent of every window left to other clients of the account. */
  rateHeadroomPercent: number;
  /**
   * `HOOD_PACING_TUNING_OFF`: the shared budget's tuning layers to turn off (lib/pacing/tuning.ts), for measuring
   * what each buys. Safety never depends on them. Default none.
   */
  pacingTuningOff: readonly TuningLayer[];
  /**
   * `LEDGER_TABLE`: when set, consumers share one rate budget through it (items `pk` = `rate#…`); unset: static
   * shares. `AWS_ENDPOINT_URL_DYNAMODB`: the SDK's standard override (a loopback one gets dummy credentials).
   */
  rateLedger:
    | {
        table: string;
        endpoint: string | undefined;
        localCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
      }
    | undefined;
  /** `HOOD_DRY_RUN`: shadow mode — everything runs except the Hood call (lib/consumer/dry-run.ts). */
  dryRun: boolean;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(name, 'must be true or false');
}

/** `HOOD_RATE_LIMITS` (default DEFAULT_RATE_LIMITS): the consumer's pacing, and the CLI's time estimates. */
export function loadRateLimits(env: Env = process.env): RateWindow[] {
  return parseRateLimits(str(env, 'HOOD_RATE_LIMITS') ?? DEFAULT_RATE_LIMITS);
}

export function loadHoodConfig(env: Env = process.env): HoodConfig {
  const token = str(env, 'HOOD_API_TOKEN');
  const parameterName = str(env, 'HOOD_API_TOKEN_PARAMETER');
  if (token === undefined && parameterName === undefined) {
    throw new ConfigError(
      'HOOD_API_TOKEN',
      'is not set (set it, or HOOD_API_TOKEN_PARAMETER to an SSM SecureString name)',
    );
  }
  if (token !== undefined && /[\s\u0000-\u001F]/u.test(token)) {
    throw new ConfigError('HOOD_API_TOKEN', 'contains whitespace or control characters');
  }
  return {
    apiUrl: url(env, 'HOOD_API_URL', DEFAULT_HOOD_API_URL)!,
    token: token !== undefined ? { kind: 'value', token } : { kind: 'ssm', parameterName: parameterName! },
    rateLimits: loadRateLimits(env),
    consumerMaxConcurrency: int(env, 'CONSUMER_MAX_CONCURRENCY', 2, 1, 1000),
    bulkMaxConcurrency: int(env, 'BULK_MAX_CONCURRENCY', 2, 1, 1000),
    requestTimeoutMs: int(env, 'HOOD_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
    maxAttempts: int(env, 'HOOD_MAX_ATTEMPTS', 12, 1, 1000),
    retryBaseSeconds: int(env, 'HOOD_RETRY_BASE_SECONDS', 5, 1, 900),
    maxInFlight: int(env, 'HOOD_MAX_IN_FLIGHT', 10, 1, 10),
    startInFlight: Math.min(int(env, 'HOOD_START_IN_FLIGHT', 4, 1, 10), int(env, 'HOOD_MAX_IN_FLIGHT', 10, 1, 10)),
    parallelProbeMs: int(env, 'HOOD_PARALLEL_PROBE_SECONDS', 300, 60, 86_400) * 1000,
    rateHeadroomPercent: int(env, 'HOOD_RATE_HEADROOM', 0, 0, 90),
    pacingTuningOff: tuningLayers(env, 'HOOD_PACING_TUNING_OFF'),
    rateLedger: rateLedgerConfig(env),
    dryRun: bool(env, 'HOOD_DRY_RUN', false),
  };
}

function tuningLayers(env: Env, name: string): TuningLayer[] {
  const names = list(env, name) ?? [];
  const unknown = names.filter((n) => !isTuningLayer(n));
  if (unknown.length > 0)
    throw new ConfigError(name, `names no tuning layer: ${unknown.join(', ')} (known: ${TUNING_LAYERS.join(', ')})`);
  return names.filter(isTuningLayer);
}

function rateLedgerConfig(env: Env): HoodConfig['rateLedger'] {
  const table = str(env, 'LEDGER_TABLE');
  if (table === undefined) return undefined;
  const endpoint = url(env, 'AWS_ENDPOINT_URL_DYNAMODB') ?? url(env, 'AWS_ENDPOINT_URL');
  return { table, endpoint, localCredentials: localCredentialsFor(env, endpoint) };
}

export interface ConsumerConfig {
  hood: HoodConfig;
  queues: QueueConfig;
  policy: PolicyConfig;
  /** Absent in hand-built configs (tests): the consumer then keeps no ledger at all. */
  ledger?: LedgerConfig;
}

export function loadConsumerConfig(env: Env = process.env): ConsumerConfig {
  return {
    hood: loadHoodConfig(env),
    queues: loadQueueConfig(env),
    policy: loadPolicyConfig(env),
    ledger: loadLedgerConfig(env),
  };
}

// ---------------------------------------------------------------------------------------------------
// Ledger (issue 11): LEDGER_TABLE, AWS_ENDPOINT_URL_DYNAMODB, LEDGER_HASH_KEY[_SECRET], LEDGER_BLOCKED_DAYS,
// LEDGER_HISTORY_DAYS, SOFT_BOUNCE_POLICY.

export type LedgerHashKeySource = { kind: 'value'; key: string } | { kind: 'secret'; secretId: string };

export interface SoftBouncePolicy {
  /** Soft bounces from distinct sent messages that block the address… */
  count: number;
  /** …when they fall within this period. */
  periodMs: number;
  /** The text as configured, e.g. `3/30d` (for logs and `why`). */
  text: string;
}

export interface LedgerConfig {
  /** DynamoDB table; undefined → in-memory state (one warning at cold start). */
  table: string | undefined;
  /** `AWS_ENDPOINT_URL_DYNAMODB` (the SDK reads it too; we need it for dummy local credentials). */
  endpoint: string | undefined;
  localCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  region: string;
  /**
   * Undefined without a table (the in-memory ledger then uses a random per-container key), and always in the
   * webhook's configuration: the internet-facing function never holds the contact key (see ReplayConfig).
   */
  hashKey: LedgerHashKeySource | undefined;
  blockedDays: number;
  historyDays: number;
  softBounce: SoftBouncePolicy | undefined;
}

const PERIOD_UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;
/** Shortest key accepted: 128 bits written as hex, or 22 base64 characters, leave no doubt about intent. */
export const MIN_LEDGER_HASH_KEY_LENGTH = 22;

/** `3/30d` → 3 soft bounces within 30 days (units `d`, `h`, `m`). */
export function parseSoftBouncePolicy(spec: string, variable = 'SOFT_BOUNCE_POLICY'): SoftBouncePolicy {
  const m = /^(\d+)\s*\/\s*(\d+)\s*(d|h|m)$/u.exec(spec.trim());
  if (!m) throw new ConfigError(variable, `"${spec}" is not N/period such as "3/30d" (units d, h, m)`);
  const count = Number(m[1]);
  const periodMs = Number(m[2]) * PERIOD_UNIT_MS[m[3] as keyof typeof PERIOD_UNIT_MS];
  if (!Number.isSafeInteger(count) || count < 1 || count > 1000)
    throw new ConfigError(variable, 'the count must be from 1 to 1000');
  if (!(periodMs >= 60_000) || periodMs > 3650 * 86_400_000)
    throw new ConfigError(variable, 'the period must be from 1m to 3650d');
  return { count, periodMs, text: `${count}/${m[2]}${m[3]}` };
}

/** `options.hashKey: false`: the webhook's view — table and policy, never the contact key (nor its check). */
export function loadLedgerConfig(env: Env = process.env, options: { hashKey?: boolean } = {}): LedgerConfig {
  const table = str(env, 'LEDGER_TABLE');
  if (table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/u.test(table)) {
    throw new ConfigError('LEDGER_TABLE', 'must be a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -');
  }
  const endpoint = url(env, 'AWS_ENDPOINT_URL_DYNAMODB') ?? url(env, 'AWS_ENDPOINT_URL');
  const key = str(env, 'LEDGER_HASH_KEY');
  const secretId = str(env, 'LEDGER_HASH_KEY_SECRET');
  if (key !== undefined && key.length < MIN_LEDGER_HASH_KEY_LENGTH) {
    throw new ConfigError(
      'LEDGER_HASH_KEY',
      `must be at least ${MIN_LEDGER_HASH_KEY_LENGTH} characters (a random secret)`,
    );
  }
  const source: LedgerHashKeySource | undefined =
    key !== undefined ? { kind: 'value', key } : secretId !== undefined ? { kind: 'secret', secretId } : undefined;
  const hashKey = options.hashKey === false ? undefined : source;
  if (table !== undefined && hashKey === undefined && options.hashKey !== false) {
    throw new ConfigError(
      'LEDGER_HASH_KEY',
      'is not set (set it, or LEDGER_HASH_KEY_SECRET to a Secrets Manager secret) while LEDGER_TABLE is set',
    );
  }
  const policy = str(env, 'SOFT_BOUNCE_POLICY');
  return {
    table,
    endpoint,
    localCredentials: localCredentialsFor(env, endpoint),
    region: str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    hashKey,
    blockedDays: int(env, 'LEDGER_BLOCKED_DAYS', 30, 0, 3650),
    historyDays: int(env, 'LEDGER_HISTORY_DAYS', 400, 1, 3650),
    softBounce: policy === undefined || policy.toLowerCase() === 'off' ? undefined : parseSoftBouncePolicy(policy),
  };
}

// ---------------------------------------------------------------------------------------------------
// Replay protection (issue 19): REPLAY_HASH_KEY[_SECRET] keys the webhook's one-time tokens (`r#` items), so
// that the internet-facing function never holds LEDGER_HASH_KEY, the key every contact is hashed with.

export type ReplayHashKeyVariable =
  | 'REPLAY_HASH_KEY'
  | 'REPLAY_HASH_KEY_SECRET'
  | 'LEDGER_HASH_KEY'
  | 'LEDGER_HASH_KEY_SECRET';

export interface ReplayConfig {
  /** `LEDGER_TABLE`: the tokens are items of the ledger table (`pk` = `r#…`, `sk` = `token`). */
  table: string;
  endpoint: string | undefined;
  localCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  region: string;
  hashKey: LedgerHashKeySource;
  /**
   * Where the key came from. `LEDGER_HASH_KEY[_SECRET]` only for a webhook configured before REPLAY_HASH_KEY
   * existed: it keeps working (a cold-start warning says to set REPLAY_HASH_KEY) instead of failing its start.
   */
  hashKeyVariable: ReplayHashKeyVariable;
}

/** Undefined without `LEDGER_TABLE`: each container then keeps its own replay cache in memory. */
export function loadReplayConfig(env: Env = process.env): ReplayConfig | undefined {
  const ledger = loadLedgerConfig(env, { hashKey: false });
  if (ledger.table === undefined) return undefined;
  const { table, endpoint, localCredentials, region } = ledger;
  const sources: Array<[ReplayHashKeyVariable, 'value' | 'secret']> = [
    ['REPLAY_HASH_KEY', 'value'],
    ['REPLAY_HASH_KEY_SECRET', 'secret'],
    ['LEDGER_HASH_KEY', 'value'],
    ['LEDGER_HASH_KEY_SECRET', 'secret'],
  ];
  for (const [variable, kind] of sources) {
    const v = str(env, variable);
    if (v === undefined) continue;
    if (kind === 'value' && v.length < MIN_LEDGER_HASH_KEY_LENGTH) {
      throw new ConfigError(variable, `must be at least ${MIN_LEDGER_HASH_KEY_LENGTH} characters (a random secret)`);
    }
    const hashKey: LedgerHashKeySource = kind === 'value' ? { kind, key: v } : { kind, secretId: v };
    return { table, endpoint, localCredentials, region, hashKey, hashKeyVariable: variable };
  }
  throw new ConfigError(
    'REPLAY_HASH_KEY',
    'is not set (set it, or REPLAY_HASH_KEY_SECRET to a Secrets Manager secret) while LEDGER_TABLE is set',
  );
}

/**
 * Per-provider webhook secrets by key, parsed as each provider module declares them. Configuration knows no
 * provider: the webhook's entry (lib/webhook/config.ts) hands the registry's declarations in.
 */
export type SecretsByKey = Readonly<Record<string, unknown>>;
/** Per-provider settings that are not secrets (a provider's signature method), by key. */
export type SettingsByKey = Readonly<Record<string, unknown>>;

export interface WebhookConfig {
  /** The ledger's table and policy (SOFT_BOUNCE_POLICY), without its hash key; absent in hand-built configs. */
  ledger?: LedgerConfig;
  /** Replay protection shared by every container when `LEDGER_TABLE` is set; absent: per container. */
  replay?: ReplayConfig;
  secrets: SecretsByKey;
  publicUrl: string | undefined;
  /** Per-provider settings that are not secrets, by key, parsed as each provider module declares them. */
  settings: SettingsByKey;
  /** How long `_PARAMETER` secrets read from SSM are used before they are read again (rotation without a deploy). */
  secretsRefreshMs: number;
  queues: QueueConfig;
  policy: PolicyConfig;
  maxBodyBytes: number;
}

/** What the webhook's entry hands in: reading the providers' secrets and settings as they declare them. */
export interface ProviderDeclarations {
  secrets(env: Env): SecretsByKey;
  settings(env: Env): SettingsByKey;
}

/** The webhook's configuration; the providers' own parts are read as the registry declares them. */
export function loadWebhookConfigWith(env: Env, providers: ProviderDeclarations): WebhookConfig {
  return {
    ledger: loadLedgerConfig(env, { hashKey: false }),
    replay: loadReplayConfig(env),
    secrets: providers.secrets(env),
    settings: providers.settings(env),
    publicUrl: url(env, 'WEBHOOK_PUBLIC_URL'),
    secretsRefreshMs: int(env, 'WEBHOOK_SECRETS_REFRESH_SECONDS', 300, 60, 86_400) * 1000,
    queues: loadQueueConfig(env),
    policy: loadPolicyConfig(env),
    maxBodyBytes: int(env, 'WEBHOOK_MAX_BODY_BYTES', 1024 * 1024, 1024, 6 * 1024 * 1024),
  };
}
