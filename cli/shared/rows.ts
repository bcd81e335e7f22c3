import { normaliseContact } from '../../lib/contact.js';
import { type NormalisedMessage, NormalisedMessageSchema } from '../../lib/queue/message.js';
import { REASONS, type Reason } from '../../lib/types.js';
import { DELIMITER_NAMES, type Delimiter, detectDelimiter, parseCsv } from './csv.js';

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
  /** The CSV delimiter used (detected from the header unless given); undefined for NDJSON. */
  delimiter?: Delimiter;
}

export interface CsvOptions {
  /** Header of the column that holds the contact, when it is not called "contact" (e.g. "Email Address"). */
  column?: string | undefined;
  /** Default: detected from the header line. */
  delimiter?: Delimiter | undefined;
}

export interface RowDefaults {
  reason?: Reason | undefined;
  source?: string | undefined;
  /**
   * Whether a reason blocks (BLOCK_REASONS, soft_bounce never). A repeated contact is queued once, with
   * the first row whose reason blocks: a soft bounce listed before the same person's unsubscribe must
   * not shadow the unsubscribe. Without it, the first row wins.
   */
  blocks?: ((reason: Reason) => boolean) | undefined;
}

/** A file problem that makes every row unreadable (no `contact` column): a usage error, exit 2. */
export class UnreadableFileError extends Error {}

const FIELDS = ['contact', 'reason', 'description', 'source', 'eventId', 'occurredAt'] as const;
type Field = (typeof FIELDS)[number];
// Header names are matched without case and punctuation, so `event_id`, `EventId` and `event-id` all work.
const FIELD_BY_KEY = new Map<string, Field>(FIELDS.map((f) => [headerKey(f), f]));

export function detectFormat(fileName: string, text: string): RowFormat | undefined {
  if (/\.csv$/iu.test(fileName)) return 'csv';
  if (/\.(ndjson|jsonl)$/iu.test(fileName)) return 'ndjson';
  const first = /\S/u.exec(text)?.[0];
  if (first === '{') return 'ndjson';
  // A header line with a delimiter or a contact column: CSV (a single-column file has no delimiter).
  if (first !== undefined && /^\s*[^\n]*(?:contact|[,;\t])/iu.test(text)) return 'csv';
  return undefined;
}

export function readRows(
  text: string,
  format: RowFormat,
  defaults: RowDefaults = {},
  csv: CsvOptions = {},
): ReadRowsResult {
  const raw = format === 'csv' ? csvRecords(text, csv) : ndjsonRecords(text);
  const valid: ValidRow[] = [];
  const invalid: InvalidRow[] = [...raw.invalid];
  const duplicates: DuplicateRow[] = [];
  const indexOf = new Map<string, number>();
  const blocks = (row: ValidRow) => defaults.blocks?.(row.message.reason ?? 'manual') ?? true;
  for (const { line, record } of raw.records) {
    const checked = validateRecord(record, defaults);
    if (!checked.ok) {
      invalid.push({ line, reason: checked.reason });
      continue;
    }
    const row: ValidRow = { line, message: checked.message };
    const index = indexOf.get(checked.message.contact);
    if (index === undefined) {
      indexOf.set(checked.message.contact, valid.length);
      valid.push(row);
      continue;
    }
    const kept = valid[index]!;
    if (!blocks(kept) && blocks(row)) {
      // The row kept so far cannot block; this one can: it takes the place, the earlier one is the repeat.
      valid[index] = row;
      duplicates.push({ line: kept.line, firstLine: line, contact: checked.message.contact });
    } else {
      duplicates.push({ line, firstLine: kept.line, contact: checked.message.contact });
    }
  }
  duplicates.sort((a, b) => a.line - b.line);
  invalid.sort((a, b) => a.line - b.line);
  return {
    rows: raw.records.length + raw.invalid.length,
    valid,
    invalid,
    duplicates,
    ignoredColumns: raw.ignoredColumns,
    ...(raw.delimiter ? { delimiter: raw.delimiter } : {}),
  };
}

interface RawRecords {
  records: { line: number; record: Record<string, unknown> }[];
  invalid: InvalidRow[];
  ignoredColumns: string[];
  delimiter?: Delimiter;
}

