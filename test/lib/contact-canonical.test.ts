import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseContact } from '../../lib/contact.js';
import { loadPolicyConfig } from '../../lib/config.js';
import { mapQueueBody } from '../../lib/mapping/index.js';
import { mapProvider } from '../../lib/mapping/provider.js';
import { compileNeverBlock, isNeverBlocked } from '../../lib/policy/never-block.js';

/**
 * Issue 19 item 3: no address may become another one through case folding or Unicode normalisation, and
 * each address has one canonical form (NFC, lower-cased, IDN domain as its A-label).
 */

const ASCII = /[\u0000-\u007F]/u;
const asciiSkeleton = (text: string) => [...text].filter((c) => ASCII.test(c)).join('');
const accepted = (input: string) => {
  const r = normaliseContact(input);
  return r.ok ? r.contact : undefined;
};
const detailOf = (input: string) => {
  const r = normaliseContact(input);
  return r.ok ? undefined : r.detail;
};

/** Every code point but the ASCII ones and the surrogates (no string can hold a lone one). */
function* nonAsciiCodePoints(last = 0x10ffff): Generator<string> {
  for (let cp = 0x80; cp <= last; cp += 1) if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp);
}

/**
 * The class, computed here over all of Unicode from the runtime's own tables: characters that NFC, NFKC,
 * lower-casing or upper-casing turns into (or into something holding) ASCII.
 */
const FOLDING: string[] = [];
for (const c of nonAsciiCodePoints()) {
  if ([c.normalize('NFC'), c.normalize('NFKC'), c.toLowerCase(), c.toUpperCase()].some((f) => ASCII.test(f)))
    FOLDING.push(c);
}

describe('normaliseContact: characters that fold into ASCII (issue 19 item 3)', () => {
  it('does not let the Kelvin sign stand for the letter k: "Kate" with U+212A is refused, "kate" is kept', () => {
    // Act
    const kelvin = normaliseContact('\u212Aate@example.com');
    const real = normaliseContact('kate@example.com');
    // Assess
    expect(kelvin).toEqual({
      ok: false,
      detail: expect.stringContaining('(U+212A) that case mapping or Unicode normalisation turns into ASCII'),
    });
    expect(real).toEqual({ ok: true, contact: 'kate@example.com', kind: 'email' });
  });

  it('dead-letters, never blocks, a queue message or a provider event naming the Kelvin-sign address', () => {
    // Prepare
    const policy = loadPolicyConfig({});
    const kelvin = '\u212Aate@example.com';
    // Act
    const queued = mapQueueBody(JSON.stringify({ contact: kelvin, reason: 'unsubscribe' }), policy);
    const sendgrid = mapProvider('sendgrid', [{ email: kelvin, event: 'unsubscribe', sg_event_id: 'e1' }], policy);
    // Assess
    for (const decisions of [queued, sendgrid])
      expect(decisions).toMatchObject([{ action: 'reject', reason: 'invalid_contact' }]);
  });

  it('finds the class by computing it (the Kelvin sign, dotted capital I, long s among ~1,700 code points)', () => {
    // Assess: the computed class holds the known members; nothing here is a hand-made list.
    expect(FOLDING).toEqual(expect.arrayContaining(['\u212A', '\u0130', '\u017F', '\uFF4A', '\u00DF']));
    expect(FOLDING.length).toBeGreaterThan(1000);
  });

  it('refuses every member of the class in a local part', () => {
    // Act
    const let_through = FOLDING.filter((c) => accepted(`ja${c}ne@example.com`) !== undefined);
    // Assess
    expect(let_through.map((c) => `U+${c.codePointAt(0)!.toString(16)}`)).toEqual([]);
  });

  it('refuses every member of the class in a domain', () => {
    // Act
    const let_through = FOLDING.filter((c) => accepted(`jane@exa${c}mple.com`) !== undefined);
    // Assess
    expect(let_through.map((c) => `U+${c.codePointAt(0)!.toString(16)}`)).toEqual([]);
  });

  it('refuses an A-label whose U-label holds a member of the class (xn--fa-hia.de is faß.de)', () => {
    // Act
    const detail = detailOf('jane@xn--fa-hia.de');
    // Assess
    expect(detail).toContain('(U+00DF)');
  });

  // Between hyphens: a combining mark after a letter would compose with it (`a` + U+0301 is `á`), which
  // removes ASCII rather than creating it; nothing composes with `-`.
  const createsAscii = (c: string) => {
    const inLocal = accepted(`a-${c}-b@example.com`);
    const inDomain = accepted(`jane@a-${c}-b.example`);
    return (
      (inLocal !== undefined && asciiSkeleton(inLocal) !== 'a--b@example.com') ||
      (inDomain !== undefined && asciiSkeleton(domainToUnicode(inDomain.split('@')[1]!)) !== 'a--b.example')
    );
  };

  it('never creates ASCII: every BMP character that passes leaves the ASCII of the address as it was', () => {
    // Act
    const created = [...nonAsciiCodePoints(0xffff)].filter(createsAscii);
    // Assess
    expect(created.map((c) => `U+${c.codePointAt(0)!.toString(16)}`)).toEqual([]);
  });

  it('never creates ASCII from a character beyond the BMP either (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x10000, max: 0x10ffff }), (cp) => !createsAscii(String.fromCodePoint(cp))),
      { numRuns: 5000 },
    );
  });

  it('keeps lower-casing ASCII as before', () => {
    expect(accepted('Jane.Doe@Example.COM')).toBe('jane.doe@example.com');
  });

  it('gives the Ångström sign and the letter Å one canonical form (NFC), which is not ASCII', () => {
    // Act
    const sign = accepted('\u212Bsa@example.com');
    const letter = accepted('\u00C5sa@example.com');
    // Assess
    expect(sign).toBe('\u00E5sa@example.com');
    expect(letter).toBe(sign);
  });
});

