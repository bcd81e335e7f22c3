import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskContact, normaliseContact } from '../../lib/contact.js';

const ok = (input: string) => {
  const r = normaliseContact(input);
  if (!r.ok) throw new Error(`expected ${input} to be accepted: ${r.detail}`);
  return r.contact;
};
const rejected = (input: unknown) => normaliseContact(input).ok === false;

describe('normaliseContact: email', () => {
  it('trims and strips a quoted display name', () => {
    expect(ok('  "Jane Doe" <jane@example.com> ')).toBe('jane@example.com');
  });

  it('strips an unquoted display name', () => {
    expect(ok('Jane <jane@example.com>')).toBe('jane@example.com');
  });

  it('lower-cases the whole address so one person is one blocked contact', () => {
    expect(ok('Jane.Doe@Example.COM')).toBe('jane.doe@example.com');
  });

  it('accepts a local part of exactly 64 characters', () => {
    expect(ok(`${'a'.repeat(64)}@example.com`)).toBe(`${'a'.repeat(64)}@example.com`);
  });

  it('rejects a local part longer than 64 characters', () => {
    expect(rejected(`${'a'.repeat(65)}@example.com`)).toBe(true);
  });

  it('rejects an address longer than 254 characters', () => {
    const domain = `${Array.from({ length: 4 }, () => 'd'.repeat(60)).join('.')}.com`;
    expect(rejected(`${'a'.repeat(10)}@${domain}`)).toBe(true);
  });

  it('rejects a domain without a top-level domain', () => {
    expect(rejected('jane@localhost')).toBe(true);
  });

  it('rejects header-injection attempts', () => {
    expect(rejected('jane@example.com\r\nBcc: all@example.com')).toBe(true);
  });

  it('rejects an address damaged by a decoder (U+FFFD) or with a lone surrogate', () => {
    expect(rejected('\uFFFD@example.com')).toBe(true);
    expect(rejected('\uD800x@example.com')).toBe(true);
  });

  it('rejects two addresses in one field', () => {
    expect(rejected('jane@example.com, john@example.com')).toBe(true);
  });
});

describe('normaliseContact: phone', () => {
  it('adds the + a provider omitted (Vonage msisdn)', () => {
    expect(ok('447700900000')).toBe('+447700900000');
  });

  it('formats punctuation away to E.164', () => {
    expect(ok('+1 (415) 867-5309')).toBe('+14158675309');
  });

  it('accepts a possible number even where range metadata has no allocation yet', () => {
    // +1 555 01xx numbers are reserved for fiction: "possible" (right length), not "valid".
    expect(ok('+15550100123')).toBe('+15550100123');
  });

  it('rejects a short code', () => {
    expect(rejected('12345')).toBe(true);
  });

  it('rejects an alphanumeric sender id', () => {
    expect(rejected('ACME')).toBe(true);
  });

  it('rejects more than 15 digits', () => {
    expect(rejected('+1234567890123456')).toBe(true);
  });

  it('rejects a country code that does not exist', () => {
    expect(rejected('+999123456789')).toBe(true);
  });
});

describe('normaliseContact: any input', () => {
  it('never throws, and whatever it accepts is stable under a second pass', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything(), fc.emailAddress(), fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/u)), (input) => {
        const first = normaliseContact(input);
        if (first.ok) expect(normaliseContact(first.contact)).toEqual(first);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('maskContact', () => {
  it('keeps the first letters and the top-level domain of an email', () => {
    expect(maskContact('jane.doe@example.com')).toBe('j***@e***.com');
  });

  it('keeps the first and last two digits of a phone number', () => {
    expect(maskContact('+38761234567')).toBe('+38*******67');
  });

  it('never returns the input for any contact', () => {
    fc.assert(
      fc.property(fc.oneof(fc.emailAddress(), fc.stringMatching(/^\+[1-9][0-9]{7,14}$/u)), (contact) => {
        expect(maskContact(contact)).not.toBe(contact);
      }),
      { numRuns: 2000 },
    );
  });
});
