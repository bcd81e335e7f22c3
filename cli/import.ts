import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadRateLimits } from '../lib/config.js';
import { createImportSource, IMPORT_PROVIDERS, importHelpLines } from '../lib/providers/suppressions.js';
import { emptyCounts, type ImportCounts, runImport } from '../lib/import/run.js';
import type { ImportProvider } from '../lib/import/types.js';
import { writePrivateFile } from '../lib/private-file.js';
import { DEFAULT_STATE_DIR } from '../dev/state.js';
import { encodeJsonBody } from '../lib/queue/encode.js';
import { sendMessages } from '../lib/queue/sqs.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlagsAndOperands } from './shared/parse-command.js';
import { describeError } from './shared/errors.js';
import { didYouMean } from './shared/suggest.js';
import { listsFromFlag, loadSuppressionConfig, sinceFromFlag } from './shared/suppression-flags.js';
import { createBulkQueueClient, resolveBulkQueue } from './shared/bulk-queue.js';
import {
  clearLine,
  formatEta,
  formatRate,
  isTty,
  progressBar,
  rewriteLine,
  steadyRatePerMinute,
  table,
  writeJson,
  writeLine,
} from './shared/output.js';
import { QUEUE_HELP, QUEUE_OPTIONS } from './shared/queues.js';
import { readBacklog } from './shared/backlog.js';

export const HELP = `Usage: hood-blocker import <provider> [options]

Day one: reads the provider's own suppression lists page by page and puts one normalised block request
per contact on the bulk queue (source "import:<provider>"); the consumer blocks them in Hood with the rate
budget live opt-outs leave. Contacts already blocked cost no Hood call; sending a page twice is harmless.

Providers and credentials (each credential also as <NAME>_PARAMETER, an SSM SecureString name):
${importHelpLines().join('\n')}

Options:
  --types a,b         which lists to read (default: all that block; per-group unsubscribe lists, such as
                      group_unsubscribes, only when BLOCK_REASONS includes group_unsubscribe)
  --since DATE        only suppressions from this date (YYYY-MM-DD or ISO-8601) on
  --dry-run           read and count per reason; send nothing
  --json              print the summary as one JSON object
  --resume            continue an interrupted run from its saved cursor
  --cursor-file F     where the cursor is saved after every page (default .hood-blocker/import-<provider>.json)
  -h, --help          this help

${QUEUE_HELP}
  (imports go to the bulk queue: BULK_QUEUE_URL, the stack's BulkQueueUrl, the local pipeline's bulk queue;
   the block queue only as a fallback, with a warning)

Exit codes: 0 every list read (and queued) · 1 stopped part-way (run again with --resume) · 2 usage or configuration`;

const PROGRESS_INTERVAL_MS = 100;