describe('normaliseContact: one canonical form per address (issue 19 item 3)', () => {
  const addresses = [
    'josé@bücher.de',
    'jane.doe@example.com',
    'иван@пример.рф',
    '用户@例子.广告',
    'zoë@straẞe-ohne-scharfes.example',
  ].filter((a) => accepted(a) !== undefined);
  const writings = (address: string) => {
    const [local, domain] = [address.slice(0, address.lastIndexOf('@')), address.slice(address.lastIndexOf('@') + 1)];
    const aLabel = accepted(address)!.split('@')[1]!;
    return fc.record({
      local: fc.constantFrom(
        local,
        local.normalize('NFD'),
        local.toUpperCase().normalize('NFC'),
        local.toUpperCase().normalize('NFD'),
      ),
      domain: fc.constantFrom(
        domain,
        domain.toUpperCase(),
        domain.normalize('NFD'),
        aLabel,
        aLabel.toUpperCase(),
        `${domain}.`,
      ),
      wrap: fc.constantFrom('', '"Display Name" <', 'mailto:'),
    });
  };

  it('maps every writing of an address (case, NFC/NFD, U-label/A-label, display name) to one form', () => {
    for (const address of addresses) {
      const expected = accepted(address);
      fc.assert(
        fc.property(writings(address), ({ local, domain, wrap }) => {
          const raw = `${wrap}${local}@${domain}${wrap.endsWith('<') ? '>' : ''}`;
          expect(accepted(raw)).toBe(expected);
        }),
        { numRuns: 200 },
      );
    }
    expect(addresses.length).toBeGreaterThanOrEqual(4);
  });

  it('writes the domain as its A-label, the form Hood is sent', () => {
    expect(accepted('Jane@BÜCHER.de')).toBe('jane@xn--bcher-kva.de');
  });

  it('is its own canonical form (a second pass changes nothing)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.emailAddress(), fc.constantFrom(...addresses)), (address) => {
        const once = accepted(address);
        return once === undefined || accepted(once) === once;
      }),
      { numRuns: 2000 },
    );
  });

  it('matches NEVER_BLOCK entries written in any form against the canonical contact', () => {
    // Prepare
    const list = compileNeverBlock(['JOSÉ@Bücher.de', '*@Пример.РФ']);
    // Act
    const hits = ['josé@xn--bcher-kva.de', 'Jose\u0301@BU\u0308CHER.DE', 'иван@xn--e1afmkfd.xn--p1ai'].map((c) =>
      isNeverBlocked(accepted(c)!, list),
    );
    // Assess
    expect(hits).toEqual([true, true, true]);
  });
});

describe('NEVER_BLOCK entries written before issue 19 (upgrade)', () => {
  it('leaves out, without a configuration error, entries that fold into ASCII (they protect no one now)', () => {
    // Act
    const list = compileNeverBlock([
      'straße@example.de',
      '*@faß.de',
      '*@xn--fa-hia.de',
      '\u212Aate@example.com',
      'jane@example.com',
    ]);
    // Assess
    expect(list.invalid).toEqual([]);
    expect(isNeverBlocked('jane@example.com', list)).toBe(true);
    expect(isNeverBlocked('kate@example.com', list)).toBe(false);
  });

  it('still reports an entry that is no contact at all', () => {
    expect(compileNeverBlock(['not a contact', '*@nodot']).invalid).toEqual([1, 2]);
  });
});

describe('normalisePhone: digits other than ASCII (issue 19 item 3)', () => {
  /** Every numeral that is not 0-9 (decimal digits of all scripts, full-width, superscripts, math digits…). */
  const NUMERALS = [...nonAsciiCodePoints()].filter((c) => /\p{N}/u.test(c));

  it('refuses a number holding any of them, with a reason that says how to write it', () => {
    // Act
    const let_through = NUMERALS.filter(
      (c) => accepted(`+1415555010${c}`) !== undefined || accepted(`+${c}4155550100`) !== undefined,
    );
    const detail = detailOf('+１４１５５５５０１００');
    // Assess
    expect(let_through).toEqual([]);
    expect(detail).toBe(
      'phone number has digits or a plus sign other than ASCII 0-9 and + (full-width or another script): ' +
        'write it with 0-9',
    );
  });

  it('refuses a full-width plus sign, which libphonenumber would read as +', () => {
    expect(detailOf('\uFF0B14155550100')).toMatch(/plus sign other than ASCII/u);
  });

  it('keeps exactly the digits it was given: an accepted number’s digits are the input’s 0-9 (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9][0-9 ().-]{7,18}$/u), (raw) => {
        const out = accepted(raw);
        return out === undefined || sameDigitsUpToNationalPrefix(out.slice(1), raw.replace(/\D/gu, ''));
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * libphonenumber applies a country's national-prefix rules: it drops a trunk prefix written after the country
 * code ("+44 (0)20 7946 0000" → +442079460000) and, for a few countries, restores a leading digit of a short
 * local number (Norfolk Island +672: "38xxxx" → "338xxxx"). Both are the same number. Anything else must keep
 * the input's digits exactly, in order: at most one run of one or two digits dropped or added at one place.
 */
function sameDigitsUpToNationalPrefix(out: string, input: string): boolean {
  if (out === input) return true;
  const [long, short] = out.length > input.length ? [out, input] : [input, out];
  const diff = long.length - short.length;
  if (diff < 1 || diff > 2) return false;
  for (let i = 0; i <= short.length; i += 1) {
    if (long.slice(0, i) === short.slice(0, i) && long.slice(i + diff) === short.slice(i)) return true;
  }
  return false;
}
