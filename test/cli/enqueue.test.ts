import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { sendMessages } from '../../lib/queue/sqs.js';
import { queueDepth, receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir, writeStateFor } from './helpers.js';

// `enqueue` against a real SQS emulator, reached the way an operator reaches the local pipeline
// (`--local`, via the state file `hood-blocker start` writes).

// Line numbers matter here: every row is on the line its comment says.
const CSV = [
  'contact,reason,description', //                  line 1: header
  'jane@example.com,unsubscribe,first', //          line 2: valid
  'not-an-address,unsubscribe,', //                 line 3: invalid contact
  'bob@example.com,bounced,', //                    line 4: bad reason
  ',manual,nobody', //                              line 5: missing contact
  '+38761234567,sms_opt_out,', //                   line 6: valid
  'JANE@Example.com,complaint,again', //            line 7: duplicate of line 2
  '"carol@example.com",manual,"two', //             line 8: valid, quoted field spanning
  'lines"', //                                      line 9
  'dave@example.com', //                            line 10: valid, optional columns left out
  '',
].join('\n');

const NDJSON = [
  '{"contact":"erin@example.com","reason":"hard_bounce"}', // line 1
  '{"contact":"frank@example"}', //                           line 2: invalid contact
  'not json', //                                              line 3
  '', //                                                      line 4: blank, not a row
  '{"contact":"+447700900123","occurredAt":"yesterday"}', //  line 5: bad occurredAt
  '{"contact":"erin@example.com"}', //                        line 6: duplicate of line 1
  '{"contact":"+447700900123"}', //                           line 7: valid
].join('\n');

let queues: LocalQueues;
let sqs: SQSClient;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  queues = await startLocalQueues();
  sqs = sqsClientFor(queues);
  dir = tempDir();
  writeStateFor(join(dir.path, '.hood-blocker'), queues);
});

afterEach(async () => {
  sqs.destroy();
  await queues.stop();
  dir.remove();
});

function file(name: string, content: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, content);
  return path;
}

const local = () => ['--local', '--state-dir', join(dir.path, '.hood-blocker')];

async function queuedBodies(): Promise<Record<string, unknown>[]> {
  const messages = await receiveAll(sqs, queues.bulkQueueUrl);
  return messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
}

