import type { SQSClient } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config.js';
import { type Consumer, createConsumer } from '../../../lib/consumer/consumer.js';
import type { HoodCreator } from '../../../lib/consumer/process-batch.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { type Ledger, MemoryLedger, createLedger } from '../../../lib/ledger/index.js';
import { settleOptIn } from '../../../lib/consumer/opt-in.js';
import { type LocalTable, startLocalTable } from '../../helpers/dynalite.js';
import { decodeOptIn, encodeOptIn, type OptInDecision } from '../../../lib/queue/opt-in.js';
import { mapQueueBody } from '../../../lib/mapping/index.js';
import { captureLog } from '../../helpers/logs.js';
import { localConsumerEnv, receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';

/**
 * An opt-in (Twilio START, SendGrid group_resubscribe, SES re-subscription) reaches a human when the ledger
 * holds the person as blocked, and never blocks anyone. Real local SQS (fauxqs), Hood mocked at the edge.
 */
let queues: LocalQueues;
let sqs: SQSClient;
let consumer: Consumer | undefined;
const tables: Array<LocalTable | undefined> = [];

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
});

afterEach(async () => {
  await consumer?.close();
  consumer = undefined;
  sqs.destroy();
  await queues.stop();
  for (const t of tables.splice(0)) await t?.stop();
});

const optInOf = (contact: string, signal = 'sms_opt_in', source = 'twilio'): OptInDecision => ({
  action: 'ignore',
  reason: signal,
  source,
  eventId: 'SM-start-1',
  optIn: { contact },
});

/** `durable`: the DynamoDB ledger on dynalite (LEDGER_TABLE); `memory`: a consumer without LEDGER_TABLE. */
async function run(bodies: string[], kind: 'durable' | 'memory') {
  const calls: string[] = [];
  const hood: HoodCreator = {
    async createBlockedContact(input) {
      calls.push(input.contact);
      return { kind: 'created', id: String(calls.length), type: 'sms', status: 201 };
    },
  };
  const counts: Record<string, number> = {};
  const logger = captureLog();
  let table: LocalTable | undefined;
  let ledger: Ledger;
  const env = localConsumerEnv(queues);
  if (kind === 'durable') {
    table = await startLocalTable('ledger');
    const config = loadConsumerConfig({
      ...env,
      LEDGER_TABLE: table.table,
      AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
      LEDGER_HASH_KEY: 'k'.repeat(32),
    });
    ledger = await createLedger(config.ledger!);
  } else {
    ledger = new MemoryLedger({ blockedDays: 30, historyDays: 90 });
  }
  tables.push(table);
  consumer = await createConsumer(loadConsumerConfig(env), {
    logger,
    sqs,
    hood,
    ledger,
    publishCounts: (c) => {
      for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + (v ?? 0);
    },
  });
  for (const body of bodies) {
    await sendBodies(sqs, queues.blockQueueUrl, [body]);
    const records = (await receiveAll(sqs, queues.blockQueueUrl, 1)).map((m) => toRecord(m, queues.blockQueueArn));
    await consumer.handle({ Records: records }, { getRemainingTimeInMillis: () => 60_000 });
  }
  const dead = await receiveAll(sqs, queues.deadLetterQueueUrl, 10);
  return { calls, counts, logger, ledger, dead };
}

const stop = JSON.stringify({ contact: '+14155550100', reason: 'sms_opt_out', source: 'twilio', eventId: 'SM-stop-1' });

