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
  it('refuses a number without its country code: (917) 555-0100 is not +91 75…', () => {
    for (const national of ['(917) 555-0100', '469-555-0100', '447700900000']) {
      const r = normaliseContact(national);
      expect(r.ok).toBe(false);
    }
  });

  it('accepts the 00 international prefix', () => {
    expect(ok('00447700900000')).toBe('+447700900000');
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
      fc.property(
        fc.oneof(fc.string(), fc.anything(), fc.emailAddress(), fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/u)),
        (input) => {
          const first = normaliseContact(input);
          if (first.ok) expect(normaliseContact(first.contact)).toEqual(first);
        },
      ),
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

describe('normaliseContact: hidden characters (issue 9 item 8)', () => {
  // Every character here is invisible (Unicode category Cf or default-ignorable) and could make a
  // blocked contact look like another one, or hide which contact was blocked.
  const HIDDEN: Array<[string, string]> = [
    ['right-to-left override', '\u202E'],
    ['left-to-right embedding', '\u202A'],
    ['right-to-left isolate', '\u2067'],
    ['pop directional isolate', '\u2069'],
    ['left-to-right mark', '\u200E'],
    ['zero-width space', '\u200B'],
    ['zero-width non-joiner', '\u200C'],
    ['zero-width joiner', '\u200D'],
    ['word joiner', '\u2060'],
    ['soft hyphen', '\u00AD'],
    ['byte-order mark inside the value', '\uFEFF'],
    ['invisible separator', '\u2063'],
    ['Arabic letter mark', '\u061C'],
    ['interlinear annotation anchor', '\uFFF9'],
    ['tag character', '\u{E0041}'],
    ['Hangul filler', '\u3164'],
    ['combining grapheme joiner', '\u034F'],
    ['variation selector', '\uFE0F'],
  ];

  it.each(HIDDEN)('rejects an email local part containing a %s', (_name, ch) => {
    // Act
    const result = normaliseContact(`ja${ch}ne@example.com`);

    // Assess
    expect(result.ok).toBe(false);
  });

  it.each(HIDDEN)('rejects an email domain containing a %s', (_name, ch) => {
    expect(normaliseContact(`jane@exa${ch}mple.com`).ok).toBe(false);
  });

  it.each(HIDDEN)('rejects a phone number containing a %s', (_name, ch) => {
    expect(normaliseContact(`+1415${ch}5550100`).ok).toBe(false);
  });

  it('rejects a hidden character at the very start or end, which trimming does not remove', () => {
    expect(normaliseContact('\u200Bjane@example.com').ok).toBe(false);
    expect(normaliseContact('jane@example.com\u200D').ok).toBe(false);
  });

  it('rejects a no-break space inside an address', () => {
    expect(normaliseContact('ja\u00A0ne@example.com').ok).toBe(false);
  });

  it('says which kind of character made the contact invalid, without repeating the contact', () => {
    // Act
    const result = normaliseContact('ja\u202Ene@example.com');

    // Assess
    expect(result).toEqual({ ok: false, detail: 'contact contains invisible or bidirectional formatting characters' });
  });

  it.each([
    ['a BOM before the address', '\uFEFFjane@example.com'],
    ['a BOM after the address', 'jane@example.com\uFEFF'],
    ['a no-break space before the address', '\u00A0jane@example.com'],
    ['an ideographic space after a number', '+38761234567\u3000'],
    ['a BOM before a number', '\uFEFF+38761234567'],
  ])('an invisible character at either end makes the contact invalid too (%s)', (_name, raw) => {
    // Act
    const result = normaliseContact(raw);
    // Assess
    expect(result).toEqual({ ok: false, detail: 'contact contains invisible or bidirectional formatting characters' });
  });

  it('still trims ASCII white space around a contact', () => {
    // Act
    const result = normaliseContact(' \tJane@Example.com\r\n');
    // Assess
    expect(result).toMatchObject({ ok: true, contact: 'jane@example.com' });
  });

  it('any Cf character anywhere in an address makes it invalid (property)', () => {
    // Every Cf code point, enumerated once: filtering random code points would skip too often (Cf is rare).
    const all: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++)
      if (cp < 0xd800 || cp > 0xdfff)
        if (/^\p{Cf}$/u.test(String.fromCodePoint(cp))) all.push(String.fromCodePoint(cp));
    const cf = fc.constantFrom(...all);
    fc.assert(
      fc.property(cf, fc.nat(15), (ch, at) => {
        const base = 'jane.doe@example.com';
        const i = at % (base.length + 1);
        return normaliseContact(`${base.slice(0, i)}${ch}${base.slice(i)}`).ok === false;
      }),
    );
  });

  // Valid, in their canonical form: local part NFC and lower-cased, domain as its A-label (issue 19 item 3).
  it.each([
    ['Chinese', '用户@例子.广告', '用户@xn--fsqu00a.xn--4rr70v'],
    ['accented Latin', 'José@Bücher.de', 'josé@xn--bcher-kva.de'],
    ['Devanagari with combining marks', 'अजय@डाटा.भारत', 'अजय@xn--c2bd1gb.xn--h2brj9c'],
    ['Cyrillic', 'иван@пример.рф', 'иван@xn--e1afmkfd.xn--p1ai'],
    ['Greek', 'δοκιμή@παράδειγμα.δοκιμή', 'δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp'],
    ['Arabic', 'مستخدم@مثال.شبكة', 'مستخدم@xn--mgbh0fb.xn--ngbc5azd'],
    ['mixed scripts', 'jane文@example.com', 'jane文@example.com'],
  ])('keeps an internationalised address valid (%s)', (_name, input, expected) => {
    expect(ok(input)).toBe(expected);
  });

  it('accepts a display name with an emoji ZWJ sequence: only the address is the contact', () => {
    expect(ok('"Family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}" <jane@example.com>')).toBe('jane@example.com');
  });
});

describe('maskContact: rejected raw input (issue 9 item 8)', () => {
  it('does not reveal a name or a phone number that follows an address in rejected input', () => {
    // Act
    const masked = maskContact('x@y.z John Smith +1 415 555 0100');

    // Assess
    expect(masked).not.toMatch(/John|Smith|415|555|0100/u);
  });

  it('keeps the top-level domain only when it looks like one', () => {
    expect(maskContact('jane@example.com')).toBe('j***@e***.com');
    expect(maskContact('jane@example.c0m and more')).toBe('j***@e***');
  });

  it('never shows an invisible or bidi character', () => {
    expect(maskContact('\u202Ejane@example.com')).toBe('****@e***.com');
  });

  it('never contains more than 3 characters of the input beyond a plausible top-level domain (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ maxLength: 40 }), (a, b) => {
        const input = `${a}@${b}`;
        const masked = maskContact(input);
        const kept = masked
          .replace(/\*/gu, '')
          .replace(/@/u, '')
          .replace(/\.[a-z]{2,24}$/u, '');
        return [...kept].length <= 3;
      }),
    );
  });
});
