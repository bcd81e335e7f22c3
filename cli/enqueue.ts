import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadPolicyConfig, loadRateLimits } from '../lib/config.js';
import { maskContact } from '../lib/contact.js';
import { encodeMessage } from '../lib/queue/message.js';
import { type OutgoingMessage, SQS_BATCH_SIZE, sendMessages } from '../lib/queue/sqs.js';
import { type Reason, ReasonSchema, REASONS } from '../lib/types.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlagsAndOperands } from './shared/parse-command.js';
import {
  clearLine,
  formatEta,
  formatRate,
  isTty,
  plural,
  progressBar,
  rewriteLine,
  steadyRatePerMinute,
  writeJson,
  writeLine,
} from './shared/output.js';
import { createBulkQueueClient, resolveBulkQueue } from './shared/bulk-queue.js';
import { describeAwsError, NO_QUEUE_MESSAGE, QUEUE_HELP, QUEUE_OPTIONS } from './shared/queues.js';
import { readBacklog } from './shared/backlog.js';
import { whyUnreadable } from './shared/read-error.js';
import { DELIMITER_NAMES } from './shared/csv.js';
import { detectFormat, readRows, type RowFormat, UnreadableFileError } from './shared/rows.js';

export const HELP = `Usage: hood-blocker enqueue <file.csv|file.ndjson|-> [options]

Backfill: puts one normalised block request per contact on the bulk queue (BULK_QUEUE_URL, the stack's BulkQueueUrl or the local pipeline's; the block queue when there is none); the consumer blocks them in
Hood at the account's rate limit.

  CSV     header row with a "contact" column (or name it with --column); optional reason, description,
          source, eventId, occurredAt. Comma, semicolon or tab separated (detected from the header row);
          a byte-order mark at the start is fine
  NDJSON  one {"contact": …, "reason"?: …, …} object per line

Every row is checked as the consumer would (contact normalisation, reason labels); invalid rows are
reported with their line number and are not queued, and every other row is still read and queued (a
broken line never hides the lines after it); repeated contacts are queued once.

Options:
  --reason R          reason for rows that have none (${REASONS.join(', ')}; the consumer's default is manual)
  --source S          source for rows that have none (default: backfill)
  --column NAME       CSV: the column that holds the contact (e.g. --column email, --column "Email Address")
  --format F          csv or ndjson (default: from the file name, else sniffed)
  --dry-run           check the file and report; send nothing
  --json              print the summary as one JSON object
  -h, --help          this help

${QUEUE_HELP}

Exit codes: 0 every row queued · 1 some rows invalid (the valid ones were queued) or the queue failed · 2 usage`;

