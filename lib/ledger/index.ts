import type { LedgerConfig, LedgerHashKeySource } from '../config.js';
import { ConfigError } from '../errors.js';
import { MemoryLedger } from './memory.js';
import { type Ledger, LedgerUnavailableError, type ReplayStore } from './types.js';

export { LedgerKeys, statusOf } from './keys.js';
export { MemoryLedger } from './memory.js';
export {
  type BlockedMark,
  type ClaimResult,
  isLedgerUnavailable,
  type Ledger,
  type LedgerBlockedEntry,
  type LedgerEvent,
  type LedgerStatus,
  type LedgerStory,
  LedgerUnavailableError,
  type ReplayStore,
} from './types.js';

export interface LedgerLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Anything that can `send` a GetSecretValue command: the real client, or a test double. */
export interface SecretsSender {
  send(command: unknown): Promise<{ SecretString?: string }>;
}

export interface CreateLedgerOptions {
  logger?: LedgerLogger;
  clock?: () => number;
  secrets?: SecretsSender;
}

/**
 * The ledger a handler uses, built once at cold start: DynamoDB when `LEDGER_TABLE` is set (the SDK and,
 * for `LEDGER_HASH_KEY_SECRET`, the Secrets Manager client are imported only then), in-memory otherwise
 * with one warning.
 */
export async function createLedger(config: LedgerConfig, options: CreateLedgerOptions = {}): Promise<Ledger> {
  if (config.table === undefined) {
    options.logger?.warn(
      'LEDGER_TABLE is not set: de-duplication and replay protection are per container and lost on a cold start',
      {
        ledger: 'memory',
      },
    );
    return new MemoryLedger({ blockedDays: config.blockedDays, historyDays: config.historyDays, clock: options.clock });
  }
  const hashKey = await resolveHashKey(config.hashKey!, options.secrets);
  const { DynamoLedger } = await import('./dynamo.js');
  return new DynamoLedger({
    table: config.table,
    hashKey,
    blockedDays: config.blockedDays,
    historyDays: config.historyDays,
    region: config.region,
    endpoint: config.endpoint,
    credentials: config.localCredentials,
    clock: options.clock,
  });
}

/**
 * `LEDGER_HASH_KEY`, or the secret named by `LEDGER_HASH_KEY_SECRET` (read once; the stack generates it
 * with GenerateSecretString, a plain string; a JSON `{"key": "…"}` is accepted too). Errors name the
 * variable, never the value.
 */
export async function resolveHashKey(
  source: LedgerHashKeySource,
  secrets?: SecretsSender,
  variable = 'LEDGER_HASH_KEY_SECRET',
): Promise<string> {
  if (source.kind === 'value') return source.key;
  const sm = await import('@aws-sdk/client-secrets-manager');
  const client: SecretsSender = secrets ?? (new sm.SecretsManagerClient({}) as unknown as SecretsSender);
  let value: string | undefined;
  try {
    value = (await client.send(new sm.GetSecretValueCommand({ SecretId: source.secretId }))).SecretString;
  } catch (error) {
    throw new ConfigError(variable, `could not be read (${error instanceof Error ? error.name : 'Error'})`);
  }
  if (value?.trim().startsWith('{')) {
    try {
      const parsed = JSON.parse(value) as { key?: unknown };
      value = typeof parsed.key === 'string' ? parsed.key : undefined;
    } catch {
      value = undefined;
    }
  }
  if (value === undefined || value.trim().length < 22) {
    throw new ConfigError(variable, 'the secret holds no key of at least 22 characters');
  }
  return value.trim();
}

/** The webhook ingress's replay store on the ledger: one-time values shared by every container. */
export function ledgerReplayStore(ledger: Pick<Ledger, 'claimToken' | 'releaseToken'>, namespace: string): ReplayStore {
  return {
    claim: (key, ttlMs) => ledger.claimToken(`${namespace}:${key}`, ttlMs),
    release: (key) => ledger.releaseToken(`${namespace}:${key}`),
  };
}

/**
 * A replay store that opens the ledger at its first use (the webhook handler is built synchronously;
 * a failed opening is retried at the next request rather than cached).
 */
export function lazyLedgerReplayStore(config: LedgerConfig, options: CreateLedgerOptions = {}): ReplayStore {
  let opening: Promise<Ledger> | undefined;
  const ledger = async () => {
    opening ??= createLedger(config, options).catch((error: unknown) => {
      opening = undefined;
      throw new LedgerUnavailableError('open', error);
    });
    return opening;
  };
  return {
    claim: async (key, ttlMs) => ledgerReplayStore(await ledger(), 'webhook').claim(key, ttlMs),
    release: async (key) => ledgerReplayStore(await ledger(), 'webhook').release(key),
  };
}
