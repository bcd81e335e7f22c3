import { describe, expect, it } from 'vitest';
import { readRows } from '../../cli/shared/rows.js';
import { mapGeneric } from '../../lib/providers/generic/map.js';

/**
 * normalisePhone reads every number without "+" as international (right for Vonage's `msisdn`, which
 * omits the "+"), on every path. A backfill CSV or a company app on the generic route that holds North
 * American numbers in national format — the most common form in a US export — then names someone
 * else: "(917) 555-0100" (New York) becomes +91 75550100, "(614) 555-0100" (Ohio) +61…, "(604) 555-0100"
 * (Vancouver) +60…. The stranger abroad is blocked for good and the real opt-out is lost.
 */
const NATIONAL = ['(917) 555-0100', '(614) 555-0100', '(604) 555-0100', '469-555-0100'];

describe('a phone number in national format (no country code)', () => {
  it('enqueue never queues it as a number of another country', () => {
    // Prepare
    const csv = `contact,reason\n${NATIONAL.map((n) => `"${n}",unsubscribe`).join('\n')}\n`;

    // Act
    const { valid } = readRows(csv, 'csv', { source: 'backfill' });

    // Assess: either reported as invalid (country code missing) or read as the North American number.
    for (const row of valid) expect(row.message.contact).toMatch(/^\+1\d{10}$/u);
  });

  it('the generic route never blocks it as a number of another country', () => {
    // Act
    const decisions = mapGeneric(NATIONAL.map((contact) => ({ contact, reason: 'unsubscribe' })));

    // Assess
    const blocked = decisions.filter((d) => d.action === 'block').map((d) => d.contact);
    for (const contact of blocked) expect(contact).toMatch(/^\+1\d{10}$/u);
  });
});
