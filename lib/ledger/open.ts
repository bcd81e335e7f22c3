import { randomBytes } from 'node:crypto';
import { type Env, loadLedgerConfig } from '../config.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../local/state.js';
import { DynamoLedger } from './dynamo.js';
import { resolveHashKey, type SecretsSender } from './index.js';
import type { LocalDynamo } from './local.js';
import type { Ledger } from './types.js';

/** Why a ledger cannot be opened: the CLI prints it and exits 2. */
export class LedgerNotConfigured extends Error {}

/**
 * The ledger an operator's command reads: the running `npm start`'s (`--local`, from
 * `.hood-blocker/local.json`), or the deployed one from LEDGER_TABLE and LEDGER_HASH_KEY[_SECRET]
 * (the same values the functions use; otherwise every key would differ and nothing would be found).
 */
export async function openLedger(options: { local: boolean; stateDir?: string; env: Env; secrets?: SecretsSender }): Promise<Ledger> {
  if (options.local) {
    const read = readLocalState(options.stateDir ?? DEFAULT_STATE_DIR);
    if (!read.ok) throw new LedgerNotConfigured(read.message);
    const l = read.state.ledger;
    if (!l) throw new LedgerNotConfigured(`${read.path} has no ledger: the running "npm start" uses LEDGER_TABLE from its environment; run without --local with the same variables`);
    return new DynamoLedger({
      table: l.table,
      hashKey: l.hashKey,
      endpoint: l.endpoint,
      region: l.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...ledgerDays(options.env),
    });
  }
  const config = loadLedgerConfig(options.env);
  if (config.table === undefined) throw new LedgerNotConfigured('LEDGER_TABLE is not set (or pass --local for the ledger of "npm start")');
  return new DynamoLedger({
    table: config.table,
    hashKey: await resolveHashKey(config.hashKey!, options.secrets),
    endpoint: config.endpoint,
    region: config.region,
    credentials: config.localCredentials,
    blockedDays: config.blockedDays,
    historyDays: config.historyDays,
  });
}

function ledgerDays(env: Env): { blockedDays: number; historyDays: number } {
  const { blockedDays, historyDays } = loadLedgerConfig({ LEDGER_BLOCKED_DAYS: env.LEDGER_BLOCKED_DAYS, LEDGER_HISTORY_DAYS: env.LEDGER_HISTORY_DAYS });
  return { blockedDays, historyDays };
}

/**
 * `npm start`'s ledger: dynalite in this process with the table, and a hash key for this session
 * (nothing outlives the process, so nothing needs the same key later). Undefined when the operator
 * points `npm start` at a ledger of their own with LEDGER_TABLE.
 */
export async function startSessionLedger(env: Env): Promise<{ env: Record<string, string>; state: { endpoint: string; region: string; table: string; hashKey: string }; dynamo: LocalDynamo } | undefined> {
  if (env.LEDGER_TABLE?.trim()) return undefined;
  const { startLocalDynamo } = await import('./local.js');
  const dynamo = await startLocalDynamo({ table: 'hood-blocker-ledger', region: env.AWS_REGION?.trim() || 'us-east-1' });
  const hashKey = randomBytes(32).toString('base64url');
  return {
    dynamo,
    state: { endpoint: dynamo.endpoint, region: dynamo.region, table: dynamo.table, hashKey },
    env: { LEDGER_TABLE: dynamo.table, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, LEDGER_HASH_KEY: hashKey },
  };
}
