import { DynamoLedger } from '../lib/ledger/dynamo.js';
import { EVENT_IDS_QUOTING_CONTACTS } from '../lib/providers/index.js';
import { type CliIo, parseArgs, UsageError } from './shared/command.js';
import { openLedgerForCommand } from './shared/ledger.js';
import { writeJson, writeLine } from './shared/output.js';

export const HELP = `Usage: hood-blocker ledger-rekey [--local] [--json]

Once, after upgrading to a release with keyed event ids (CHANGELOG "Unreleased"): rewrites the ledger's
history items written by earlier releases, whose event ids were stored as the providers gave them (an
${EVENT_IDS_QUOTING_CONTACTS.join('; ')}). Each gets its event id keyed (e#…), and a
source that could be a contact keyed too (k#…); times, reasons and outcomes stay. Run it when no function
of the earlier release is left (after the deploy): items they write meanwhile would be missed. Safe to
run again, or to stop and run again: rewritten items are skipped.

It scans the whole table (an operator's command: it needs dynamodb:Scan and dynamodb:UpdateItem).

Ledger: as for "hood-blocker why" (LEDGER_TABLE + LEDGER_HASH_KEY[_SECRET], or --local).

Options:
  --stack NAME        the deployed stack's ledger table and hash-key secret (its outputs; set variables win)
  --region REGION     AWS region of the stack
  --local             the running "npm start" (.hood-blocker/local.json)
  --state-dir DIR     where "npm start" keeps local.json (default .hood-blocker)
  --json              {"scanned","rewritten"}
  -h, --help          this help

Exit codes: 0 done · 2 usage`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      local: { type: 'boolean' },
      'state-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('takes no arguments');
  const ledger = await openLedgerForCommand(values.local === true, values['state-dir'], io);
  const totals = { scanned: 0, rewritten: 0 };
  try {
    if (!(ledger instanceof DynamoLedger)) throw new UsageError('only a DynamoDB ledger keeps history between runs');
    for await (const page of ledger.rekeyHistory()) {
      totals.scanned += page.scanned;
      totals.rewritten += page.rewritten;
    }
  } finally {
    ledger.close();
  }
  if (values.json) writeJson(io.stdout, totals);
  else
    writeLine(
      io.stdout,
      `${totals.rewritten} history items rewritten with keyed event ids (${totals.scanned} items scanned)`,
    );
  return 0;
}
