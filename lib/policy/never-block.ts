import { domainToASCII } from 'node:url';
import { holdsFoldingCharacter, normaliseContact } from '../contact.js';

/**
 * NEVER_BLOCK: the last safety net for test addresses, seed lists and the company's own domains. Entries
 * are exact contacts (an address or a phone number) or `*@domain` patterns (every address of exactly that
 * domain; subdomains are not included, so `*@example.com` never silently covers `*@mail.example.com`).
 *
 * Both sides go through the same normalisation before comparing: normaliseContact (display names
 * stripped, address lower-cased, phone numbers in E.164), then the domain in its ASCII (punycode) form
 * per UTS #46 (https://www.unicode.org/reports/tr46/), and the local part in NFC, so `*@bücher.example`
 * also matches `jane@xn--bcher-kva.example` and `jane@BÜCHER.example`.
 */
export interface NeverBlockList {
  readonly contacts: ReadonlySet<string>;
  readonly domains: ReadonlySet<string>;
}

export const EMPTY_NEVER_BLOCK: NeverBlockList = { contacts: new Set(), domains: new Set() };

/** The comparison form of a domain: lower-case, no trailing dot, ASCII (punycode); undefined if not a host name. */
function domainKey(domain: string): string | undefined {
  const d = domain.trim().replace(/\.$/u, '').normalize('NFC').toLowerCase();
  if (d === '' || d.includes('*') || d.includes('@')) return undefined;
  const ascii = domainToASCII(d);
  return ascii === '' ? undefined : ascii;
}

/** The comparison form of a contact, or undefined when it is not one. */
export function neverBlockKey(raw: string): string | undefined {
  const n = normaliseContact(raw);
  if (!n.ok) return undefined;
  if (n.kind === 'phone') return n.contact;
  const at = n.contact.lastIndexOf('@');
  const domain = domainKey(n.contact.slice(at + 1));
  return domain === undefined ? undefined : `${n.contact.slice(0, at).normalize('NFC')}@${domain}`;
}

/**
 * Compiles NEVER_BLOCK entries. `invalid` lists the 1-based positions of entries that are neither a
 * contact nor `*@domain` (positions, never values: the list holds personal data).
 */
export function compileNeverBlock(entries: readonly string[]): NeverBlockList & { invalid: number[] } {
  const contacts = new Set<string>();
  const domains = new Set<string>();
  const invalid: number[] = [];
  entries.forEach((entry, i) => {
    const e = entry.trim();
    if (e.startsWith('*@')) {
      const key = domainKey(e.slice(2));
      if (key?.includes('.') && neverBlockKey(`x@${key}`) !== undefined) domains.add(key);
      else if (!holdsFoldingCharacter(e)) invalid.push(i + 1);
      return;
    }
    const key = neverBlockKey(e);
    if (key !== undefined) contacts.add(key);
    // An address with a character case folding turns into ASCII (the Kelvin sign, `ß`) is refused as a
    // contact everywhere since issue 19, so it is never blocked and its entry protects no one: left out,
    // not an error (it was valid before, and an error would stop the consumer at its next cold start).
    else if (!holdsFoldingCharacter(e)) invalid.push(i + 1);
  });
  return { contacts, domains, invalid };
}

export function isNeverBlocked(contact: string, list: NeverBlockList | undefined): boolean {
  if (list === undefined || (list.contacts.size === 0 && list.domains.size === 0)) return false;
  const key = neverBlockKey(contact);
  if (key === undefined) return false;
  if (list.contacts.has(key)) return true;
  const at = key.lastIndexOf('@');
  return at > 0 && list.domains.has(key.slice(at + 1));
}
