import { randomUUID } from 'node:crypto';
import { loadHoodConfig, loadRateLimits, type RateWindow } from '../lib/config.js';
import { maskContact } from '../lib/contact.js';
import { createHoodClient, type HoodClient } from '../lib/hood/client.js';
import { resolveToken } from '../lib/hood/token.js';
import { createImportSource, IMPORT_PROVIDERS } from '../lib/providers/suppressions.js';
import { pageHoodList } from '../lib/import/hood-list.js';
import {
  type LedgerReconcileCounts,
  reconcile,
  type ReconcileCounts,
  reconcileLedger,
} from '../lib/import/reconcile.js';
import { importMessage } from '../lib/import/run.js';
import type { ImportProvider, SuppressionEntry } from '../lib/import/types.js';
import type { Ledger, LedgerBlockedEntry, LedgerEvent } from '../lib/ledger/types.js';
import { LedgerNotConfigured, openLedger, openLedgerForCommand } from './shared/ledger.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../dev/state.js';
import { encodeJsonBody } from '../lib/queue/encode.js';
import { type OutgoingMessage, sendMessages } from '../lib/queue/sqs.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlags } from './shared/parse-command.js';
import { createBulkQueueClient, resolveBulkQueue } from './shared/bulk-queue.js';
import { clearLine, isTty, rewriteLine, table, writeJson, writeLine } from './shared/output.js';
import { openPrivateFile, type PrivateFileWriter } from '../lib/private-file.js';
import { QUEUE_HELP, QUEUE_OPTIONS } from './shared/queues.js';
import { createSsmClient } from './shared/stack.js';
import { configOrUsage } from './shared/config-errors.js';
import { listsFromFlag, loadSuppressionConfig, sinceFromFlag } from './shared/suppression-flags.js';

export const HELP = `Usage: hood-blocker reconcile --from <provider|ledger> [options]

Pages through Hood's blocked contacts (GET …/blocked-contacts?read_gdpr_fields=true, page=N,M; at half the
account's rate, HOOD_RATE_LIMITS) and compares them with a provider's own suppression list:
  both         in the source and in Hood
  missing      in the source, not in Hood: people who said no and are still being contacted
  only in Hood blocked in Hood, not in the source (other sources, manual entries)

With --from ledger the source is the ledger's blocked contacts, matched to Hood's by the ledger's keyed
hash (the ledger holds no contact in clear, so its missing contacts are known masked, with Hood's id if
one was recorded): "missing" are contacts the ledger says are blocked and Hood lacks (an admin removed
them in Hood, say) — their next opt-out is skipped as already blocked. --repair clears their ledger
state (history kept, as "forget" does) so that the next opt-out goes to Hood again. Reading the ledger
scans the whole table (paginated; billed per item read; the role needs dynamodb:Scan). A contact
blocked while the listing runs may show as missing: --repair then costs it one Hood call, nothing more.

Options:
  --from SOURCE       ${IMPORT_PROVIDERS.join(', ')} (credentials and URLs as for "import"), or ledger
                      (LEDGER_TABLE + LEDGER_HASH_KEY[_SECRET], or --local for "npm start"'s)
  --types a,b         which of the provider's lists (as for "import")
  --since DATE        only the source's suppressions from this date on
  --enqueue-missing   queue the missing contacts on the bulk queue (as "import" would); when a ledger is
                      configured (LEDGER_TABLE, or --local), their stale ledger state is cleared first
  --repair            (--from ledger) clear the ledger state of the missing contacts
  --out FILE.csv      write the missing contacts to a CSV file (masked: j***@e***.com)
  --reveal            write them in clear instead. WARNING: the file then holds personal data (addresses
                      and numbers of people who opted out); keep it out of tickets, chats and shared drives.
                      Not with --from ledger: the ledger has no contact in clear
  --page-size N       Hood list page size (default 100)
  --local             the pipeline started by "npm start": its sandbox Hood, bulk queue and ledger
  --json              print the result as one JSON object
  -h, --help          this help

${QUEUE_HELP}

Exit codes: 0 nothing missing (or all missing queued / repaired) · 1 contacts missing, or a failure · 2 usage`;

