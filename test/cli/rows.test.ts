import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../cli/shared/csv.js';
import { readRows, UnreadableFileError } from '../../cli/shared/rows.js';

// Reading backfill files: every row is seen. A malformed line is reported by its number and never hides
// the lines after it (issue: `"bad" x,unsubscribe` on line 3 used to drop lines 4 onwards silently).

const lines = (...l: string[]) => `${l.join('\n')}\n`;
const contactsOf = (text: string, ...rest: Parameters<typeof readRows> extends [string, ...infer R] ? R : never) =>
  readRows(text, ...rest).valid.map((r) => r.message.contact);

describe('readRows (CSV): a malformed line', () => {
  it('in the middle is reported by its number and every later row is still read', () => {
    // Prepare
    const csv = lines(
      'contact,reason',
      'a@example.com,unsubscribe',
      '"bad" x,unsubscribe',
      'b@example.com,unsubscribe',
      'c@example.com,manual',
    );

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid.map((r) => r.line)).toEqual([3]);
    expect(result.invalid[0]!.reason).toMatch(/not readable as CSV: text after a closing quote/u);
    expect(result.valid.map((r) => [r.line, r.message.contact])).toEqual([
      [2, 'a@example.com'],
      [4, 'b@example.com'],
      [5, 'c@example.com'],
    ]);
  });

  it('several times are each reported, and the good rows between them are read', () => {
    // Prepare
    const csv = lines('contact', '"x" y', 'a@example.com', '"unclosed', 'b@example.com', 'c"@"d', 'e@example.com');

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid.map((r) => r.line)).toEqual([2, 4, 6]);
    expect(result.valid.map((r) => r.line)).toEqual([3, 5, 7]);
  });

  it('on the last line is reported and the rows before it are read', () => {
    // Prepare
    const csv = 'contact\na@example.com\nb@example.com\n"c@example.com" trailing';

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid.map((r) => r.line)).toEqual([4]);
    expect(contactsOf(csv, 'csv')).toEqual(['a@example.com', 'b@example.com']);
  });

  it('with an unclosed quote does not swallow the rest of the file', () => {
    // Prepare
    const csv = lines(
      'contact,description',
      'a@example.com,"never closed',
      'b@example.com,fine',
      'c@example.com,also fine',
    );

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid).toEqual([{ line: 2, reason: expect.stringMatching(/never closed/u) as unknown as string }]);
    expect(result.valid.map((r) => r.line)).toEqual([3, 4]);
  });

  it('with CRLF line ends is numbered like the others', () => {
    // Prepare
    const csv = 'contact,reason\r\na@example.com,unsubscribe\r\n"bad" x,unsubscribe\r\nb@example.com,unsubscribe\r\n';

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid.map((r) => r.line)).toEqual([3]);
    expect(result.valid.map((r) => [r.line, r.message.contact])).toEqual([
      [2, 'a@example.com'],
      [4, 'b@example.com'],
    ]);
  });

  it('after a quoted field spanning lines keeps the right line numbers', () => {
    // Prepare
    const csv = lines(
      'contact,description',
      'a@example.com,"two',
      'lines"',
      '"bad" x,',
      'b@example.com,"three',
      '',
      'lines"',
      'c@example.com,',
    );

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid.map((r) => r.line)).toEqual([4]);
    expect(result.valid.map((r) => [r.line, r.message.description ?? null])).toEqual([
      [2, 'two\nlines'],
      [5, 'three\n\nlines'],
      [8, null],
    ]);
  });
});

