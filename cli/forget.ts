import { maskContact } from '../lib/contact.js';
import type { CliIo } from './shared/command.js';
import { parseFlagsAndOperands } from './shared/parse-command.js';
import { writeJson, writeLine } from './shared/output.js';
import { contactArgument } from './shared/ledger.js';
import { LEDGER_COMMAND_HELP, LEDGER_COMMAND_OPTIONS, withLedger } from './shared/ledger-command.js';

export const HELP = `Usage: hood-blocker forget <contact> [--local] [--json]

Clears the contact's blocked state (and its soft-bounce count) in the ledger, so its next opt-out goes
to Hood again (after an admin removed the block in Hood's UI, say). The history is kept, with a
"forgotten" line. This does not remove anything from Hood.

Ledger: as for "hood-blocker why" (LEDGER_TABLE + LEDGER_HASH_KEY[_SECRET], or --local).

Options:
${LEDGER_COMMAND_HELP}
  --json              {"contact","forgotten"}
  -h, --help          this help

Exit codes: 0 forgotten · 1 the ledger knows nothing of it · 2 usage`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, LEDGER_COMMAND_OPTIONS);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const contact = contactArgument(positionals);
  const forgotten = await withLedger(values, io, (ledger) =>
    ledger.forget(contact, {
      at: new Date().toISOString(),
      source: 'cli',
      reason: 'manual',
      outcome: 'forgotten',
    }),
  );
  const masked = maskContact(contact);
  if (values.json) writeJson(io.stdout, { contact: masked, forgotten });
  else
    writeLine(
      io.stdout,
      forgotten
        ? `${masked}: blocked state cleared (history kept); its next opt-out goes to Hood`
        : `${masked}: the ledger knows nothing of this contact`,
    );
  return forgotten ? 0 : 1;
}
