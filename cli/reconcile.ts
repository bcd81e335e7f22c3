import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { DEFAULT_RATE_LIMITS, loadHoodConfig, loadPolicyConfig, parseRateLimits } from '../lib/config.js';
import { maskContact } from '../lib/contact.js';
import { createHoodClient, type HoodClient } from '../lib/hood/client.js';
import { resolveToken } from '../lib/hood/token.js';
import { loadImportConfig } from '../lib/import/config.js';
import { pageHoodList } from '../lib/import/hood-list.js';
import { reconcile, type ReconcileCounts } from '../lib/import/reconcile.js';
import { importMessage } from '../lib/import/run.js';
import { createImportSource } from '../lib/import/sources.js';
import { IMPORT_PROVIDERS, type ImportProvider, type SuppressionEntry } from '../lib/import/types.js';
import { DEFAULT_STATE_DIR, readLocalState } from '../lib/local/state.js';
import { type OutgoingMessage, sendMessages } from '../lib/queue/sqs.js';
import { type CliIo, parseArgs, UsageError } from './main.js';
import { createBulkQueueClient, resolveBulkQueue } from './shared/bulk-queue.js';
import { clearLine, isTty, rewriteLine, table, writeJson, writeLine } from './shared/output.js';
import { QUEUE_HELP, QUEUE_OPTIONS } from './shared/queues.js';

export const HELP = `Usage: hood-blocker reconcile --from <provider|ledger> [options]

Pages through Hood's blocked contacts (GET …/blocked-contacts?read_gdpr_fields=true, page=N,M; at half the
account's rate, HOOD_RATE_LIMITS) and compares them with a provider's own suppression list:
  both         in the source and in Hood
  missing      in the source, not in Hood: people who said no and are still being contacted
  only in Hood blocked in Hood, not in the source (other sources, manual entries)

Options:
  --from SOURCE       ${IMPORT_PROVIDERS.join(', ')} (credentials and URLs as for "import"), or ledger
  --types a,b         which of the provider's lists (as for "import")
  --since DATE        only the source's suppressions from this date on
  --enqueue-missing   queue the missing contacts on the bulk queue (as "import" would)
  --out FILE.csv      write the missing contacts to a CSV file (masked: j***@e***.com)
  --reveal            write them in clear instead. WARNING: the file then holds personal data (addresses
                      and numbers of people who opted out); keep it out of tickets, chats and shared drives
  --page-size N       Hood list page size (default 100)
  --local             the pipeline started by "npm start": its sandbox Hood and its bulk queue
  --json              print the result as one JSON object
  -h, --help          this help

${QUEUE_HELP}

Exit codes: 0 nothing missing (or all missing queued) · 1 contacts missing, or a failure · 2 usage`;

