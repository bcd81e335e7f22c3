import { DynamoLedger } from '../lib/ledger/dynamo.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlagsAndOperands } from './shared/parse-command.js';
import { LEDGER_COMMAND_HELP, LEDGER_COMMAND_OPTIONS, withLedger } from './shared/ledger-command.js';
import { writeJson, writeLine } from './shared/output.js';

export const HELP = `Usage: hood-blocker ledger-rekey [--local] [--json]

Once, after upgrading to a release with keyed event ids (CHANGELOG "Unreleased"): rewrites the ledger's
history items written by earlier releases, whose event ids were stored as the providers gave them (an
SES Subscription id quotes the recipient's name and address). Each gets its event id keyed (e#…), and a
source that could be a contact keyed too (k#…); times, reasons and outcomes stay. Run it when no function
of the earlier release is left (after the deploy): items they write meanwhile would be missed. Safe to
run again, or to stop and run again: rewritten items are skipped.

It scans the whole table (an operator's command: it needs dynamodb:Scan and dynamodb:UpdateItem).

Ledger: as for "hood-blocker why" (LEDGER_TABLE + LEDGER_HASH_KEY[_SECRET], or --local).

Options:
${LEDGER_COMMAND_HELP}
  --json              {"scanned","rewritten"}
  -h, --help          this help

Exit codes: 0 done · 2 usage`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, LEDGER_COMMAND_OPTIONS);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError('takes no arguments');
  const totals = { scanned: 0, rewritten: 0 };
  await withLedger(values, io, async (ledger) => {
    if (!(ledger instanceof DynamoLedger)) throw new UsageError('only a DynamoDB ledger keeps history between runs');
    for await (const page of ledger.rekeyHistory()) {
      totals.scanned += page.scanned;
      totals.rewritten += page.rewritten;
    }
  });
  if (values.json) writeJson(io.stdout, totals);
  else
    writeLine(
      io.stdout,
      `${totals.rewritten} history items rewritten with keyed event ids (${totals.scanned} items scanned)`,
    );
  return 0;
}