const QUEUE_FLUSH = 100;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, io, HELP, {
    ...QUEUE_OPTIONS,
    from: { type: 'string' },
    types: { type: 'string' },
    since: { type: 'string' },
    'enqueue-missing': { type: 'boolean' },
    repair: { type: 'boolean' },
    out: { type: 'string' },
    reveal: { type: 'boolean' },
    'page-size': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const from = values.from?.trim().toLowerCase();
  if (from === undefined) throw new UsageError(`--from is needed: ${IMPORT_PROVIDERS.join(', ')} or ledger`);
  const pageSize = values['page-size'] === undefined ? 100 : Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
    throw new UsageError('--page-size must be an integer from 1 to 1000');
  if (from === 'ledger') return runLedger(values, pageSize, io);
  if (values.repair)
    throw new UsageError('--repair is for --from ledger; with a provider, --enqueue-missing queues what Hood lacks');
  if (!IMPORT_PROVIDERS.includes(from as ImportProvider))
    throw new UsageError(`--from "${values.from}": one of ${IMPORT_PROVIDERS.join(', ')}, ledger`);
  if (values.reveal && values.out === undefined) throw new UsageError('--reveal only applies to --out FILE');
  const provider = from as ImportProvider;
  const since = sinceFromFlag(values.since);
  const json = values.json === true;

  const { policy, config } = await loadSuppressionConfig(provider, io.env);
  const source = createImportSource(config, { includeGroupUnsubscribes: policy.blockReasons.has('group_unsubscribe') });
  const types = listsFromFlag(values.types, source, provider);

  const hood = await connectHood(values.local === true, values['state-dir'] ?? DEFAULT_STATE_DIR, io);
  const bulk = values['enqueue-missing'] ? await resolveBulkQueue(values, io.env) : undefined;
  if (values['enqueue-missing'] && bulk === undefined)
    throw new UsageError('--enqueue-missing needs a queue: --local, --queue-url URL, --stack NAME or BULK_QUEUE_URL');
  if (bulk?.warning) writeLine(io.stderr, `hood-blocker reconcile: ${bulk.warning}`);
  // Missing from Hood but perhaps "blocked" in the ledger (an admin removed them in Hood): the consumer
  // would skip them as already blocked, so their ledger state goes before they are queued.
  const ledger = values['enqueue-missing']
    ? await optionalLedger(values.local === true, values['state-dir'], io)
    : undefined;
  const sqs = bulk ? createBulkQueueClient(bulk, io.env) : undefined;
  let cleared = 0;

  // 0600 even over an existing file: with --reveal it holds contacts in clear.
  let out: PrivateFileWriter | undefined;
  if (values.out !== undefined) {
    out = openPrivateFile(values.out);
    out.write('contact,reason,list,provider_reason,occurred_at\n');
  }
  const pending: OutgoingMessage[] = [];
  let queued = 0;
  const flush = async () => {
    if (!sqs || !bulk || pending.length === 0) return;
    const batch = pending.splice(0, pending.length);
    await sendMessages(sqs, bulk.queueUrl, batch);
    queued += batch.length;
  };
  const showProgress = !json && isTty(io.stderr);
  let error: string | undefined;
  let counts: ReconcileCounts | undefined;
  try {
    counts = await reconcile({
      hoodPages: pageHoodList({ client: hood.client, rateLimits: hood.rateLimits, pageSize }),
      source,
      page: { types: source.lists.filter((l) => types.includes(l)), since, until: new Date() },
      onMissing: async (contact: string, entry: SuppressionEntry) => {
        out?.write(
          `${csv(values.reveal ? contact : maskContact(contact))},${entry.reason},${csv(entry.list)},${csv(entry.providerReason)},${entry.occurredAt ?? ''}\n`,
        );
        if (sqs && policy.blockReasons.has(entry.reason)) {
          if (ledger && (await ledger.forget(contact, forgottenByReconcile(provider)))) cleared += 1;
          pending.push({
            body: encodeJsonBody(importMessage(provider, entry, contact)),
            attributes: { correlation_id: randomUUID(), lane: 'bulk' },
          });
          if (pending.length >= QUEUE_FLUSH) await flush();
        }
      },
      onProgress: (c) => {
        if (showProgress)
          rewriteLine(
            io.stderr,
            `Hood: ${c.hood} contacts (${c.hoodPages} pages) · source: ${c.source} · both ${c.both} · missing ${c.missing}`,
          );
      },
    });
    await flush();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    if (showProgress) clearLine(io.stderr);
    const outError = await closeOut(out);
    error ??= outError;
    await hood.client.close();
    sqs?.destroy();
    source.close?.();
    ledger?.close();
  }

  const result = {
    from: provider,
    ...hoodCounts(counts),
    source: counts?.source ?? null,
    ...comparedCounts(counts),
    sourceInvalid: counts?.sourceInvalid ?? null,
    queued,
    ledgerCleared: ledger ? cleared : null,
    queueUrl: bulk?.queueUrl ?? null,
    out: values.out ?? null,
    revealed: values.reveal === true,
    ...(error !== undefined ? { error } : {}),
  };
  if (json) writeJson(io.stdout, result);
  else if (counts) {
    writeLine(
      io.stdout,
      table([
        hoodRow(counts),
        [provider, `${counts.source} contacts (${types.join(', ')})`],
        ['both', String(counts.both)],
        [
          'missing',
          `${counts.missing} in ${provider}, not in Hood${counts.missing > 0 ? ': still being contacted' : ''}`,
        ],
        ['only in Hood', String(counts.onlyInHood)],
        ...(sqs
          ? ([
              [
                'queued',
                `${queued} on ${bulk!.queueUrl}${ledger ? ` (stale ledger state cleared for ${cleared})` : ''}`,
              ],
            ] as [string, string][])
          : []),
        ...(values.out
          ? ([['written', `${values.out}${values.reveal ? ' (IN CLEAR: personal data)' : ' (masked)'}`]] as [
              string,
              string,
            ][])
          : []),
      ]),
    );
  }
  if (error !== undefined && !json) writeLine(io.stderr, `hood-blocker reconcile: ${error}`);
  if (counts && counts.hoodUnreadable > 0 && counts.hood === 0 && !json) {
    writeLine(
      io.stderr,
      'hood-blocker reconcile: Hood returned no readable contact: may the token read GDPR fields (read_gdpr_fields=true)?',
    );
  }
  if (error !== undefined) return 1;
  return counts!.missing === 0 || (values['enqueue-missing'] === true && queued === counts!.missing) ? 0 : 1;
}