const QUEUE_FLUSH = 100;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  const from = values.from?.trim().toLowerCase();
  if (from === undefined) throw new UsageError(`--from is needed: ${IMPORT_PROVIDERS.join(', ')} or ledger`);
  if (from === 'ledger') {
    throw new UsageError('--from ledger needs the ledger (LEDGER_TABLE), which this build does not include yet; compare with a provider: --from ses|sendgrid|…');
  }
  if (values.repair) throw new UsageError('--repair is for --from ledger; with a provider, --enqueue-missing queues what Hood lacks');
  if (!IMPORT_PROVIDERS.includes(from as ImportProvider)) throw new UsageError(`--from "${values.from}": one of ${IMPORT_PROVIDERS.join(', ')}, ledger`);
  if (values.reveal && values.out === undefined) throw new UsageError('--reveal only applies to --out FILE');
  const provider = from as ImportProvider;
  const pageSize = values['page-size'] === undefined ? 100 : Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new UsageError('--page-size must be an integer from 1 to 1000');
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(/^\d{4}-\d\d-\d\d$/u.test(values.since) ? `${values.since}T00:00:00Z` : values.since);
    if (Number.isNaN(since.getTime())) throw new UsageError(`--since "${values.since}" is not a date`);
  }
  const json = values.json === true;

  let policy;
  let config;
  try {
    policy = loadPolicyConfig(io.env);
    config = await loadImportConfig(provider, io.env);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const source = createImportSource(config, { includeGroupUnsubscribes: policy.blockReasons.has('group_unsubscribe') });
  const types = values.types === undefined ? [...source.defaultLists] : values.types.split(',').map((t) => t.trim()).filter(Boolean);
  if (types.length === 0 || types.some((t) => !source.lists.includes(t))) throw new UsageError(`--types: ${provider} lists are ${source.lists.join(', ')}`);

  const hood = await connectHood(values.local === true, values['state-dir'] ?? DEFAULT_STATE_DIR, io);
  const bulk = values['enqueue-missing'] ? await resolveBulkQueue(values, io.env) : undefined;
  if (values['enqueue-missing'] && bulk === undefined) throw new UsageError('--enqueue-missing needs a queue: --local, --queue-url URL, --stack NAME or BULK_QUEUE_URL');
  if (bulk?.warning) writeLine(io.stderr, `hood-blocker reconcile: ${bulk.warning}`);
  const sqs = bulk ? createBulkQueueClient(bulk, io.env) : undefined;

  let out: WriteStream | undefined;
  if (values.out !== undefined) {
    out = createWriteStream(values.out, { mode: 0o600 });
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
        out?.write(`${csv(values.reveal ? contact : maskContact(contact))},${entry.reason},${csv(entry.list)},${csv(entry.providerReason)},${entry.occurredAt ?? ''}\n`);
        if (sqs && policy.blockReasons.has(entry.reason)) {
          pending.push({ body: JSON.stringify(importMessage(provider, entry, contact)), attributes: { correlation_id: randomUUID(), lane: 'bulk' } });
          if (pending.length >= QUEUE_FLUSH) await flush();
        }
      },
      onProgress: (c) => {
        if (showProgress) rewriteLine(io.stderr, `Hood: ${c.hood} contacts (${c.hoodPages} pages) · source: ${c.source} · both ${c.both} · missing ${c.missing}`);
      },
    });
    await flush();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    if (showProgress) clearLine(io.stderr);
    await new Promise<void>((resolve) => (out ? out.end(() => resolve()) : resolve()));
    await hood.client.close();
    sqs?.destroy();
    source.close?.();
  }

  const result = {
    from: provider,
    hood: counts?.hood ?? null,
    hoodUnreadable: counts?.hoodUnreadable ?? null,
    source: counts?.source ?? null,
    both: counts?.both ?? null,
    missing: counts?.missing ?? null,
    onlyInHood: counts?.onlyInHood ?? null,
    sourceInvalid: counts?.sourceInvalid ?? null,
    queued,
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
        ['Hood', `${counts.hood} blocked contacts${counts.hoodUnreadable ? ` (+${counts.hoodUnreadable} unreadable: masked or not a contact)` : ''}`],
        [provider, `${counts.source} contacts (${types.join(', ')})`],
        ['both', String(counts.both)],
        ['missing', `${counts.missing} in ${provider}, not in Hood${counts.missing > 0 ? ': still being contacted' : ''}`],
        ['only in Hood', String(counts.onlyInHood)],
        ...(sqs ? ([['queued', `${queued} on ${bulk!.queueUrl}`]] as [string, string][]) : []),
        ...(values.out ? ([['written', `${values.out}${values.reveal ? ' (IN CLEAR: personal data)' : ' (masked)'}`]] as [string, string][]) : []),
      ]),
    );
  }
  if (error !== undefined && !json) writeLine(io.stderr, `hood-blocker reconcile: ${error}`);
  if (counts && counts.hoodUnreadable > 0 && counts.hood === 0 && !json) {
    writeLine(io.stderr, 'hood-blocker reconcile: Hood returned no readable contact: may the token read GDPR fields (read_gdpr_fields=true)?');
  }
  if (error !== undefined) return 1;
  return counts!.missing === 0 || (values['enqueue-missing'] === true && queued === counts!.missing) ? 0 : 1;
}

async function connectHood(local: boolean, stateDir: string, io: CliIo): Promise<{ client: HoodClient; rateLimits: ReturnType<typeof parseRateLimits> }> {
  const rateLimits = parseRateLimits(io.env.HOOD_RATE_LIMITS?.trim() || DEFAULT_RATE_LIMITS);
  if (local) {
    const read = readLocalState(stateDir);
    if (!read.ok) throw new UsageError(read.message, 1);
    if (read.state.hood.sandbox && read.state.hood.token) {
      return { client: createHoodClient({ apiUrl: read.state.hood.url, token: read.state.hood.token, requestTimeoutMs: 10_000 }), rateLimits };
    }
  }
  let config;
  try {
    config = loadHoodConfig(io.env);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const token = await resolveToken(config.token);
  return { client: createHoodClient({ apiUrl: config.apiUrl, token, requestTimeoutMs: config.requestTimeoutMs }), rateLimits: config.rateLimits };
}

/** RFC 4180 field; a leading = - @ (or + not starting a phone number) is prefixed so that a spreadsheet never runs it as a formula. */
function csv(value: string): string {
  const safe = /^(=|\+(?!\d)|-|@|\t|\r)/u.test(value) ? `'${value}` : value;
  return /[",\n\r]/u.test(safe) ? `"${safe.replace(/"/gu, '""')}"` : safe;
}