describe('hood-blocker enqueue (CSV)', () => {
  it('reports every invalid row with its line number and a reason, and exits 1', async () => {
    // Prepare
    const csv = file('contacts.csv', CSV);

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--json']);

    // Assess
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as { invalid: { line: number; reason: string }[] };
    expect(summary.invalid.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(summary.invalid[0]!.reason).toMatch(/contact is invalid/u);
    expect(summary.invalid[1]!.reason).toMatch(/reason "bounced" is not one of/u);
    expect(summary.invalid[2]!.reason).toBe('contact is missing');
  });

  it('puts every valid contact on the queue exactly once, normalised', async () => {
    // Prepare
    const csv = file('contacts.csv', CSV);

    // Act
    await runCli(['enqueue', csv, ...local()]);

    // Assess
    const contacts = (await queuedBodies()).map((b) => b.contact).sort();
    expect(contacts).toEqual(['+38761234567', 'carol@example.com', 'dave@example.com', 'jane@example.com']);
  });

  it('keeps the fields of a row and fills in the default source', async () => {
    // Prepare
    const csv = file('contacts.csv', CSV);

    // Act
    await runCli(['enqueue', csv, ...local()]);

    // Assess
    const carol = (await queuedBodies()).find((b) => b.contact === 'carol@example.com');
    expect(carol).toEqual({
      contact: 'carol@example.com',
      reason: 'manual',
      description: 'two\nlines',
      source: 'backfill',
    });
  });

  it('reports a repeated contact as a duplicate of the first row', async () => {
    // Prepare
    const csv = file('contacts.csv', CSV);

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--json']);

    // Assess
    const summary = JSON.parse(result.stdout) as { duplicates: { line: number; firstLine: number; contact: string }[] };
    expect(summary.duplicates).toEqual([{ line: 7, firstLine: 2, contact: 'j***@e***.com' }]);
  });

  it('names the invalid lines in its human-readable summary and says the valid ones were queued', async () => {
    // Prepare
    const csv = file('contacts.csv', CSV);

    // Act
    const result = await runCli(['enqueue', csv, ...local()]);

    // Assess
    expect(result.stdout).toContain('line 3: contact is invalid');
    expect(result.stdout).toContain('line 5: contact is missing');
    expect(result.stdout).toContain('line 7: same contact as line 2');
    expect(result.stdout).toMatch(/Exit code 1: 3 rows invalid; the 4 valid contacts were queued/u);
  });

  it('exits 0 when every row is valid', async () => {
    // Prepare
    const csv = file('ok.csv', 'contact\njane@example.com\n+38761234567\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local()]);

    // Assess
    expect(result.code).toBe(0);
    expect(await queueDepth(sqs, queues.bulkQueueUrl)).toMatchObject({ visible: 2 });
  });

  it('queues a backfill on the bulk queue, never on the live block queue', async () => {
    // Prepare
    const csv = file('ok.csv', 'contact\njane@example.com\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local()]);

    // Assess
    expect(result.code).toBe(0);
    expect(await queueDepth(sqs, queues.bulkQueueUrl)).toMatchObject({ visible: 1 });
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('falls back to the block queue with a warning when the pipeline has no bulk queue', async () => {
    // Prepare
    writeStateFor(join(dir.path, '.hood-blocker'), queues, undefined, { withBulk: false });
    const csv = file('ok.csv', 'contact\njane@example.com\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local()]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: no bulk queue/u);
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toMatchObject({ visible: 1 });
  });

  it('queues a repeated contact with its row that blocks: a soft bounce listed first does not shadow the unsubscribe', async () => {
    // Prepare
    const csv = file('events.csv', 'contact,reason\njane@example.com,soft_bounce\njane@example.com,unsubscribe\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--json']);

    // Assess
    expect((await queuedBodies()).map((b) => [b.contact, b.reason])).toEqual([['jane@example.com', 'unsubscribe']]);
    expect(JSON.parse(result.stdout).duplicates).toEqual([{ line: 2, firstLine: 3, contact: expect.any(String) }]);
  });

  it('notes soft-bounce rows as never blocking by themselves, even when BLOCK_REASONS lists soft_bounce', async () => {
    // Prepare
    const csv = file('soft.csv', 'contact,reason\njane@example.com,soft_bounce\nbob@example.com,unsubscribe\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local()], { BLOCK_REASONS: 'unsubscribe,soft_bounce' });

    // Assess
    expect(result.stdout).toMatch(/1 row with reason soft_bounce, which never blocks by itself/u);
  });

  it('applies --reason to rows without one', async () => {
    // Prepare
    const csv = file('ok.csv', 'contact,reason\njane@example.com,\nbob@example.com,complaint\n');

    // Act
    await runCli(['enqueue', csv, ...local(), '--reason', 'unsubscribe']);

    // Assess
    const reasons = Object.fromEntries((await queuedBodies()).map((b) => [b.contact, b.reason]));
    expect(reasons).toEqual({ 'jane@example.com': 'unsubscribe', 'bob@example.com': 'complaint' });
  });

  it('sends nothing with --dry-run', async () => {
    // Prepare
    const csv = file('contacts.csv', CSV);

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--dry-run', '--json']);

    // Assess
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, valid: 4, queued: 0 });
    expect(await queueDepth(sqs, queues.bulkQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('treats a file without a "contact" column as a usage error (exit 2)', async () => {
    // Prepare
    const csv = file('wrong.csv', 'email,name\njane@example.com,Jane\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local()]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('no "contact" column (found: "email", "name"); pass --column "email"');
  });

  it('queues every row after a malformed line and reports that line by its number', async () => {
    // Prepare
    const csv = file(
      'backfill.csv',
      'contact,reason\na@example.com,unsubscribe\n"bad" x,unsubscribe\nb@example.com,unsubscribe\nc@example.com,manual\n',
    );

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--json']);

    // Assess
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { invalid: { line: number }[] }).invalid.map((r) => r.line)).toEqual([3]);
    expect((await queuedBodies()).map((b) => b.contact).sort()).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
  });

  it('reads the contacts from --column and a semicolon-separated export with a byte-order mark', async () => {
    // Prepare
    const csv = file('export.csv', '\uFEFFEmailAddress;Name\r\njane@example.com;Jane\r\nbob@example.com;Bob\r\n');

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--column', 'EmailAddress']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('read as semicolon-separated');
    expect((await queuedBodies()).map((b) => b.contact).sort()).toEqual(['bob@example.com', 'jane@example.com']);
  });

  it('counts the backlog already on the queue in the time to block', async () => {
    // Prepare: 150 waiting, 150 more from the file, at 150/min: two minutes in all.
    const waiting = Array.from({ length: 150 }, (_, i) => ({ body: JSON.stringify({ contact: `w${i}@example.com` }) }));
    await sendMessages(sqs, queues.bulkQueueUrl, waiting);
    const csv = file('more.csv', `contact\n${Array.from({ length: 150 }, (_, i) => `n${i}@example.com`).join('\n')}\n`);

    // Act
    const result = await runCli(['enqueue', csv, ...local(), '--json'], { HOOD_RATE_LIMITS: '150/1m' });

    // Assess
    const summary = JSON.parse(result.stdout) as { backlog: number; queued: number; etaMinutes: number };
    expect(summary).toMatchObject({ backlog: 150, queued: 150, etaMinutes: 2 });
  });
});

describe('hood-blocker enqueue (NDJSON)', () => {
  it('reports bad lines by number, skips blank lines and exits 1', async () => {
    // Prepare
    const ndjson = file('contacts.ndjson', NDJSON);

    // Act
    const result = await runCli(['enqueue', ndjson, ...local(), '--json']);

    // Assess
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as {
      invalid: { line: number; reason: string }[];
      duplicates: { line: number }[];
    };
    expect(summary.invalid.map((r) => [r.line, r.reason.split(' ')[0]])).toEqual([
      [2, 'contact'],
      [3, 'not'],
      [5, 'occurredAt'],
    ]);
    expect(summary.duplicates.map((d) => d.line)).toEqual([6]);
  });

  it('queues the valid lines once each', async () => {
    // Prepare
    const ndjson = file('contacts.ndjson', NDJSON);

    // Act
    await runCli(['enqueue', ndjson, ...local()]);

    // Assess
    const contacts = (await queuedBodies()).map((b) => b.contact).sort();
    expect(contacts).toEqual(['+447700900123', 'erin@example.com']);
  });
});

describe('hood-blocker enqueue (usage)', () => {
  it('asks for a queue when none is given (exit 2)', async () => {
    // Prepare
    const csv = file('ok.csv', 'contact\njane@example.com\n');

    // Act
    const result = await runCli(['enqueue', csv]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no queue given: pass --queue-url URL, --stack NAME or --local/u);
  });

  it('refuses two queue sources at once (exit 2)', async () => {
    // Prepare
    const csv = file('ok.csv', 'contact\njane@example.com\n');

    // Act
    const result = await runCli(['enqueue', csv, '--queue-url', queues.blockQueueUrl, ...local()]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/use only one of them/u);
  });
});