type Values = Record<string, string | boolean | undefined>;

/** `--from ledger`: Hood's list against the ledger's blocked contacts. */
async function runLedger(values: Values, pageSize: number, io: CliIo): Promise<number> {
  if (values.reveal)
    throw new UsageError(
      '--reveal does not apply to --from ledger: the ledger holds no contact in clear, only its keyed hash and masked form',
    );
  if (values['enqueue-missing'])
    throw new UsageError(
      '--enqueue-missing needs contacts in clear (a provider source); with --from ledger, --repair clears their ledger state',
    );
  if (values.types !== undefined || values.since !== undefined)
    throw new UsageError('--types and --since are for a provider source');
  const json = values.json === true;
  const repair = values.repair === true;
  const local = values.local === true;
  const stateDir = typeof values['state-dir'] === 'string' ? values['state-dir'] : undefined;
  const ledger = await openLedgerForCommand(local, stateDir, io);
  let hood: Awaited<ReturnType<typeof connectHood>>;
  try {
    hood = await connectHood(local, stateDir ?? DEFAULT_STATE_DIR, io);
  } catch (error) {
    ledger.close();
    throw error;
  }
  const outFile = typeof values.out === 'string' ? values.out : undefined;
  let out: PrivateFileWriter | undefined;
  if (outFile !== undefined) {
    out = openPrivateFile(outFile);
    out.write('contact,hood_id,blocked_at\n');
  }
  // Repairs wait for the full comparison: a Hood list that could not be read in full (or not in clear)
  // must not make every contact look missing and clear the whole ledger.
  const missing: LedgerBlockedEntry[] = [];
  const showProgress = !json && isTty(io.stderr);
  let error: string | undefined;
  let counts: LedgerReconcileCounts | undefined;
  let repaired = 0;
  try {
    counts = await reconcileLedger({
      hoodPages: pageHoodList({ client: hood.client, rateLimits: hood.rateLimits, pageSize }),
      ledger,
      onMissing: (entry) => {
        out?.write(`${csv(entry.masked)},${csv(entry.hoodId ?? '')},${new Date(entry.blockedAt).toISOString()}\n`);
        if (repair) missing.push({ key: entry.key, masked: entry.masked, blockedAt: entry.blockedAt });
      },
      onProgress: (c) => {
        if (showProgress)
          rewriteLine(
            io.stderr,
            `Hood: ${c.hood} contacts (${c.hoodPages} pages) · ledger: ${c.ledger} blocked · both ${c.both} · missing ${c.missing}`,
          );
      },
    });
    if (repair && counts.hoodUnreadable > 0) {
      error = `not repaired: Hood returned ${counts.hoodUnreadable} rows without a readable contact (may the token read GDPR fields?), so "missing" may be wrong`;
    } else if (repair) {
      for (const entry of missing) {
        if (await ledger.forgetKey(entry.key, forgottenByReconcile('ledger'))) repaired += 1;
      }
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    if (showProgress) clearLine(io.stderr);
    const outError = await closeOut(out);
    error ??= outError;
    await hood.client.close();
    ledger.close();
  }
  const result = {
    from: 'ledger',
    ...hoodCounts(counts),
    ledger: counts?.ledger ?? null,
    ...comparedCounts(counts),
    repaired,
    out: outFile ?? null,
    ...(error !== undefined ? { error } : {}),
  };
  if (json) writeJson(io.stdout, result);
  else if (counts) {
    writeLine(
      io.stdout,
      table([
        hoodRow(counts),
        ['ledger', `${counts.ledger} blocked contacts`],
        ['both', String(counts.both)],
        [
          'missing',
          `${counts.missing} blocked in the ledger, not in Hood${counts.missing > 0 ? ': their opt-outs are skipped while Hood still contacts them' : ''}`,
        ],
        ['only in Hood', String(counts.onlyInHood)],
        ...(repair
          ? ([['repaired', `${repaired} (ledger state cleared; their next opt-out goes to Hood)`]] as [
              string,
              string,
            ][])
          : []),
        ...(outFile ? ([['written', `${outFile} (masked)`]] as [string, string][]) : []),
      ]),
    );
    if (counts.missing > 0 && !repair)
      writeLine(io.stdout, '\nRun again with --repair to clear their ledger state (history kept).');
  }
  if (error !== undefined && !json) writeLine(io.stderr, `hood-blocker reconcile: ${error}`);
  if (error !== undefined) return 1;
  return counts!.missing === 0 || (repair && repaired === counts!.missing) ? 0 : 1;
}

/** Both comparisons' counts of Hood's side (null when the comparison did not finish). */
function hoodCounts(counts: ReconcileCounts | LedgerReconcileCounts | undefined) {
  return { hood: counts?.hood ?? null, hoodUnreadable: counts?.hoodUnreadable ?? null };
}

/** Both comparisons' outcome counts (null when the comparison did not finish). */
function comparedCounts(counts: ReconcileCounts | LedgerReconcileCounts | undefined) {
  return { both: counts?.both ?? null, missing: counts?.missing ?? null, onlyInHood: counts?.onlyInHood ?? null };
}

/** The "Hood" line of both summaries. */
function hoodRow(counts: ReconcileCounts | LedgerReconcileCounts): [string, string] {
  return [
    'Hood',
    `${counts.hood} blocked contacts${counts.hoodUnreadable ? ` (+${counts.hoodUnreadable} unreadable: masked or not a contact)` : ''}`,
  ];
}

/** The history line of a contact whose stale ledger state reconcile cleared, naming what it compared with. */
function forgottenByReconcile(source: string): LedgerEvent {
  return {
    at: new Date().toISOString(),
    source: 'cli',
    reason: 'reconcile',
    outcome: 'forgotten',
    eventId: `reconcile:${source}`,
  };
}

/**
 * The ledger whose stale state `--enqueue-missing` clears: the deployed one (LEDGER_TABLE) or `--local`'s;
 * none when neither is configured (the consumers then keep only a per-container memory, nothing stale).
 */
async function optionalLedger(local: boolean, stateDir: string | undefined, io: CliIo): Promise<Ledger | undefined> {
  if (!local && !io.env.LEDGER_TABLE?.trim()) return undefined;
  try {
    return await openLedger({ local, stateDir, env: io.env });
  } catch (error) {
    if (!(error instanceof LedgerNotConfigured)) throw error;
    if (local && io.env.LEDGER_TABLE?.trim()) return openLedgerForCommand(false, stateDir, io);
    if (local) return undefined;
    throw new UsageError(error.message);
  }
}

async function connectHood(
  local: boolean,
  stateDir: string,
  io: CliIo,
): Promise<{ client: HoodClient; rateLimits: RateWindow[] }> {
  const rateLimits = loadRateLimits(io.env);
  if (local) {
    const read = readLocalState(stateDir);
    if (!read.ok) throw new UsageError(read.message, 1);
    if (read.state.hood.sandbox && read.state.hood.token) {
      return {
        client: createHoodClient({
          apiUrl: read.state.hood.url,
          token: read.state.hood.token,
          requestTimeoutMs: 10_000,
        }),
        rateLimits,
      };
    }
  }
  const config = configOrUsage(() => loadHoodConfig(io.env));
  // The SSM client of this command's environment: its region (--stack/--region) and endpoint.
  const ssmClient = config.token.kind === 'ssm' ? await createSsmClient(io.env) : undefined;
  const token = await resolveToken(config.token, ssmClient ? { ssmClient } : {});
  return {
    client: createHoodClient({ apiUrl: config.apiUrl, token, requestTimeoutMs: config.requestTimeoutMs }),
    rateLimits: config.rateLimits,
  };
}

/** RFC 4180 field; a leading = - @ (or + not starting a phone number) is prefixed so that a spreadsheet never runs it as a formula. */
function csv(value: string): string {
  const safe = /^(=|\+(?!\d)|-|@|\t|\r)/u.test(value) ? `'${value}` : value;
  return /[",\n\r]/u.test(safe) ? `"${safe.replace(/"/gu, '""')}"` : safe;
}

/** Closes `--out` (renaming it into place); the failure as the command's error, so cleanup still runs. */
async function closeOut(out: PrivateFileWriter | undefined): Promise<string | undefined> {
  try {
    await out?.close();
    return undefined;
  } catch (error) {
    return `--out could not be written (${error instanceof Error ? error.message : String(error)})`;
  }
}
