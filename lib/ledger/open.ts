import { type Env, LOCAL_CREDENTIALS, loadLedgerConfig } from '../config.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../../dev/state.js';
import { DynamoLedger } from './dynamo.js';
import { resolveHashKey, type SecretsSender } from './index.js';
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
      credentials: LOCAL_CREDENTIALS,
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