const DEFAULT_SOURCE = 'backfill';
// A progress redraw per batch would flood a slow terminal; ~10 redraws a second reads as smooth.
const PROGRESS_INTERVAL_MS = 100;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, {
    ...QUEUE_OPTIONS,
    reason: { type: 'string' },
    source: { type: 'string' },
    format: { type: 'string' },
    column: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'which file? hood-blocker enqueue <file.csv|file.ndjson>' : 'give exactly one file',
    );
  }
  const file = positionals[0]!;
  let reason: Reason | undefined;
  if (values.reason !== undefined) {
    const parsed = ReasonSchema.safeParse(values.reason);
    if (!parsed.success) throw new UsageError(`--reason "${values.reason}" is not one of ${REASONS.join(', ')}`);
    reason = parsed.data;
  }
  const source = values.source ?? DEFAULT_SOURCE;
  if (source.trim() === '' || source.length > 100) throw new UsageError('--source must be 1 to 100 characters');
  if (values.format !== undefined && values.format !== 'csv' && values.format !== 'ndjson') {
    throw new UsageError(`--format "${values.format}" is not csv or ndjson`);
  }
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;
  const rateLimits = loadRateLimits(io.env);
  const ratePerMinute = steadyRatePerMinute(rateLimits);

  // Resolve the queue before reading: a typo in a flag should not cost a pass over a large file.
  // Backfills travel on the bulk queue (its own DLQ; it uses only the budget live traffic leaves), so a
  // large file never delays a live opt-out; without one, the block queue with a warning.
  const bulk = dryRun ? undefined : await resolveBulkQueue(values, io.env);
  if (!dryRun && bulk === undefined) throw new UsageError(NO_QUEUE_MESSAGE);
  const target = bulk?.target;
  const queueUrl = bulk?.queueUrl;
  if (bulk?.warning !== undefined) writeLine(io.stderr, `warning: ${bulk.warning}`);

  const text = await readInput(file, io);
  // --column only makes sense for CSV: a one-column export ("email" alone) has no delimiter to sniff.
  const format: RowFormat | undefined =
    (values.format as RowFormat | undefined) ?? (values.column !== undefined ? 'csv' : detectFormat(file, text));
  if (format === undefined)
    throw new UsageError(`cannot tell whether ${file} is CSV or NDJSON: pass --format csv or --format ndjson`);
  const policy = loadPolicyConfig(io.env);
  const blocks = (r: Reason) => r !== 'soft_bounce' && policy.blockReasons.has(r);
  let result;
  try {
    result = readRows(text, format, { reason, source, blocks }, { column: values.column });
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  const { valid, invalid, duplicates } = result;
  if (values.column !== undefined && format !== 'csv')
    throw new UsageError('--column is for CSV files; NDJSON rows name their "contact" field');
  if (result.delimiter !== undefined && result.delimiter !== ',' && !json) {
    writeLine(io.stderr, `note: read as ${DELIMITER_NAMES[result.delimiter]}-separated (found in the header row)`);
  }
  if (result.ignoredColumns.length > 0 && !json) {
    writeLine(
      io.stderr,
      `note: ignoring column${result.ignoredColumns.length === 1 ? '' : 's'} ${result.ignoredColumns.map((c) => `"${c}"`).join(', ')} (not a message field)`,
    );
  }
  // Rows whose reason BLOCK_REASONS does not block are valid but will be ignored by the consumer: say so now.
  const notBlocking = new Map<string, number>();
  for (const row of valid) {
    const r = row.message.reason ?? 'manual';
    if (!blocks(r)) notBlocking.set(r, (notBlocking.get(r) ?? 0) + 1);
  }

  let queued = 0;
  let sendError: string | undefined;
  let firstUnsentLine: number | undefined;
  let backlog: number | undefined;
  if (!dryRun && bulk && target && queueUrl && valid.length > 0) {
    const sqs = createBulkQueueClient(bulk, io.env);
    try {
      // The preflight too: a queue that cannot be used is named before any row is sent.
      backlog = await readBacklog(sqs, queueUrl, target);
      const showProgress = isTty(io.stderr);
      let lastDraw = 0;
      const draw = (force = false) => {
        if (!showProgress) return;
        const now = Date.now();
        if (!force && now - lastDraw < PROGRESS_INTERVAL_MS) return;
        lastDraw = now;
        const eta = formatEta((valid.length + (backlog ?? 0)) / ratePerMinute);
        rewriteLine(
          io.stderr,
          `${progressBar(queued, valid.length)}  ${queued}/${valid.length} queued · ${eta} to block at ${formatRate(ratePerMinute)}`,
        );
      };
      draw(true);
      for (let i = 0; i < valid.length; i += SQS_BATCH_SIZE) {
        const chunk = valid.slice(i, i + SQS_BATCH_SIZE);
        const messages: OutgoingMessage[] = chunk.map((row) => ({
          body: encodeMessage(row.message),
          // Lets one backfilled contact be followed from the queue through the consumer's logs to Hood.
          attributes: { correlation_id: randomUUID() },
        }));
        try {
          await sendMessages(sqs, queueUrl, messages);
        } catch (error) {
          // sendMessages already retried with backoff; what is left is an outage worth stopping for.
          sendError = describeAwsError(error, target);
          firstUnsentLine = chunk[0]!.line;
          break;
        }
        queued += chunk.length;
        draw();
      }
      if (showProgress) clearLine(io.stderr);
    } finally {
      sqs.destroy();
    }
  }

  // The consumer works through the queue in order of arrival: what was already waiting goes first.
  const etaMinutes = ((dryRun ? valid.length : queued) + (backlog ?? 0)) / ratePerMinute;
  const summary = {
    file,
    format,
    delimiter: result.delimiter ?? null,
    dryRun,
    queueUrl: queueUrl ?? null,
    rows: result.rows,
    valid: valid.length,
    queued,
    invalid,
    duplicates: duplicates.map((d) => ({ line: d.line, firstLine: d.firstLine, contact: maskContact(d.contact) })),
    ignoredColumns: result.ignoredColumns,
    notBlockedByPolicy: [...notBlocking].map(([r, count]) => ({ reason: r, count })),
    ratePerMinute,
    backlog: backlog ?? null,
    etaMinutes: Math.round(etaMinutes * 10) / 10,
    ...(sendError ? { error: sendError, firstUnsentLine } : {}),
  };

  if (json) writeJson(io.stdout, summary);
  else printSummary(io, summary, target?.description);
  return invalid.length > 0 || sendError !== undefined ? 1 : 0;
}