describe('readRows (CSV): file shapes', () => {
  it('strips a UTF-8 byte-order mark at the start instead of reading it as part of the header', () => {
    // Prepare
    const csv = '\uFEFFcontact,reason\na@example.com,unsubscribe\n';

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.invalid).toEqual([]);
    expect(result.valid.map((r) => r.message)).toEqual([{ contact: 'a@example.com', reason: 'unsubscribe' }]);
  });

  it('detects a semicolon-separated file and says so', () => {
    // Prepare
    const csv = lines('contact;reason;description', 'a@example.com;complaint;one, two');

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.delimiter).toBe(';');
    expect(result.valid.map((r) => r.message)).toEqual([
      { contact: 'a@example.com', reason: 'complaint', description: 'one, two' },
    ]);
  });

  it('detects a tab-separated file', () => {
    // Prepare
    const csv = lines('contact\treason', '+38761234567\tsms_opt_out');

    // Act
    const result = readRows(csv, 'csv');

    // Assess
    expect(result.delimiter).toBe('\t');
    expect(result.valid.map((r) => r.message)).toEqual([{ contact: '+38761234567', reason: 'sms_opt_out' }]);
  });

  it('reads the contacts from the column --column names', () => {
    // Prepare
    const csv = lines('Name,Email Address', 'Jane,jane@example.com');

    // Act
    const result = readRows(csv, 'csv', {}, { column: 'email address' });

    // Assess
    expect(result.valid.map((r) => r.message.contact)).toEqual(['jane@example.com']);
    expect(result.ignoredColumns).toEqual(['Name']);
  });

  it('suggests --column when the header has an email column but no "contact"', () => {
    // Prepare
    const csv = lines('email,name', 'jane@example.com,Jane');

    // Act
    const act = () => readRows(csv, 'csv');

    // Assess
    expect(act).toThrow(UnreadableFileError);
    expect(act).toThrow(/pass --column "email"/u);
  });
});

// Property: whatever the lines are, every non-blank line after the header is accounted for exactly once
// (a valid row, a duplicate or an invalid row), and reading never throws.
const goodLine = fc.integer({ min: 0, max: 10_000 }).map((n) => `u${n}@example.com,unsubscribe`);
const badLine = fc.constantFrom(
  '"bad" x,unsubscribe',
  '"unclosed,manual',
  'not-an-address,manual',
  'a@b.c,bounced',
  'x@example.com,manual,extra',
  'a"b"c@d',
  '"x"  "y"',
);
const anyLine = fc.oneof(
  goodLine,
  badLine,
  fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n"]/gu, ' ')),
);

describe('readRows (CSV) property', () => {
  it('accounts for every non-blank line exactly once, whatever the lines are', () => {
    fc.assert(
      fc.property(
        fc.array(anyLine, { maxLength: 40 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (body, eol, bom) => {
          // Prepare: lines that contain no quote pair spanning lines map one line to one record or error.
          const text = `${bom ? '\uFEFF' : ''}contact,reason${eol}${body.join(eol)}${eol}`;

          // Act
          const result = readRows(text, 'csv');

          // Assess
          const seen = [
            ...result.valid.map((r) => r.line),
            ...result.duplicates.map((d) => d.line),
            ...result.invalid.map((r) => r.line),
          ].sort((a, b) => a - b);
          const parsed = parseCsv(text);
          const multiLine = parsed.records.some((r) => r.endLine > r.line);
          const expected = body
            .map((l, i) => ({ l, line: i + 2 }))
            .filter(({ l }) => !/^[\s,]*$/u.test(l))
            .map(({ line }) => line);
          if (!multiLine) expect(seen).toEqual(expected);
          else expect(new Set(seen).size).toBe(seen.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('queues every good line even when bad lines sit between them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1_000_000 })), { minLength: 1, maxLength: 50 }),
        (spec) => {
          // Prepare
          const body = spec.map(([good, n], i) => (good ? `g${i}-${n}@example.com,manual` : '"bad" x,unsubscribe'));
          const text = lines('contact,reason', ...body);

          // Act
          const result = readRows(text, 'csv');

          // Assess
          const goodLines = spec.flatMap(([good], i) => (good ? [i + 2] : []));
          const badLines = spec.flatMap(([good], i) => (good ? [] : [i + 2]));
          expect(result.valid.map((r) => r.line)).toEqual(goodLines);
          expect(result.invalid.map((r) => r.line)).toEqual(badLines);
        },
      ),
      { numRuns: 200 },
    );
  });
});
