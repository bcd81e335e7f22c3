/**
 * A CSV reader for backfill files that never lets one malformed line hide the lines after it.
 *
 * RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180#section-2) with the leniencies spreadsheet exports
 * need: `,`, `;` or tab as the delimiter, CRLF/LF/CR line ends, a UTF-8 byte-order mark at the start,
 * spaces around fields (and around quoted fields), and a `"` inside an unquoted field kept as a character.
 *
 * What a general-purpose parser does with a broken record is the problem: after `"bad" x,unsubscribe`
 * it either stops or resumes somewhere it cannot know is right, and an unclosed quote swallows the rest
 * of the file as one field. Here a record that turns out malformed is reported by the line it starts on,
 * and reading resumes at the very next physical line. So every non-blank line ends up in exactly one
 * place: the header, a record, or the list of unreadable lines.
 */
export type Delimiter = ',' | ';' | '\t';

export const DELIMITER_NAMES: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

export interface CsvRecord {
  /** 1-based physical line the record starts on. */
  line: number;
  /** Last physical line of the record (a quoted field may span lines). */
  endLine: number;
  fields: string[];
}

export interface CsvError {
  line: number;
  reason: string;
}

export interface CsvParseResult {
  delimiter: Delimiter;
  records: CsvRecord[];
  errors: CsvError[];
}

const BOM = '\uFEFF';

/**
 * The delimiter of the header line: whichever of `,` `;` tab occurs most often outside quotes (ties
 * and none go to the comma, the format's default).
 */
export function detectDelimiter(text: string): Delimiter {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      // The first non-blank line is the header.
      if (counts[','] + counts[';'] + counts['\t'] > 0 || body.slice(0, i).trim() !== '') break;
    } else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c] += 1;
  }
  let best: Delimiter = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

type Step = { ok: true; fields: string[]; next: number; endLine: number } | { ok: false; reason: string };

export function parseCsv(text: string, delimiter: Delimiter = detectDelimiter(text)): CsvParseResult {
  const src = text.startsWith(BOM) ? text.slice(1) : text;
  const lineStarts = physicalLineStarts(src);
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];
  let lineIndex = 0;
  while (lineIndex < lineStarts.length) {
    const start = lineStarts[lineIndex]!;
    const step = readRecord(src, start, delimiter, lineStarts, lineIndex);
    if (!step.ok) {
      errors.push({ line: lineIndex + 1, reason: step.reason });
      // Resume at the next physical line: the broken record claims nothing beyond its first line.
      lineIndex += 1;
      continue;
    }
    if (!step.fields.every((f) => f === ''))
      records.push({ line: lineIndex + 1, endLine: step.endLine + 1, fields: step.fields });
    // Jump to the line after the record's last line.
    lineIndex = step.endLine + 1;
  }
  return { delimiter, records, errors };
}

/** Offsets where each physical line starts (CRLF, LF and a lone CR each end a line). */
function physicalLineStarts(src: string): number[] {
  const starts: number[] = [];
  if (src.length === 0) return starts;
  starts.push(0);
  for (let i = 0; i < src.length; i += 1) {
    const c = src[i];
    if (c === '\r' && src[i + 1] === '\n') i += 1;
    if ((c === '\r' || c === '\n') && i + 1 < src.length) starts.push(i + 1);
  }
  return starts;
}

function lineOf(lineStarts: number[], from: number, offset: number): number {
  let line = from;
  while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= offset) line += 1;
  return line;
}

function readRecord(src: string, start: number, delimiter: Delimiter, lineStarts: number[], lineIndex: number): Step {
  const fields: string[] = [];
  let i = start;
  for (;;) {
    // One field.
    while (src[i] === ' ' || (src[i] === '\t' && delimiter !== '\t')) i += 1;
    if (src[i] === '"') {
      const openedAt = i;
      let value = '';
      i += 1;
      for (;;) {
        if (i >= src.length) {
          return {
            ok: false,
            reason: `a quote opened at column ${openedAt - start + 1} is never closed (close it, or double a quote inside a field as "")`,
          };
        }
        const c = src[i]!;
        if (c === '"') {
          if (src[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += c;
        i += 1;
      }
      while (src[i] === ' ' || (src[i] === '\t' && delimiter !== '\t')) i += 1;
      if (i < src.length && src[i] !== delimiter && src[i] !== '\n' && src[i] !== '\r') {
        const line = lineOf(lineStarts, lineIndex, i);
        return {
          ok: false,
          reason: `text after a closing quote${line > lineIndex ? ` (on line ${line + 1})` : ''}: quote the whole field, and double any quote inside it as ""`,
        };
      }
      fields.push(value.replace(/\r\n?/gu, '\n'));
    } else {
      let end = i;
      while (end < src.length && src[end] !== delimiter && src[end] !== '\n' && src[end] !== '\r') end += 1;
      fields.push(src.slice(i, end).trim());
      i = end;
    }
    if (i >= src.length)
      return { ok: true, fields, next: i, endLine: lineOf(lineStarts, lineIndex, Math.max(start, src.length - 1)) };
    if (src[i] === delimiter) {
      i += 1;
      continue;
    }
    // End of line ends the record.
    const endLine = lineOf(lineStarts, lineIndex, i);
    return { ok: true, fields, next: i, endLine };
  }
}
