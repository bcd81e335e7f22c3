import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asciiText,
  cutToBytes,
  encodeAttribute,
  encodeJsonBody,
  isPortable,
  portableText,
} from '../../../lib/queue/encode.js';
import { sqsRefuses } from '../../helpers/strict-sqs.js';
import { unicodeText } from '../../helpers/unicode.js';

/** fauxqs's own check (its sqsTypes.js), code unit by code unit: no surrogate at all, so nothing beyond U+FFFF. */
// eslint-disable-next-line no-control-regex
const fauxqsRefuses = (text: string) => /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/.test(text);

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    unicodeText(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(unicodeText(8), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('the one SQS encoder', () => {
  it('writes any value as a body both SQS and fauxqs accept, which JSON.parse turns back into the same value', () => {
    fc.assert(
      fc.property(json, (value) => {
        // Act
        const body = encodeJsonBody(value);

        // Assess
        expect(sqsRefuses(body)).toBe(false);
        expect(fauxqsRefuses(body)).toBe(false);
        expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 3_000 },
    );
  });

  it('escapes only what must be escaped: text both accept is unchanged', () => {
    fc.assert(
      fc.property(unicodeText(), (text) => {
        // Act
        const out = portableText(text);

        // Assess
        expect(out === text).toBe(!fauxqsRefuses(text));
        expect(isPortable(out)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('keeps a JSON text exact when its refused characters stand raw in its strings', () => {
    // Prepare: raw U+FFFE and an emoji, as a producer may write them (JSON.stringify leaves both).
    const text = '{"contact":"jane@example.com","description":"550 \uFFFE mailbox \u{1F4E7}","n":1.50}';

    // Act
    const out = portableText(text);

    // Assess
    expect(out).toBe('{"contact":"jane@example.com","description":"550 \\ufffe mailbox \\ud83d\\udce7","n":1.50}');
    expect(JSON.parse(out)).toEqual(JSON.parse(text));
  });

  it('turns a JSON text into printable ASCII with the same meaning', () => {
    fc.assert(
      fc.property(json, (value) => {
        // Act
        const out = asciiText(encodeJsonBody(value));

        // Assess
        expect(/^[\t\n\r\x20-\x7E]*$/u.test(out)).toBe(true);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 1_000 },
    );
  });

  it('writes any attribute value as text both accept, within its length, never splitting a character', () => {
    fc.assert(
      fc.property(unicodeText(40), fc.integer({ min: 1, max: 60 }), (value, max) => {
        // Act
        const out = encodeAttribute(value, max);

        // Assess
        expect(sqsRefuses(out)).toBe(false);
        expect(fauxqsRefuses(out)).toBe(false);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(portableText(value).startsWith(out)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('cuts an escaped body to a byte budget before an escape, never inside one', () => {
    fc.assert(
      fc.property(unicodeText(60), fc.integer({ min: 0, max: 200 }), (text, max) => {
        // Act
        const out = cutToBytes(portableText(text), max);

        // Assess
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
        expect(portableText(text).startsWith(out)).toBe(true);
        expect(/\\u[0-9a-f]{0,3}$/u.test(out)).toBe(false);
      }),
      { numRuns: 3_000 },
    );
  });
});
