import { parse as parseCsv } from 'csv-parse/sync';
import { normaliseContact } from '../../lib/contact.js';
import { type NormalisedMessage, NormalisedMessageSchema, REASONS, type Reason } from '../../lib/types.js';

/**
 * Reading a backfill file (CSV with a header row, or NDJSON) into normalised queue messages, with every
 * row that cannot become one reported by its line number and a reason. Nothing is skipped silently:
 * blank lines are not rows, every other line is either a message, a duplicate or an invalid row.
 */
export type RowFormat = 'csv' | 'ndjson';

export interface ValidRow {
  line: number;
  message: NormalisedMessage;
}

export interface InvalidRow {
  line: number;
  reason: string;
}

export interface DuplicateRow {
  line: number;
  /** Line of the first row with the same normalised contact (the one that is queued). */
  firstLine: number;
  contact: string;
}

export interface ReadRowsResult {
  rows: number;
  valid: ValidRow[];
  invalid: InvalidRow[];
  duplicates: DuplicateRow[];
  /** CSV columns that are not message fields: ignored, and said so. */
  ignoredColumns: string[];
}

export interface RowDefaults {
  reason?: Reason | undefined;
  source?: string | undefined;
}

/** A file problem that makes every row unreadable (no `contact` column): a usage error, exit 2. */
export class UnreadableFileError extends Error {}

const FIELDS = ['contact', 'reason', 'description', 'source', 'eventId', 'occurredAt'] as const;
type Field = (typeof FIELDS)[number];
// Header names are matched without case and punctuation, so `event_id`, `EventId` and `event-id` all work.
const FIELD_BY_KEY = new Map<string, Field>(FIELDS.map((f) => [f.toLowerCase(), f]));

export function detectFormat(fileName: string, text: string): RowFormat | undefined {
  if (/\.csv$/iu.test(fileName)) return 'csv';
  if (/\.(ndjson|jsonl)$/iu.test(fileName)) return 'ndjson';
  const first = /\S/u.exec(text)?.[0];
  if (first === '{') return 'ndjson';
  if (first !== undefined && /^\s*[^\n]*contact/iu.test(text)) return 'csv';
  return undefined;
}

export function readRows(text: string, format: RowFormat, defaults: RowDefaults = {}): ReadRowsResult {
  const raw = format === 'csv' ? csvRecords(text) : ndjsonRecords(text);
  const valid: ValidRow[] = [];
  const invalid: InvalidRow[] = [...raw.invalid];
  const duplicates: DuplicateRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { line, record } of raw.records) {
    const checked = validateRecord(record, defaults);
    if (!checked.ok) {
      invalid.push({ line, reason: checked.reason });
      continue;
    }
    const first = firstLineOf.get(checked.message.contact);
    if (first !== undefined) {
      duplicates.push({ line, firstLine: first, contact: checked.message.contact });
      continue;
    }
    firstLineOf.set(checked.message.contact, line);
    valid.push({ line, message: checked.message });
  }
  invalid.sort((a, b) => a.line - b.line);
  return { rows: raw.records.length + raw.invalid.length, valid, invalid, duplicates, ignoredColumns: raw.ignoredColumns };
}

interface RawRecords {
  records: { line: number; record: Record<string, unknown> }[];
  invalid: InvalidRow[];
  ignoredColumns: string[];
}