function csvRecords(text: string, options: CsvOptions): RawRecords {
  const parsed = parseCsv(text, options.delimiter ?? detectDelimiter(text));
  const invalid: InvalidRow[] = parsed.errors.map((e) => ({
    line: e.line,
    reason: `not readable as CSV: ${e.reason}`,
  }));
  const [header, ...rows] = parsed.records;
  if (header === undefined)
    throw new UnreadableFileError('the file is empty: expected a header row with a "contact" column');
  const headerNames = header.fields;
  const columns: (Field | undefined)[] = headerNames.map((name) => FIELD_BY_KEY.get(headerKey(name)));
  if (options.column !== undefined) {
    const wanted = headerKey(options.column);
    const index = headerNames.findIndex((name) => headerKey(name) === wanted);
    if (index < 0) {
      throw new UnreadableFileError(
        `the header row (line ${header.line}) has no column "${options.column}" (found: ${listNames(headerNames)})`,
      );
    }
    // The named column is the contact; a column literally called "contact" then is not.
    columns.forEach((field, i) => {
      if (field === 'contact') columns[i] = undefined;
    });
    columns[index] = 'contact';
  }
  if (!columns.includes('contact')) {
    const guess = headerNames.find((n) => CONTACT_LIKE.test(n.trim()));
    const delimiterNote = parsed.delimiter === ',' ? '' : `, read as ${DELIMITER_NAMES[parsed.delimiter]}-separated`;
    throw new UnreadableFileError(
      `the header row (line ${header.line}) has no "contact" column (found: ${listNames(headerNames)}${delimiterNote}); ` +
        (guess !== undefined
          ? `pass --column "${guess}" to read the contacts from that column`
          : 'pass --column NAME to name the column that holds the email address or phone number'),
    );
  }
  const ignoredColumns = headerNames.filter((name, i) => columns[i] === undefined && name !== '');
  const records: RawRecords['records'] = [];
  for (const row of rows) {
    if (row.fields.length > columns.length) {
      invalid.push({
        line: row.line,
        reason: `has ${row.fields.length} fields but the header has ${columns.length} (quote values that contain a ${DELIMITER_NAMES[parsed.delimiter]})`,
      });
      continue;
    }
    const record: Record<string, unknown> = {};
    row.fields.forEach((value, i) => {
      const field = columns[i];
      if (field !== undefined && value !== '') record[field] = value;
    });
    records.push({ line: row.line, record });
  }
  return { records, invalid, ignoredColumns, delimiter: parsed.delimiter };
}

// Header names are compared without case and punctuation: `Event_Id`, `event-id` and `eventId` match.
function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/gu, '');
}

function listNames(names: string[]): string {
  return (
    names
      .filter((n) => n !== '')
      .map((n) => `"${n}"`)
      .join(', ') || 'nothing'
  );
}

// Headers that likely hold the contact, to suggest --column.
const CONTACT_LIKE = /^(e-?mail|e-?mail[ _-]?address|mail|phone|phone[ _-]?number|mobile|msisdn|recipient|to)$/iu;

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
    if (field === 'reason')
      return { ok: false, reason: `reason ${JSON.stringify(value)} is not one of ${REASONS.join(', ')}` };
    if (field === 'occurredAt') {
      return {
        ok: false,
        reason: `occurredAt ${JSON.stringify(value)} is not an ISO-8601 date-time with a time zone (e.g. 2024-05-01T12:00:00Z)`,
      };
    }
    return { ok: false, reason: `${field}: ${issue.message}` };
  }
  const normalised = normaliseContact(parsed.data.contact);
  if (!normalised.ok) {
    // The normaliser reads anything without an @ as a phone number; "alphanumeric sender ID" is right for
    // an SMS sender but puzzling for a mistyped address in a backfill file.
    const detail =
      /[A-Za-z]/u.test(parsed.data.contact) && !parsed.data.contact.includes('@')
        ? 'neither an email address (no @) nor a phone number'
        : normalised.detail;
    return { ok: false, reason: `contact is invalid: ${detail}` };
  }
  return { ok: true, message: { ...parsed.data, contact: normalised.contact } };
}