async function readInput(file: string, io: CliIo): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin as AsyncIterable<Buffer | string>)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const why = whyUnreadable(error) ?? String((error as NodeJS.ErrnoException).code ?? error);
    throw new UsageError(`cannot read ${file}: ${why}`);
  }
}

interface Summary {
  file: string;
  format: RowFormat;
  dryRun: boolean;
  queueUrl: string | null;
  rows: number;
  valid: number;
  queued: number;
  invalid: { line: number; reason: string }[];
  duplicates: { line: number; firstLine: number; contact: string }[];
  notBlockedByPolicy: { reason: string; count: number }[];
  ratePerMinute: number;
  backlog: number | null;
  etaMinutes: number;
  error?: string;
  firstUnsentLine?: number | undefined;
}

function printSummary(io: CliIo, s: Summary, where: string | undefined): void {
  const out = (line = '') => writeLine(io.stdout, line);
  out(
    `Read ${plural(s.rows, 'row')} from ${basename(s.file)} (${s.format.toUpperCase()}): ${s.valid} valid, ${s.invalid.length} invalid, ${plural(s.duplicates.length, 'duplicate')}.`,
  );
  if (s.dryRun) {
    out(`Dry run: nothing was sent. ${plural(s.valid, 'contact')} would be queued.`);
  } else if (s.error === undefined) {
    out(`Queued ${plural(s.queued, 'contact')} on ${s.queueUrl}${where ? ` (${where})` : ''}.`);
  } else {
    out(`Queued ${s.queued} of ${s.valid} contacts, then the queue failed: ${s.error}`);
    out(
      `Rows from line ${s.firstUnsentLine} on may not have been queued: enqueue them again (repeating a row is safe; at worst Hood is asked twice for the same contact).`,
    );
  }
  if (s.invalid.length > 0) {
    out();
    out(`Invalid ${s.invalid.length === 1 ? 'row' : 'rows'} (not queued; fix them and enqueue those lines again):`);
    for (const row of s.invalid) out(`  line ${row.line}: ${row.reason}`);
  }
  if (s.duplicates.length > 0) {
    out();
    out(
      `Duplicate ${s.duplicates.length === 1 ? 'row' : 'rows'} (a contact is queued once, from its first row whose reason blocks):`,
    );
    for (const row of s.duplicates)
      out(`  line ${row.line}: same contact as line ${row.firstLine}, which was queued (${row.contact})`);
  }
  for (const { reason, count } of s.notBlockedByPolicy) {
    out();
    out(
      reason === 'soft_bounce'
        ? `Note: ${plural(count, 'row')} with reason soft_bounce, which never blocks by itself (counted only under SOFT_BOUNCE_POLICY): the consumer will log and ignore them.`
        : `Note: ${plural(count, 'row')} with reason ${reason}, which BLOCK_REASONS does not block: the consumer will log and ignore them.`,
    );
  }
  const count = s.dryRun ? s.valid : s.queued;
  if (count > 0) {
    out();
    const backlog = s.backlog
      ? `, counting the ${s.backlog} already on the queue ahead of ${count === 1 ? 'it' : 'them'}`
      : '';
    out(
      `At ${formatRate(s.ratePerMinute)} (HOOD_RATE_LIMITS) Hood needs ${formatEta(s.etaMinutes)} to block ${count === 1 ? 'it' : 'them'}${backlog}.`,
    );
  }
  if (s.invalid.length > 0 && !s.dryRun && s.error === undefined) {
    out();
    out(
      `Exit code 1: ${plural(s.invalid.length, 'row')} invalid; the ${s.queued} valid ${s.queued === 1 ? 'contact was' : 'contacts were'} queued.`,
    );
  }
}
