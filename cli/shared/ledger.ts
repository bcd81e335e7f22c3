import { type Env, LOCAL_CREDENTIALS, loadLedgerConfig } from '../../lib/config.js';
import { normaliseContact } from '../../lib/contact.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../../dev/state.js';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { resolveHashKey, type SecretsSender } from '../../lib/ledger/index.js';
import type { Ledger } from '../../lib/ledger/types.js';
import { type CliIo, UsageError } from './command.js';
import { createSecretsClient } from './stack.js';

/** Why a ledger cannot be opened: the CLI prints it and exits 2. */
export class LedgerNotConfigured extends Error {}

/**
 * The ledger an operator's command reads: the running `npm start`'s (`--local`, from
 * `.hood-blocker/local.json`), or the deployed one from LEDGER_TABLE and LEDGER_HASH_KEY[_SECRET]
 * (the same values the functions use; otherwise every key would differ and nothing would be found).
 */
export async function openLedger(options: {
  local: boolean;
  stateDir?: string;
  env: Env;
  secrets?: SecretsSender;
}): Promise<Ledger> {
  if (options.local) {
    const read = readLocalState(options.stateDir ?? DEFAULT_STATE_DIR);
    if (!read.ok) throw new LedgerNotConfigured(read.message);
    const l = read.state.ledger;
    if (!l)
      throw new LedgerNotConfigured(
        `${read.path} has no ledger: the running "npm start" uses LEDGER_TABLE from its environment; run without --local with the same variables`,
      );
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
  if (config.table === undefined)
    throw new LedgerNotConfigured(
      'LEDGER_TABLE is not set (pass --stack NAME for a deployed stack, or --local for the ledger of "npm start")',
    );
  let hashKey: string;
  if (config.hashKey!.kind === 'secret' && options.secrets === undefined) {
    // The CLI's own client: region, endpoint and keys from the command's environment (--stack, a stand-in).
    const secrets = await createSecretsClient(options.env, config.region);
    try {
      hashKey = await resolveHashKey(config.hashKey!, secrets as unknown as SecretsSender);
    } finally {
      secrets.destroy();
    }
  } else {
    hashKey = await resolveHashKey(config.hashKey!, options.secrets);
  }
  return new DynamoLedger({
    table: config.table,
    hashKey,
    endpoint: config.endpoint,
    region: config.region,
    credentials: config.localCredentials,
    blockedDays: config.blockedDays,
    historyDays: config.historyDays,
  });
}

function ledgerDays(env: Env): { blockedDays: number; historyDays: number } {
  const { blockedDays, historyDays } = loadLedgerConfig({
    LEDGER_BLOCKED_DAYS: env.LEDGER_BLOCKED_DAYS,
    LEDGER_HISTORY_DAYS: env.LEDGER_HISTORY_DAYS,
  });
  return { blockedDays, historyDays };
}

/** The one contact argument of `why`/`forget`, normalised as the consumer normalises contacts. */
export function contactArgument(positionals: readonly string[]): string {
  if (positionals.length !== 1)
    throw new UsageError('expected exactly one contact (an email address or a phone number)');
  const normalised = normaliseContact(positionals[0]);
  if (!normalised.ok) throw new UsageError(`not an email address or a phone number: ${normalised.detail}`);
  return normalised.contact;
}

/** The ledger for `why`/`forget`; a missing configuration is the user's to fix (exit 2). */
export async function openLedgerForCommand(local: boolean, stateDir: string | undefined, io: CliIo) {
  try {
    return await openLedger({ local, stateDir, env: io.env });
  } catch (error) {
    if (error instanceof LedgerNotConfigured) throw new UsageError(error.message);
    throw error;
  }
}
