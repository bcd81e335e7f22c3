import { maskContact } from '../lib/contact.js';
import type { LedgerStory } from '../lib/ledger/index.js';
import { EVENT_ID_EXAMPLES } from '../lib/providers/index.js';
import { contactArgument } from './shared/ledger.js';
import { LEDGER_COMMAND_HELP, LEDGER_COMMAND_OPTIONS, withLedger } from './shared/ledger-command.js';
import type { CliIo } from './shared/command.js';
import { parseFlagsAndOperands } from './shared/parse-command.js';
import { writeJson, writeLine } from './shared/output.js';

export const HELP = `Usage: hood-blocker why <contact> [--event ID] [--json] [--local]

The ledger's story of one contact, newest event last: when it opted out, from which event, what the
pipeline decided, and Hood's id once blocked. The contact is looked up by its keyed hash (any writing of
it: case, display name, an IDN domain as U-label or A-label) and shown masked: the ledger holds no
contact in clear text. Event ids are kept keyed too (EVENT column, e#…): the same provider event id
always gives the same one, and --event finds it.

Ledger: LEDGER_TABLE with LEDGER_HASH_KEY or LEDGER_HASH_KEY_SECRET (the functions' values),
AWS_ENDPOINT_URL_DYNAMODB for a local endpoint; or --local for the ledger of the running "npm start".

Options:
  --json              {"contact","status","hoodId"?,"events":[{"at","source","reason","outcome","eventId"?}]}
  --event ID          only the events of this provider event id (${EVENT_ID_EXAMPLES.join(', ')}…)
${LEDGER_COMMAND_HELP}
  -h, --help          this help

Exit codes: 0 found · 1 the ledger knows nothing of it · 2 usage`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, { ...LEDGER_COMMAND_OPTIONS, event: { type: 'string' } });
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const contact = contactArgument(positionals);
  const story = await withLedger(values, io, async (ledger): Promise<LedgerStory | undefined> => {
    const found = await ledger.why(contact);
    const event = values.event;
    if (found === undefined || event === undefined) return found;
    return { ...found, events: found.events.filter((e) => e.eventId === ledger.eventKey(event)) };
  });
  if (values.json) {
    writeJson(io.stdout, story ?? { contact: maskContact(contact), status: 'not_blocked', events: [] });
  } else if (story === undefined) {
    writeLine(io.stdout, `${maskContact(contact)}: the ledger knows nothing of this contact`);
  } else {
    printStory(io, story);
  }
  return story === undefined ? 1 : 0;
}

/** The one positional argument, normalised as the pipeline does (so the keyed hash matches). */
function printStory(io: CliIo, story: LedgerStory): void {
  writeLine(io.stdout, `contact  ${story.contact}`);
  writeLine(io.stdout, `status   ${story.status}${story.hoodId ? ` (Hood id ${story.hoodId})` : ''}`);
  if (story.events.length === 0) return;
  const rows = [
    ['AT', 'SOURCE', 'REASON', 'OUTCOME', 'EVENT'],
    ...story.events.map((e) => [e.at, e.source, e.reason, e.outcome, e.eventId ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  writeLine(io.stdout);
  for (const r of rows)
    writeLine(
      io.stdout,
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}
