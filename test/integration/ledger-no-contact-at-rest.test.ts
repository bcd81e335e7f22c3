import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../lib/config.js';
import { normaliseContact } from '../../lib/contact.js';
import { createLedgerHooks } from '../../lib/consumer/ledger-hooks.js';
import { processBatch } from '../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../lib/consumer/recent.js';
import { createHoodClient } from '../../lib/hood/client.js';
import { importMessage } from '../../lib/import/run.js';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { encodeMessage } from '../../lib/queue/message.js';
import { Pacer } from '../../lib/pacing/pacer.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { captureLog } from '../helpers/logs.js';
import { localConsumerEnv, receiveAll, sendBodies, sqsClientFor, toRecord } from '../helpers/sqs.js';

/**
 * Issue 19 items 8 and 15, through the real consumer: fauxqs queues, a dynalite ledger, the real Hood
 * client against an HTTP stand-in of Hood that echoes the contact it was sent in its 400 text, as APIs do.
 * Contacts come with display names, in mixed case, with IDN domains and as phone numbers in several
 * formats, in every field of a queue message that can reach the ledger (contact, source, event id), and
 * in an SES Subscription event. Then every attribute of every item is scanned for any form of them.
 */

interface Person {
  /** As a provider or an app writes it. */
  raw: string;
  displayName?: string;
}

const PEOPLE: Person[] = [
  { raw: '"Jane Doe" <Jane.Doe@Example.com>', displayName: 'Jane Doe' },
  { raw: 'José Müller <José.Müller@BÜCHER.example>', displayName: 'José Müller' },
  { raw: 'Zoë Quinn <Zoe.Quinn@Example.org>', displayName: 'Zoë Quinn' },
  { raw: '0044 7700 900 123' },
  { raw: 'tel:+387-61-234-987' },
  { raw: 'Never Me <Never.Me@Example.net>', displayName: 'Never Me' },
];
/**
 * Hood answers 400 for these, echoing the contact in other forms. Their messages carry the contact only
 * where a contact belongs (a caller-chosen `source` is logged as given: not this test's subject).
 */
const REJECTED: Person[] = [
  { raw: '"Rita Ray" <Rita.Ray@Example.com>', displayName: 'Rita Ray' },
  { raw: '+1 (415) 555-0142' },
];
/** Opted out through an SES Subscription event (its only contact field is `mail.destination`). */
const SES_PERSON: Person = { raw: '"Ann Other" <Ann.Other@Example.com>', displayName: 'Ann Other' };

const canonical = (raw: string) => {
  const n = normaliseContact(raw);
  if (!n.ok) throw new Error(`test contact ${raw} is not valid: ${n.detail}`);
  return n.contact;
};
const addressOf = (raw: string) => /<([^<>]+)>\s*$/u.exec(raw)?.[1] ?? raw;

/** Every form of a person that must never be found (compared lower-cased). */
function forms(person: Person): string[] {
  const c = canonical(person.raw);
  const out = new Set<string>();
  if (c.startsWith('+')) {
    // Any 7 consecutive digits of the number, with or without its country code.
    const digits = c.slice(1);
    for (let i = 0; i + 7 <= digits.length; i += 1) out.add(digits.slice(i, i + 7));
  } else {
    const address = addressOf(person.raw);
    const local = c.slice(0, c.lastIndexOf('@'));
    const unicodeDomain = address.slice(address.lastIndexOf('@') + 1);
    for (const f of [
      address,
      c,
      local,
      `${local}@${unicodeDomain}`,
      encodeURIComponent(address),
      encodeURIComponent(c),
      local.normalize('NFD'),
    ])
      out.add(f.toLowerCase());
  }
  if (person.displayName) out.add(person.displayName.toLowerCase());
  return [...out];
}

const found = (haystack: string, people: readonly Person[]) => {
  const lower = haystack.toLowerCase();
  return people.flatMap((p) =>
    forms(p)
      .filter((f) => lower.includes(f))
      .map((f) => `${p.raw}: ${f}`),
  );
};

