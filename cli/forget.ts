import { maskContact } from '../lib/contact.js';
import { type CliIo, parseArgs } from './shared/command.js';
import { writeJson, writeLine } from './shared/output.js';
import { contactArgument, openLedgerForCommand } from './shared/ledger.js';

export const HELP = `Usage: hood-blocker forget <contact> [--local] [--json]

Clears the contact's blocked state (and its soft-bounce count) in the ledger, so its next opt-out goes
to Hood again (after an admin removed the block in Hood's UI, say). The history is kept, with a
"forgotten" line. This does not remove anything from Hood.

Ledger: as for "hood-blocker why" (LEDGER_TABLE + LEDGER_HASH_KEY[_SECRET], or --local).

Options:
  --stack NAME        the deployed stack's ledger table and hash-key secret (its outputs; set variables win)
  --region REGION     AWS region of the stack
  --local             the running "npm start" (.hood-blocker/local.json)
  --state-dir DIR     where "npm start" keeps local.json (default .hood-blocker)
  --json              {"contact","forgotten"}
  -h, --help          this help

Exit codes: 0 forgotten · 1 the ledger knows nothing of it · 2 usage`;

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
  const contact = contactArgument(positionals);
  const ledger = await openLedgerForCommand(values.local === true, values['state-dir'], io);
  let forgotten: boolean;
  try {
    forgotten = await ledger.forget(contact, {
      at: new Date().toISOString(),
      source: 'cli',
      reason: 'manual',
      outcome: 'forgotten',
    });
  } finally {
    ledger.close();
  }
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
