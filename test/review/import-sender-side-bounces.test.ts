import { describe, expect, it } from 'vitest';
import { createMailgunSource } from '../../lib/providers/mailgun/suppressions.js';
import { createSendgridSource } from '../../lib/providers/sendgrid/suppressions.js';
import type { FetchLike } from '../../lib/import/http.js';
import type { ImportSource, SuppressionEntry } from '../../lib/import/types.js';
import { mapMailgun } from '../../lib/providers/mailgun/map.js';
import { mapSendgrid } from '../../lib/providers/sendgrid/map.js';

/**
 * The live mappers read the SMTP reply of a permanent failure and refuse to block when it is about the
 * sender (X.7.x policy/reputation, RFC 3463): "an event blocks only for a permanent failure of the
 * recipient's address". The day-one import reads the SAME bounces from the provider's bounce list and
 * queues every one of them as hard_bounce, skipping only 4xx: the import blocks what the live path ignores.
 */
const REPUTATION = {
  status: '5.7.1',
  reason: '550 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using Spamhaus',
};

function jsonFetch(body: unknown): FetchLike {
  return async () =>
    new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

async function entries(source: ImportSource, types: string[]): Promise<SuppressionEntry[]> {
  const out: SuppressionEntry[] = [];
  for await (const page of source.pages({ types, until: new Date('2026-01-01T00:00:00Z') })) out.push(...page.entries);
  return out;
}

describe('import: a sender-side bounce on the provider bounce list', () => {
  it('SendGrid: is not imported as a hard bounce, as the live event is not blocked', async () => {
    // Prepare
    const live = mapSendgrid(
      [
        {
          event: 'bounce',
          type: 'bounce',
          email: 'jane@example.com',
          sg_event_id: 'e1',
          timestamp: 1767225600,
          ...REPUTATION,
        },
      ],
      { smsOptOutKeywords: new Set() },
    );
    const fetch = jsonFetch([{ created: 1767225600, email: 'jane@example.com', ...REPUTATION }]);
    const source = createSendgridSource(
      { provider: 'sendgrid', apiUrl: 'https://api.sendgrid.example', apiKey: 'SG.test-key' },
      { fetch },
      { includeGroupUnsubscribes: false },
    );

    // Act
    const imported = await entries(source, ['bounces']);

    // Assess: the live path ignores this bounce; the import must not turn it into a block.
    expect(live.map((d) => d.action)).toEqual(['ignore']);
    expect(imported.map((e) => [e.contact, e.reason])).not.toContainEqual(['jane@example.com', 'hard_bounce']);
  });

  it('Mailgun: is not imported as a hard bounce, as the live event is not blocked', async () => {
    // Prepare
    const live = mapMailgun(
      {
        'event-data': {
          event: 'failed',
          severity: 'permanent',
          reason: 'bounce',
          id: 'e1',
          timestamp: 1767225600,
          recipient: 'jane@example.com',
          'delivery-status': { code: 550, message: REPUTATION.reason },
        },
      },
      { smsOptOutKeywords: new Set() },
    );
    const fetch = jsonFetch({
      items: [
        {
          address: 'jane@example.com',
          code: '550',
          error: REPUTATION.reason,
          created_at: 'Thu, 01 Jan 2026 00:00:00 UTC',
        },
      ],
      paging: {},
    });
    const source = createMailgunSource(
      { provider: 'mailgun', apiUrl: 'https://api.mailgun.example', apiKey: 'key-test', domain: 'mg.example.com' },
      { fetch },
    );

    // Act
    const imported = await entries(source, ['bounces']);

    // Assess
    expect(live.map((d) => d.action)).toEqual(['ignore']);
    expect(imported.map((e) => [e.contact, e.reason])).not.toContainEqual(['jane@example.com', 'hard_bounce']);
  });
});