/** The Hood stand-in: 201 for most, 400 echoing the contact (in other forms) for some, as a real API may. */
function hoodStandIn(): Promise<{ server: Server; url: string; sent: string[] }> {
  const sent: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const contact = (JSON.parse(body) as { contact: string }).contact;
      sent.push(contact);
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      };
      if (contact.startsWith('+1')) {
        const n = contact.slice(2);
        return reply(400, {
          code: 400,
          title: 'Bad request.',
          message: `Phone (${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)} [${contact}] is not valid for contact ${n}`,
          trace_id: `t-${contact}`,
        });
      }
      if (contact.startsWith('rita')) {
        return reply(400, {
          code: 400,
          title: `Bad request for ${contact.toUpperCase()}`,
          message: `Contact "${contact.split('@')[0]}" (${encodeURIComponent(contact)}) is not valid`,
          trace_id: 'trace-1',
        });
      }
      return reply(201, {
        id: String(4000 + sent.length),
        contact: '* * * * *',
        type: contact.startsWith('+') ? 'mobile_phone_number' : 'email',
      });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/hood`, sent }),
    ),
  );
}

let dynamo: LocalDynamo;
let queues: LocalQueues;
let sqs: SQSClient;
let hood: Awaited<ReturnType<typeof hoodStandIn>>;
let ledger: DynamoLedger;
let logs: ReturnType<typeof captureLog>;
let deadLetters: Message[];

/** The ledger's clock (the times it stores); the consumer keeps the real one for its deadline and pacing. */
const NOW = Date.parse('2026-02-03T04:05:06.000Z');

/** One queue message per person, the person in every field that can reach the ledger. */
function messagesFor(person: Person, i: number): string[] {
  const address = addressOf(person.raw);
  const c = canonical(person.raw);
  const reason = person.raw.includes('Zoe') ? 'soft_bounce' : 'unsubscribe';
  const sources = [person.raw, address, c, person.displayName ?? c.replace(/\D/gu, '')];
  return [0, 1].map((n) =>
    JSON.stringify({
      contact: n === 0 ? person.raw : c.toUpperCase(),
      reason,
      source: sources[(i + n) % sources.length]!.slice(0, 100),
      description: `opt-out of ${person.raw}`,
      eventId: `${person.raw}|${address.toLowerCase()}|${c}|${person.displayName ?? ''}|${n}`,
    }),
  );
}

function sesSubscriptionEvent(person: Person): string {
  return JSON.stringify({
    eventType: 'Subscription',
    mail: {
      timestamp: '2026-02-03T04:00:00.000Z',
      source: 'sender@example.com',
      messageId: `${person.raw} ${addressOf(person.raw)}`,
      destination: [person.raw],
    },
    subscription: {
      contactList: 'News',
      timestamp: '2026-02-03T04:00:01.000Z',
      source: 'UnsubscribeHeader',
      newTopicPreferences: { unsubscribeAll: true },
      oldTopicPreferences: { unsubscribeAll: false },
    },
  });
}

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-at-rest' });
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
  hood = await hoodStandIn();
  const config = loadConsumerConfig({
    ...localConsumerEnv(queues),
    HOOD_API_URL: hood.url,
    SOFT_BOUNCE_POLICY: '2/30d',
    NEVER_BLOCK: 'never.me@example.net',
  });
  const clock = () => NOW;
  ledger = new DynamoLedger({
    table: dynamo.table,
    client: dynamo.client,
    hashKey: 'at-rest-test-key-0123456789abc',
    blockedDays: 30,
    historyDays: 400,
    clock,
  });
  logs = captureLog();
  const count = () => {};
  // A fresh container per batch (its own recent-contacts set), so a repeat is decided by the ledger.
  const deps = () => ({
    config,
    hood: createHoodClient({ apiUrl: hood.url, token: 'test-token', requestTimeoutMs: 5000 }),
    sqs,
    pacer: new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
    recent: new RecentContacts(),
    logger: logs,
    count,
    random: () => 0.5,
    ledger: createLedgerHooks({ ledger, config, logger: logs, count, clock, random: () => 0.5 }),
  });
  // Act (for every test below): live messages, an import, an SES event; each batch through the consumer.
  const bodies = [
    ...PEOPLE.flatMap(messagesFor),
    ...REJECTED.map((p, i) =>
      JSON.stringify({ contact: p.raw, reason: 'complaint', source: 'crm', eventId: `crm-${i}` }),
    ),
    encodeMessage(
      importMessage(
        'sendgrid',
        {
          contact: PEOPLE[1]!.raw,
          reason: 'hard_bounce',
          list: 'bounces',
          providerReason: `550 ${PEOPLE[1]!.raw}`,
          occurredAt: '2026-01-01T00:00:00Z',
        },
        canonical(PEOPLE[1]!.raw),
      ),
    ),
    sesSubscriptionEvent(SES_PERSON),
  ];
  for (const body of bodies) {
    await sendBodies(sqs, queues.blockQueueUrl, [body]);
    const records = (await receiveAll(sqs, queues.blockQueueUrl, 1)).map((m) => toRecord(m, queues.blockQueueArn));
    await processBatch(records, () => 60_000, deps());
  }
  // An operator's forget, by a writing of the contact the pipeline never saw.
  await ledger.forget('JOSÉ.MÜLLER@xn--bcher-kva.example', {
    at: new Date(NOW).toISOString(),
    source: 'cli',
    reason: 'manual',
    outcome: 'forgotten',
  });
  deadLetters = await receiveAll(sqs, queues.deadLetterQueueUrl, 100);
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => hood.server.close(() => resolve()));
  sqs.destroy();
  await queues.stop();
  await dynamo.stop();
});

describe('the ledger holds no contact in any form (issue 19 item 8)', () => {
  it('went through every path that writes to it (blocked, dead-lettered, ignored, soft bounce counted, forgotten)', async () => {
    // Act
    const stories = await Promise.all([...PEOPLE, ...REJECTED, SES_PERSON].map((p) => ledger.why(p.raw)));
    // Assess
    const outcomes = new Set(stories.flatMap((s) => s?.events.map((e) => e.outcome) ?? []));
    expect([...outcomes].sort()).toEqual(
      expect.arrayContaining([
        'already_blocked',
        'blocked',
        'dead_lettered',
        'forgotten',
        'ignored',
        'soft_bounce_counted',
      ]),
    );
    expect(stories.every((s) => s !== undefined)).toBe(true);
  });

  it('finds no contact, local part, display name or 7 digits of a number in any attribute of any item', async () => {
    // Act
    const scan = await dynamo.client.send(new ScanCommand({ TableName: dynamo.table }));
    const dump = JSON.stringify(scan.Items);
    // Assess
    expect(scan.Items!.length).toBeGreaterThan(20);
    expect(found(dump, [...PEOPLE, ...REJECTED, SES_PERSON])).toEqual([]);
  });

  it('still tells each event’s story: keyed ids, the same for the same provider id, with source, reason and time', async () => {
    // Prepare
    const jane = PEOPLE[0]!;
    const firstId = JSON.parse(messagesFor(jane, 0)[0]!).eventId as string;
    // Act
    const story = await ledger.why('jane.doe@example.com');
    // Assess
    // (Both at the ledger's one clock time: their order is the tie-breaker's.)
    expect(story?.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          at: new Date(NOW).toISOString(),
          reason: 'unsubscribe',
          outcome: 'blocked',
          eventId: ledger.eventKey(firstId),
        }),
        expect.objectContaining({
          outcome: 'already_blocked',
          eventId: ledger.eventKey(JSON.parse(messagesFor(jane, 0)[1]!).eventId as string),
        }),
      ]),
    );
    expect(story?.events.every((e) => /^e#[\w-]{22}$/u.test(e.eventId ?? ''))).toBe(true);
  });
});

describe('Hood’s 400 text, logged and dead-lettered, is masked (issue 19 item 15)', () => {
  const rejected = REJECTED;

  it('sent the contacts whose 400 echoes them, and dead-lettered them with Hood’s words', () => {
    // Assess
    expect(hood.sent).toEqual(expect.arrayContaining(rejected.map((p) => canonical(p.raw))));
    const details = deadLetters.map((m) => m.MessageAttributes?.detail?.StringValue ?? '');
    expect(details.filter((d) => d.startsWith('HTTP 400: Bad request'))).toHaveLength(2);
  });

  it('keeps the contact out of every log line, in whatever form Hood echoed it', () => {
    expect(found(logs.text(), rejected)).toEqual([]);
  });

  it('keeps the contact out of every dead-letter attribute (the body keeps it, so it can be redriven)', () => {
    // Act
    const hoodDeadLetters = deadLetters.filter((m) => m.MessageAttributes?.reason?.StringValue === 'hood_rejected');
    // Assess
    expect(hoodDeadLetters).toHaveLength(2);
    expect(found(JSON.stringify(hoodDeadLetters.map((m) => m.MessageAttributes)), rejected)).toEqual([]);
    expect(found(hoodDeadLetters.map((m) => m.Body).join('\n'), rejected).length).toBeGreaterThan(0);
  });
});
