import type { Ledger } from '../../lib/ledger/types.js';
import type { CliIo } from './command.js';
import { openLedgerForCommand } from './ledger.js';

/**
 * What the commands that work on the ledger alone (`why`, `forget`, `ledger-rekey`) share: their flags,
 * the help lines for where the ledger comes from, and the ledger opened for one use and closed after it.
 * `--stack` and `--region` are taken off by `main` before the command parses (its environment then names
 * the stack's ledger), so they are in the help and not in the options.
 */
export const LEDGER_COMMAND_OPTIONS = {
  json: { type: 'boolean' },
  local: { type: 'boolean' },
  'state-dir': { type: 'string' },
} as const;

export const LEDGER_COMMAND_HELP = [
  "  --stack NAME        the deployed stack's ledger table and hash-key secret (its outputs; set variables win)",
  '  --region REGION     AWS region of the stack',
  '  --local             the running "npm start" (.hood-blocker/local.json)',
  '  --state-dir DIR     where "npm start" keeps local.json (default .hood-blocker)',
].join('\n');

export interface LedgerFlags {
  local?: boolean | undefined;
  'state-dir'?: string | undefined;
}

/** Opens the ledger the flags name (a missing configuration is a usage error), runs `use`, and closes it. */
export async function withLedger<T>(flags: LedgerFlags, io: CliIo, use: (ledger: Ledger) => Promise<T>): Promise<T> {
  const ledger = await openLedgerForCommand(flags.local === true, flags['state-dir'], io);
  try {
    return await use(ledger);
  } finally {
    ledger.close();
  }
}
