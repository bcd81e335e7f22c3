import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../../lib/import/run.js';
import { createImportSource } from '../../../lib/providers/suppressions.js';
import type { FetchLike } from '../../../lib/import/http.js';

const PROVIDERS = ['sendgrid', 'mailgun', 'postmark', 'brevo', 'sparkpost', 'mandrill'] as const;
const ALL = new Set(['hard_bounce', 'complaint', 'unsubscribe', 'sms_opt_out', 'suppressed', 'manual'] as const);
const MAX_CALLS = 40;

/** A provider answering every request with the same arbitrary JSON, counting calls. */
function answering(body: unknown): { fetch: FetchLike; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: async () => {
      calls += 1;
      if (calls > MAX_CALLS) throw new Error('the import kept paging through the same answer');
      return new Response(JSON.stringify(body), { status: 200 });
    },
  };
}

const row = fc.dictionary(
  fc.constantFrom(
    'email',
    'address',
    'recipient',
    'EmailAddress',
    'reason',
    'source',
    'code',
    'status',
    'created',
    'created_at',
    'CreatedAt',
    'SuppressionReason',
    'Origin',
    'expired',
    'blockedAt',
  ),
  fc.oneof(
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.constantFrom(
      'jane@example.com',
      '+38761234567',
      'hard-bounce',
      'Spam Complaint',
      'HardBounce',
      'ManualSuppression',
      '550',
      '4.2.2',
    ),
    fc.dictionary(fc.constantFrom('code', 'message'), fc.string()),
  ),
);
const answer = fc.oneof(
  fc.anything(),
  fc.array(row, { maxLength: 5 }),
  fc.record({
    items: fc.array(row, { maxLength: 5 }),
    paging: fc.record({
      next: fc.oneof(fc.string(), fc.constant('http://api.test/v3/mg.example.com/bounces?page=next')),
    }),
  }),
  fc.record({
    results: fc.array(row, { maxLength: 5 }),
    links: fc.array(fc.record({ rel: fc.constant('next'), href: fc.string() }), { maxLength: 2 }),
    total_count: fc.integer(),
  }),
  fc.record({ contacts: fc.array(row, { maxLength: 5 }), count: fc.integer() }),
  fc.record({
    Suppressions: fc.array(row, { maxLength: 5 }),
    MessageStreams: fc.array(fc.record({ ID: fc.string() }), { maxLength: 2 }),
  }),
);

describe('any provider answer', () => {
  it('never makes an import throw anything but a described error, loop for ever, or queue a non-contact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROVIDERS), answer, async (provider, body) => {
        const edge = answering(body);
        const config = { provider, apiUrl: 'http://api.test', apiKey: 'k', domain: 'mg.example.com' };
        const source = createImportSource(config, { http: { fetch: edge.fetch, sleep: async () => undefined } });
        const sent: { contact: string }[] = [];
        try {
          await runImport({
            source,
            page: { types: [...source.defaultLists], until: new Date() },
            policy: { blockReasons: ALL },
            send: async (m) => void sent.push(...m),
          });
        } catch (error) {
          // A refused answer is a described error naming the provider, never a crash (TypeError & co.).
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).constructor.name).not.toMatch(/TypeError|RangeError|SyntaxError/u);
          expect((error as Error).message).toMatch(new RegExp(`${provider}|repeats|cursor|stream`, 'u'));
        }
        expect(edge.calls()).toBeLessThanOrEqual(MAX_CALLS);
        for (const m of sent)
          expect(
            m.contact === 'jane@example.com' ||
              m.contact === '+38761234567' ||
              /@/u.test(m.contact) ||
              /^\+\d+$/u.test(m.contact),
          ).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
