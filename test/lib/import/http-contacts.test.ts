import { describe, expect, it } from 'vitest';
import { createJsonClient, type FetchLike } from '../../../lib/import/http.js';

/**
 * Issue 19 item 15, its sibling in import: a provider's error body can quote the suppressed contacts
 * (a list entry, a validation message). The import error, printed and logged, masks them.
 */
const answering =
  (status: number, body: string): FetchLike =>
  async () =>
    new Response(body, { status });

describe('import errors: contacts a provider echoes are masked', () => {
  it('masks every address and number in a 4xx body kept in the error message', async () => {
    // Prepare
    const body = JSON.stringify({
      errors: [{ message: 'jane.doe@example.com is not on the list; see +1 (415) 555-0142' }],
    });
    const client = createJsonClient({ api: 'sendgrid', fetch: answering(400, body), secrets: ['SG.key-0123456789'] });
    // Act
    const error = await client.json('https://api.sendgrid.test/v3/suppression/bounces').catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ reason: 'provider_rejected' });
    expect((error as Error).message).toContain('is not on the list');
    expect((error as Error).message).not.toMatch(/jane\.doe|555-0142|4155550142/u);
  });

  it('masks them in the message of a 5xx the provider reports as permanent (Mandrill)', async () => {
    // Prepare
    const body = JSON.stringify({
      status: 'error',
      name: 'ValidationError',
      message: 'bad email jane.doe@example.com',
    });
    const client = createJsonClient({
      api: 'mandrill',
      fetch: answering(500, body),
      permanentError: (_status, text) => (JSON.parse(text) as { message: string }).message,
    });
    // Act
    const error = await client.json('https://mandrillapp.test/api/1.0/rejects/list.json').catch((e: unknown) => e);
    // Assess
    expect((error as Error).message).toMatch(/^mandrill: bad email j\*\*\*@e\*\*\*\.com$/u);
  });
});
