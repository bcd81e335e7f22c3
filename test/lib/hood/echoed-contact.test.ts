import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseContact, redactContacts } from '../../../lib/contact.js';
import { createHoodClient } from '../../../lib/hood/client.js';

/**
 * Issue 19 item 15: Hood's error text is logged and dead-lettered, and may quote the contact we sent in
 * any form. The client masks it before anything else sees it. A real HTTP stand-in answers what the test
 * scripts (the network edge is real; only Hood's words are chosen).
 */

let server: Server;
let url = '';
let next: { status: number; body: unknown } = { status: 400, body: {} };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.body)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/hood`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const canonical = (raw: string) => {
  const n = normaliseContact(raw);
  if (!n.ok) throw new Error(n.detail);
  return n.contact;
};

/** Ways an API may echo what it was sent. */
function echoesOf(contact: string): string[] {
  if (contact.startsWith('+')) {
    const d = contact.slice(1);
    return [
      contact,
      d,
      `+${d.slice(0, 1)} ${d.slice(1, 4)} ${d.slice(4, 7)} ${d.slice(7)}`,
      `(${d.slice(1, 4)}) ${d.slice(4, 7)}-${d.slice(7)}`,
      d.slice(1),
      `${d.slice(1, 4)}.${d.slice(4, 7)}.${d.slice(7)}`,
    ];
  }
  const at = contact.lastIndexOf('@');
  const local = contact.slice(0, at);
  const domain = contact.slice(at + 1);
  return [
    contact,
    contact.toUpperCase(),
    encodeURIComponent(contact),
    `${local}@${domainToUnicode(domain)}`,
    `<${contact}>`,
    `"${local}"`,
    local.toUpperCase(),
  ];
}

/** Pieces of the contact that must not survive: the local part (3+ characters) and 7 digits in a row. */
function leaks(text: string, contact: string): string[] {
  const lower = text.toLowerCase();
  if (contact.startsWith('+')) {
    const digits = contact.slice(1);
    const found: string[] = [];
    const bare = text.replace(/\D/gu, ' ');
    for (let i = 0; i + 7 <= digits.length; i += 1)
      if (bare.includes(digits.slice(i, i + 7)) || text.includes(digits.slice(i, i + 7)))
        found.push(digits.slice(i, i + 7));
    return found;
  }
  const local = contact.slice(0, contact.lastIndexOf('@'));
  return [contact, local, encodeURIComponent(local)].filter(
    (f) => [...f].length >= 3 && lower.includes(f.toLowerCase()),
  );
}

const CONTACTS = [
  'jane.doe@example.com',
  'josé.müller@bücher.de',
  '用户名@例子.广告',
  '+14155550142',
  '+447700900123',
  '+38761234987',
].map(canonical);

describe('Hood client: the contact Hood echoes in an error is masked (issue 19 item 15)', () => {
  it('masks it in a 400’s title, message and trace id, in every form Hood may echo it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CONTACTS),
        fc.nat(20),
        fc.constantFrom('title', 'message', 'trace_id'),
        async (contact, pick, field) => {
          // Prepare
          const forms = echoesOf(contact);
          const echo = forms[pick % forms.length]!;
          next = {
            status: 400,
            body: {
              code: 400,
              title: 'Bad request.',
              message: 'The request body is not valid.',
              trace_id: 't-1',
              [field]: `Contact ${echo} is not valid`,
            },
          };
          const client = createHoodClient({ apiUrl: url, token: 'test-token-abc', requestTimeoutMs: 5000 });
          // Act
          const result = await client.createBlockedContact({ contact, description: 'test' });
          // Assess
          expect(result.kind).toBe('rejected');
          expect(leaks(JSON.stringify(result), contact)).toEqual([]);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('keeps Hood’s words readable around the masked contact', async () => {
    // Prepare
    next = {
      status: 400,
      body: {
        code: 400,
        title: 'Bad request.',
        message: 'Contact Jane.Doe@Example.com is not a valid email (550 5.1.1)',
        trace_id: '99a84211-1111',
      },
    };
    const client = createHoodClient({ apiUrl: url, token: 'test-token-abc', requestTimeoutMs: 5000 });
    // Act
    const result = await client.createBlockedContact({ contact: 'jane.doe@example.com', description: 'test' });
    // Assess
    expect(result).toMatchObject({
      kind: 'rejected',
      status: 400,
      title: 'Bad request.',
      message: 'Contact J***@E***.com is not a valid email (550 5.1.1)',
      traceId: '99a84211-1111',
    });
  });

  it('masks any other address or number in the text too, and in a 5xx message', async () => {
    // Prepare
    next = {
      status: 503,
      body: {
        code: 503,
        title: 'Unavailable',
        message: 'Upstream failed for other.person@example.org, call +1 415 555 0199',
      },
    };
    const client = createHoodClient({ apiUrl: url, token: 'test-token-abc', requestTimeoutMs: 5000 });
    // Act
    const result = await client.createBlockedContact({ contact: 'jane.doe@example.com', description: 'test' });
    // Assess
    expect(result.kind).toBe('unavailable');
    expect(JSON.stringify(result)).not.toMatch(/other\.person|415 555 0199|4155550199/u);
  });

  it('masks contacts in the errors of the token check and the list call (no contact was sent there)', async () => {
    // Prepare
    next = {
      status: 400,
      body: {
        code: 400,
        title: 'Bad request.',
        message: 'Blocked contact jane.doe@example.com / +14155550142 not readable',
      },
    };
    const client = createHoodClient({ apiUrl: url, token: 'test-token-abc', requestTimeoutMs: 5000 });
    // Act
    const listed = await client.listBlockedContacts();
    const validated = await client.validateToken();
    // Assess
    for (const r of [listed, validated]) expect(JSON.stringify(r)).not.toMatch(/jane\.doe|4155550142/u);
  });
});

describe('redactContacts: numbers in free text', () => {
  it('masks a number written nationally with separators, and keeps dates, times, SMTP codes and IPs', () => {
    // Act
    const out = redactContacts(
      '550 5.1.1 at 2026-01-05 10:22:33 from 192.0.2.10 on 05.01.2026: call (415) 555-0142 or 0044 7700 900123',
    );
    // Assess
    expect(out).toBe(
      '550 5.1.1 at 2026-01-05 10:22:33 from 192.0.2.10 on 05.01.2026: call 41******42 or 00**********23',
    );
  });
});