/** What the cursor file keeps between an interrupted run and `--resume`. */
interface ResumeState {
  version: 1;
  provider: ImportProvider;
  types: string[];
  since: string | null;
  until: string;
  cursor: string;
  counts: ImportCounts;
  updatedAt: string;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, {
    ...QUEUE_OPTIONS,
    types: { type: 'string' },
    since: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    resume: { type: 'boolean' },
    'cursor-file': { type: 'string' },
  });
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(`which provider? hood-blocker import <${IMPORT_PROVIDERS.join('|')}>`);
  const provider = positionals[0]!.toLowerCase() as ImportProvider;
  if (!IMPORT_PROVIDERS.includes(provider)) {
    throw new UsageError(
      `unknown provider "${positionals[0]}"${didYouMean(provider, IMPORT_PROVIDERS)}: one of ${IMPORT_PROVIDERS.join(', ')}`,
    );
  }
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;

  const { policy, config } = await loadSuppressionConfig(provider, io.env);
  const ratePerMinute = steadyRatePerMinute(loadRateLimits(io.env));
  const warn = (line: string) => writeLine(io.stderr, `hood-blocker import: ${line}`);
  const showProgress = !json && isTty(io.stderr);
  let waitNote = '';
  const source = createImportSource(config, {
    includeGroupUnsubscribes: policy.blockReasons.has('group_unsubscribe'),
    http: {
      onWait: ({ ms, why }) => {
        waitNote = ` · ${why === 'rate_limited' ? 'rate-limited by' : 'retrying'} ${provider}, waiting ${Math.ceil(ms / 1000)} s`;
      },
    },
  });

  const types = listsFromFlag(values.types, source, provider);
  const ordered = source.lists.filter((l) => types.includes(l));
  if (ordered.includes('group_unsubscribes') && !policy.blockReasons.has('group_unsubscribe')) {
    warn(
      'group_unsubscribes is read, but BLOCK_REASONS does not include group_unsubscribe: they are counted, not queued',
    );
  }

  const since = sinceFromFlag(values.since, ' (YYYY-MM-DD or ISO-8601)');

  const cursorFile = values['cursor-file'] ?? join(values['state-dir'] ?? DEFAULT_STATE_DIR, `import-${provider}.json`);
  let resume: ResumeState | undefined;
  if (values.resume) {
    resume = readResume(cursorFile);
    if (resume.provider !== provider)
      throw new UsageError(`${cursorFile} is a ${resume.provider} import, not ${provider}`);
    if (values.types !== undefined && resume.types.join(',') !== ordered.join(','))
      throw new UsageError(`--types differs from the interrupted run (${resume.types.join(',')})`);
    if (values.since !== undefined && (since?.toISOString() ?? null) !== resume.since)
      throw new UsageError(`--since differs from the interrupted run (${resume.since ?? 'none'})`);
  }
  if (!values.resume && !dryRun && existsSync(cursorFile)) {
    warn(
      `an earlier import was interrupted (${cursorFile}); starting over from the first page — pass --resume to continue it instead`,
    );
  }
  const pageOptions = {
    types: resume?.types ?? ordered,
    since: resume ? (resume.since === null ? undefined : new Date(resume.since)) : since,
    until: resume ? new Date(resume.until) : new Date(),
    cursor: resume?.cursor,
  };

  // Resolve (and check) the queue before reading a single page: a typo must not cost a pass over the list.
  const flagsGiven = values['queue-url'] !== undefined || values.stack !== undefined || values.local === true;
  const bulk = !dryRun || flagsGiven ? await resolveBulkQueue(values, io.env) : undefined;
  if (!dryRun && bulk === undefined)
    throw new UsageError('no queue given: pass --queue-url URL, --stack NAME or --local, or set BULK_QUEUE_URL');
  if (bulk?.warning && !dryRun) warn(bulk.warning);
  const sqs = bulk && !dryRun ? createBulkQueueClient(bulk, io.env) : undefined;
  let backlog = 0;
  if (sqs && bulk) {
    try {
      backlog = (await readBacklog(sqs, bulk.queueUrl, bulk.target)) ?? 0;
    } catch (error) {
      sqs.destroy();
      throw error;
    }
  }

  const started = Date.now();
  let lastDraw = 0;
  let total: number | undefined;
  const draw = (counts: ImportCounts, force = false) => {
    if (!showProgress) return;
    const now = Date.now();
    if (!force && now - lastDraw < PROGRESS_INTERVAL_MS) return;
    lastDraw = now;
    const seconds = Math.max(0.001, (now - started) / 1000);
    const bar = total ? `${progressBar(Math.min(counts.entries, total), total)} ${counts.entries}/${total} · ` : '';
    const pending = dryRun ? counts.contacts : counts.queued + backlog;
    rewriteLine(
      io.stderr,
      `${bar}page ${counts.pages} (${(counts.pages / seconds).toFixed(1)}/s) · ${counts.contacts} contacts · ${dryRun ? 'dry run' : `${counts.queued} queued`} · ${formatEta(pending / ratePerMinute)} to block at ${formatRate(ratePerMinute)}${waitNote}`,
    );
  };

  let counts: ImportCounts = resume?.counts ?? emptyCounts();
  let error: string | undefined;
  let complete = false;
  try {
    counts = await runImport({
      source,
      page: pageOptions,
      policy,
      counts,
      ...(sqs && bulk
        ? {
            send: (messages) =>
              sendMessages(
                sqs,
                bulk.queueUrl,
                messages.map((m) => ({
                  body: encodeJsonBody(m),
                  attributes: { correlation_id: randomUUID(), lane: 'bulk' },
                })),
              ),
          }
        : {}),
      onPage: (c, page) => {
        waitNote = '';
        if (page.total !== undefined) total = page.total;
        if (!dryRun) {
          if (page.cursor === undefined) rmSync(cursorFile, { force: true });
          else
            saveResume(cursorFile, {
              version: 1,
              provider,
              types: pageOptions.types,
              since: pageOptions.since?.toISOString() ?? null,
              until: pageOptions.until.toISOString(),
              cursor: page.cursor,
              counts: c,
              updatedAt: new Date().toISOString(),
            });
        }
        draw(c);
      },
    });
    complete = true;
  } catch (e) {
    // One line, with the fix when the cause is a known AWS setup problem (credentials, region, session).
    error = describeError(e);
  } finally {
    if (showProgress) clearLine(io.stderr);
    sqs?.destroy();
    source.close?.();
  }

  const pending = dryRun ? 0 : counts.queued;
  const summary = {
    source: provider,
    contacts: counts.contacts,
    byReason: counts.byReason,
    queued: counts.queued,
    dryRun,
    complete,
    resumed: resume !== undefined,
    types: pageOptions.types,
    since: pageOptions.since?.toISOString() ?? null,
    entries: counts.entries,
    duplicates: counts.duplicates,
    invalid: counts.invalid,
    skipped: counts.skipped,
    notBlockedByPolicy: counts.notBlockedByPolicy,
    pages: counts.pages,
    requests: source.requests,
    queueUrl: dryRun ? null : (bulk?.queueUrl ?? null),
    ratePerMinute,
    etaMinutes: Math.round(((dryRun ? counts.contacts : pending + backlog) / ratePerMinute) * 10) / 10,
    // --resume continues only from a cursor this (or an earlier) run saved.
    ...(error !== undefined
      ? { error, cursorFile: dryRun ? null : cursorFile, resumable: !dryRun && existsSync(cursorFile) }
      : {}),
  };
  if (json) writeJson(io.stdout, summary);
  else printSummary(io, summary);
  return error === undefined ? 0 : 1;
}