function csvRecords(text: string): RawRecords {
  const invalid: InvalidRow[] = [];
  const parsed = parseCsv(text, {
    bom: true,
    trim: true,
    info: true,
    relax_column_count: true,
    // A stray quote inside an unquoted field would otherwise swallow the rest of the file as one field.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      const line = (error as { lines?: number } | undefined)?.lines ?? 0;
      invalid.push({ line, reason: `not readable as CSV: ${error?.message ?? 'parse error'}` });
      return undefined;
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  if (parsed.length === 0) throw new UnreadableFileError('the file is empty: expected a header row with a "contact" column');
  const [header, ...rows] = parsed;
  const columns = header!.record.map((name) => FIELD_BY_KEY.get(name.toLowerCase().replace(/[^a-z0-9]/gu, '')));
  if (!columns.includes('contact')) {
    const found = header!.record.filter((n) => n !== '').join(', ') || 'nothing';
    throw new UnreadableFileError(
      `the header row (line ${startLine(header!)}) has no "contact" column (found: ${found}); name the column that holds the email address or phone number "contact"`,
    );
  }
  const ignoredColumns = header!.record.filter((_, i) => columns[i] === undefined && header!.record[i] !== '');
  const records: RawRecords['records'] = [];
  for (const row of rows) {
    const line = startLine(row);
    if (row.record.length > columns.length) {
      invalid.push({
        line,
        reason: `has ${row.record.length} fields but the header has ${columns.length} (quote values that contain commas)`,
      });
      continue;
    }
    const record: Record<string, unknown> = {};
    row.record.forEach((value, i) => {
      const field = columns[i];
      if (field !== undefined && value !== '') record[field] = value;
    });
    records.push({ line, record });
  }
  return { records, invalid, ignoredColumns };
}

/** csv-parse reports the line a record ends on; a quoted field may span lines, so count back. */
function startLine(row: { record: string[]; info: { lines: number } }): number {
  const newlines = row.record.reduce((n, field) => n + (field.match(/\n/gu)?.length ?? 0), 0);
  return row.info.lines - newlines;
}

function ndjsonRecords(text: string): RawRecords {
  const records: RawRecords['records'] = [];
  const invalid: InvalidRow[] = [];
  const lines = text.replace(/^\uFEFF/u, '').split(/\r?\n/u);
  lines.forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      invalid.push({ line, reason: `not JSON (${error instanceof Error ? error.message : 'parse error'})` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      invalid.push({ line, reason: 'not a JSON object (expected {"contact": …, "reason"?: …})' });
      return;
    }
    records.push({ line, record: value as Record<string, unknown> });
  });
  return { records, invalid, ignoredColumns: [] };
}

type Checked = { ok: true; message: NormalisedMessage } | { ok: false; reason: string };

/** The same checks as the consumer (schema + contact normalisation), with messages written for people. */
export function validateRecord(record: Record<string, unknown>, defaults: RowDefaults = {}): Checked {
  const contact = record.contact;
  if (contact === undefined || contact === null || (typeof contact === 'string' && contact.trim() === '')) {
    return { ok: false, reason: 'contact is missing' };
  }
  const candidate: Record<string, unknown> = { ...record };
  if (candidate.reason === undefined && defaults.reason !== undefined) candidate.reason = defaults.reason;
  if (candidate.source === undefined && defaults.source !== undefined) candidate.source = defaults.source;
  const parsed = NormalisedMessageSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'row');
    const value = candidate[field];
    if (field === 'reason') return { ok: false, reason: `reason ${JSON.stringify(value)} is not one of ${REASONS.join(', ')}` };
    if (field === 'occurredAt') {
      return { ok: false, reason: `occurredAt ${JSON.stringify(value)} is not an ISO-8601 date-time with a time zone (e.g. 2024-05-01T12:00:00Z)` };
    }
    return { ok: false, reason: `${field}: ${issue.message}` };
  }
  const normalised = normaliseContact(parsed.data.contact);
  if (!normalised.ok) {
    // The normaliser reads anything without an @ as a phone number; "alphanumeric sender ID" is right for
    // an SMS sender but puzzling for a mistyped address in a backfill file.
    const detail = /[A-Za-z]/u.test(parsed.data.contact) && !parsed.data.contact.includes('@') ? 'neither an email address (no @) nor a phone number' : normalised.detail;
    return { ok: false, reason: `contact is invalid: ${detail}` };
  }
  return { ok: true, message: { ...parsed.data, contact: normalised.contact } };
}
