import fc from 'fast-check';

/**
 * Text that stresses what SQS and its local emulator accept: every class SQS refuses (U+FFFE, U+FFFF, lone
 * surrogates, C0 controls), astral characters (fauxqs refuses them, SQS does not), DEL and C1 controls
 * (allowed), format characters, and ordinary text of any code point.
 */
export const refusedCharacter: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\uFFFE', '\uFFFF'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc
    .integer({ min: 0x00, max: 0x1f })
    .filter((c) => c !== 0x9 && c !== 0xa && c !== 0xd)
    .map((c) => String.fromCharCode(c)),
);

export const unicodeCharacter: fc.Arbitrary<string> = fc.oneof(
  refusedCharacter,
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  fc.constantFrom(
    '😀',
    '👩‍👩‍👧',
    '\u0009',
    '\u000A',
    '\u000D',
    '\u007F',
    '\u0085',
    '\u200E',
    '\u202E',
    '\uFEFF',
    '\uFFFD',
    '"',
    '\\',
  ),
  fc.integer({ min: 0x20, max: 0xfffd }).map((c) => String.fromCharCode(c)),
);

/** A string of such characters (adjacent lone surrogates may pair up, as in any real input). */
export const unicodeText = (maxLength = 24): fc.Arbitrary<string> =>
  fc.array(unicodeCharacter, { maxLength }).map((a) => a.join(''));