describe('consumer: an opt-in after a block', () => {
  it('dead-letters a START after a STOP as resubscribed, counts it and records it for why', async () => {
    // Prepare
    const start = encodeOptIn(optInOf('+14155550100'));

    // Act
    const { calls, counts, ledger, dead } = await run([stop, start], 'durable');

    // Assess
    expect(calls).toEqual(['+14155550100']);
    expect(counts.resubscribed).toBe(1);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.MessageAttributes?.reason?.StringValue).toBe('resubscribed');
    expect(dead[0]?.Body).toBe(start);
    const story = await ledger?.why('+14155550100');
    expect(story?.events.map((e) => e.outcome)).toContain('resubscribed');
  });

  it('ignores, with a reason, an opt-in from someone the ledger never blocked', async () => {
    // Prepare
    const start = encodeOptIn(optInOf('+14155550199'));

    // Act
    const { calls, counts, logger, dead } = await run([start], 'durable');

    // Assess
    expect(calls).toEqual([]);
    expect(dead).toEqual([]);
    expect(counts.ignored).toBe(1);
    expect(counts.resubscribed).toBeUndefined();
    expect(logger.lines.some((l) => l.fields.reason === 'opt_in_not_blocked')).toBe(true);
  });

  it('without a durable ledger counts and logs an opt-in it cannot match (masked), dead-letters none', async () => {
    // Prepare
    const start = encodeOptIn(optInOf('jane@example.com', 'group_resubscribe', 'sendgrid'));

    // Act
    const { calls, counts, logger, dead } = await run([start], 'memory');

    // Assess
    expect(calls).toEqual([]);
    expect(dead).toEqual([]);
    expect(counts.resubscribed).toBe(1);
    expect(logger.text()).not.toMatch(/jane@example\.com/u);
  });

  it('settles an opt-in without any ledger as counted and logged only', () => {
    // Prepare
    const body = encodeOptIn(optInOf('+14155550100'));
    const decoded = decodeOptIn(body)!;

    // Act
    const steps = settleOptIn(decoded, 'no_ledger', { messageId: 'm', body, correlationId: 'c', receiveCount: 1 }, 0);

    // Assess
    expect(steps.map((s) => s.kind)).toEqual(['count', 'log']);
    expect(steps[0]).toMatchObject({ outcome: 'resubscribed' });
  });

  it('logs a source a caller chose with any contact in it masked', () => {
    // Prepare: a queue producer chooses `source`; it may hold an address.
    const body = encodeOptIn(optInOf('+14155550100', 'sms_opt_in', 'export-of-jane.roe@example.com'));
    const decoded = decodeOptIn(body)!;

    // Act
    const steps = settleOptIn(decoded, 'no_ledger', { messageId: 'm', body, correlationId: 'c', receiveCount: 1 }, 0);

    // Assess
    expect(JSON.stringify(steps.filter((s) => s.kind === 'log'))).not.toContain('jane.roe@example.com');
  });

  it('dead-letters a body that says opt_in but is not a valid one, never reading it as a block', async () => {
    // Prepare
    const forged = JSON.stringify({ kind: 'opt_in', contact: '+14155550100', reason: 'sms_opt_out', source: 'twilio' });

    // Act
    const { calls, dead } = await run([forged], 'memory');

    // Assess
    expect(calls).toEqual([]);
    expect(dead[0]?.MessageAttributes?.reason?.StringValue).toBe('malformed_message');
  });
});

describe('consumer: an SES re-subscription read from the queue (SNS raw delivery)', () => {
  it('reaches the dead-letter queue as resubscribed when the recipient was blocked', async () => {
    // Prepare
    const event = readFileSync(
      new URL('../../fixtures/ses/constructed-subscription-opt-in.json', import.meta.url),
      'utf8',
    );
    const blocked = JSON.stringify({ contact: 'recipient@example.com', reason: 'unsubscribe', source: 'ses' });

    // Act
    const { calls, counts, dead } = await run([blocked, event], 'durable');

    // Assess
    expect(calls).toEqual(['recipient@example.com']);
    expect(counts.resubscribed).toBe(1);
    expect(dead.map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['resubscribed']);
    expect(decodeOptIn(dead[0]!.Body!)).toMatchObject({ ok: true, message: { signal: 'subscription_opt_in' } });
  });
});

describe('opt-in message shape', () => {
  it('is read by the block-request reader (the previous release consumer) as a reject, never a block', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.emailAddress(), fc.stringMatching(/^\+[1-9]\d{7,14}$/u)),
        fc.constantFrom('sms_opt_in', 'group_resubscribe', 'subscription_opt_in'),
        fc.constantFrom('twilio', 'sendgrid', 'ses'),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        (contact, signal, source, eventId) => {
          // Prepare
          const body = encodeOptIn({ ...optInOf(contact, signal, source), eventId });

          // Act
          const decisions = mapQueueBody(body, { smsOptOutKeywords: new Set(['STOP']) } as never);

          // Assess
          expect(decisions.some((d) => d.action === 'block')).toBe(false);
          expect(decisions.map((d) => d.action)).toEqual(['reject']);
          expect(decodeOptIn(body)).toMatchObject({ ok: true });
        },
      ),
    );
  });

  it('never blocks anyone through the consumer, whatever the ledger holds (property)', async () => {
    // Prepare, Act, Assess: an opt-in for a blocked or unknown contact, with or without a ledger
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('+14155550100', '+14155550101', 'jane@example.com'),
        fc.boolean(),
        fc.constantFrom('durable' as const, 'memory' as const),
        async (contact, blockedFirst, kind) => {
          const bodies = [encodeOptIn(optInOf(contact))];
          if (blockedFirst) bodies.unshift(JSON.stringify({ contact, reason: 'unsubscribe', source: 'generic' }));
          const { calls } = await run(bodies, kind);
          await consumer?.close();
          consumer = undefined;
          expect(calls).toEqual(blockedFirst ? [contact] : []);
        },
      ),
      { numRuns: 8 },
    );
  });
});
