import { maskContact } from '../lib/contact.js';
import type { LedgerStory } from '../lib/ledger/index.js';
import { EVENT_ID_EXAMPLES } from '../lib/providers/index.js';
import { contactArgument, openLedgerForCommand } from './shared/ledger.js';
import { type CliIo, parseArgs } from './shared/command.js';
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
  --stack NAME        the deployed stack's ledger table and hash-key secret (its outputs; set variables win)
  --region REGION     AWS region of the stack
  --local             the running "npm start" (.hood-blocker/local.json)
  --state-dir DIR     where "npm start" keeps local.json (default .hood-blocker)
  -h, --help          this help

Exit codes: 0 found · 1 the ledger knows nothing of it · 2 usage`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      event: { type: 'string' },
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
  let story: LedgerStory | undefined;
  const ledger = await openLedgerForCommand(values.local === true, values['state-dir'], io);
  try {
    story = await ledger.why(contact);
    const event = values.event;
    if (story !== undefined && event !== undefined) {
      story = { ...story, events: story.events.filter((e) => e.eventId === ledger.eventKey(event)) };
    }
  } finally {
    ledger.close();
  }
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