function printSummary(
  io: CliIo,
  s: Record<string, unknown> & {
    source: string;
    contacts: number;
    byReason: Partial<Record<string, number>>;
    queued: number;
    dryRun: boolean;
    complete: boolean;
  },
): void {
  const out = (line = '') => writeLine(io.stdout, line);
  const reasons =
    Object.entries(s.byReason)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ') || 'none';
  const skipped = Object.entries(s.skipped as Record<string, number>)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const notBlocked = Object.entries(s.notBlockedByPolicy as Record<string, number>)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  out(
    table([
      ['source', `${s.source} (${(s.types as string[]).join(', ')})${s.since ? ` since ${String(s.since)}` : ''}`],
      [
        'contacts',
        `${s.contacts} distinct (${String(s.entries)} entries, ${String(s.duplicates)} on several lists, ${String(s.invalid)} invalid)`,
      ],
      ['by reason', reasons],
      ...(skipped ? ([['not opt-outs', skipped]] as [string, string][]) : []),
      ...(notBlocked ? ([['not in BLOCK_REASONS', `${notBlocked} (counted, not queued)`]] as [string, string][]) : []),
      ['queued', s.dryRun ? '0 (dry run: nothing sent)' : `${s.queued} on ${String(s.queueUrl)}`],
      ['pages', `${String(s.pages)} (${String(s.requests)} requests)`],
    ]),
  );
  if (s.error !== undefined) {
    out();
    if (s.resumable === true) {
      out(`Stopped part-way: ${String(s.error)}`);
      out(
        `Run the same command with --resume to continue from the last page queued (cursor in ${String(s.cursorFile)}).`,
      );
    } else {
      out(`Stopped: ${String(s.error)}`);
      out(
        s.dryRun
          ? 'Nothing was queued (dry run); run it again once the cause is fixed.'
          : 'No page was queued, so there is nothing to resume: run the same command again once the cause is fixed.',
      );
    }
  } else if (!s.dryRun && s.queued > 0) {
    out();
    out(
      `At most ${formatEta(Number(s.etaMinutes))} to block at ${formatRate(Number(s.ratePerMinute))} (HOOD_RATE_LIMITS); contacts already blocked cost no Hood call.`,
    );
  }
}

function saveResume(file: string, state: ResumeState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Written whole, then renamed: a crash mid-write leaves the previous cursor, never half of one. 0600 even
  // over an old file: a provider's cursor can be a contact (Mailgun pages by address).
  writePrivateFile(file, `${JSON.stringify(state)}\n`);
}

function readResume(file: string): ResumeState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(
      `nothing to resume: ${file} does not exist (the last run finished, or ran elsewhere; --cursor-file names another)`,
    );
  }
  try {
    const state = JSON.parse(text) as ResumeState;
    if (
      state.version !== 1 ||
      typeof state.cursor !== 'string' ||
      typeof state.until !== 'string' ||
      !Array.isArray(state.types)
    )
      throw new Error('shape');
    return state;
  } catch {
    throw new UsageError(`${file} is not an import cursor file; delete it and start again`);
  }
}
