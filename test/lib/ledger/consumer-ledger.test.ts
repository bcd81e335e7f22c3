import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumerConfig, loadConsumerConfig } from '../../../lib/config.js';
import { createLedgerHooks, type Lane } from '../../../lib/consumer/ledger-hooks.js';
import {
  type ConsumerDeps,
  type HoodCreator,
  type Outcome,
  processBatch,
} from '../../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../../lib/consumer/recent.js';
import type { CreateResult } from '../../../lib/hood/client.js';
import { DynamoLedger } from '../../../lib/ledger/dynamo.js';
import type { Ledger } from '../../../lib/ledger/index.js';
import { type LocalDynamo, startLocalDynamo } from '../../../dev/dynalite.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import { captureLog } from '../../helpers/logs.js';
import { waitFor } from '../../helpers/pipeline.js';
import {
  attribute,
  localConsumerEnv,
  queueDepth,
  receiveAll,
  sendBodies,
  sqsClientFor,
  toRecord,
} from '../../helpers/sqs.js';

let dynamo: LocalDynamo;
let queues: LocalQueues;
let sqs: SQSClient;
let keySeq = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-consumer' });
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
});
afterEach(async () => {
  sqs.destroy();
  await queues.stop();
});

function configWith(extra: Record<string, string> = {}): ConsumerConfig {
  return loadConsumerConfig({
    ...localConsumerEnv(queues),
    HOOD_RETRY_BASE_SECONDS: '1',
    HOOD_MAX_ATTEMPTS: '3',
    ...extra,
  });
}

/** A ledger on the shared dynalite table with a key of its own (tests never see each other's items). */
function tableLedger(hashKey = `consumer-ledger-test-key-${(keySeq += 1)}`): DynamoLedger {
  return new DynamoLedger({ table: dynamo.table, client: dynamo.client, hashKey, blockedDays: 30, historyDays: 400 });
}

function scriptedHood(answer: (contact: string, call: number) => CreateResult) {
  const calls: string[] = [];
  const hood: HoodCreator = {
    async createBlockedContact(input) {
      calls.push(input.contact);
      return answer(input.contact, calls.length);
    },
  };
  return { hood, calls };
}
const created = (id = '1016'): CreateResult => ({ kind: 'created', id, type: 'email', status: 201 });

/** One consumer container: its own pacer, recent set and hooks, on a shared ledger. */
function container(ledger: Ledger, config: ConsumerConfig, hood: HoodCreator) {
  const counts: Partial<Record<Outcome, number>> = {};
  const logger = captureLog();
  const latency: { lane: Lane; ms: number }[] = [];
  const count = (o: Outcome, n = 1) => {
    counts[o] = (counts[o] ?? 0) + n;
  };
  const deps: ConsumerDeps = {
    config,
    hood,
    sqs,
    pacer: new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
    recent: new RecentContacts(),
    logger,
    count,
    ledger: createLedgerHooks({
      ledger,
      config,
      logger,
      count,
      observeLatency: (lane, ms) => latency.push({ lane, ms }),
    }),
  };
  return { deps, counts, logger, latency };
}

async function receiveRecords(n: number) {
  const messages = await receiveAll(sqs, queues.blockQueueUrl, n);
  // As Lambda's event source mapping does: SentTimestamp among the record's attributes.
  return messages.map((m) => {
    const record = toRecord(m, queues.blockQueueArn);
    record.attributes = { ...record.attributes, SentTimestamp: m.Attributes?.SentTimestamp };
    return record;
  });
}

const message = (contact: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ contact, reason: 'unsubscribe', source: 'test', ...extra });

describe('consumer with the ledger: one Hood call per contact', () => {
  it('skips Hood for a contact the ledger saw blocked, with outcome already_blocked', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith();
    const first = scriptedHood(() => created('77'));
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com')]);
    await processBatch(await receiveRecords(1), () => 60_000, container(ledger, config, first.hood).deps);
    const second = scriptedHood(() => created('78'));
    const c = container(ledger, config, second.hood);
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com', { reason: 'complaint' })]);
    // Act
    await processBatch(await receiveRecords(1), () => 60_000, c.deps);
    // Assess
    expect(first.calls).toEqual(['jane@example.com']);
    expect(second.calls).toEqual([]);
    expect(c.counts.already_blocked).toBe(1);
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('defers a contact another container holds, without counting an attempt', async () => {
    // Prepare
    const hashKey = `consumer-ledger-test-key-${(keySeq += 1)}`;
    const other = tableLedger(hashKey);
    await other.claim('jane@example.com', 60_000);
    const { hood, calls } = scriptedHood(() => created());
    const c = container(tableLedger(hashKey), configWith(), hood);
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com')], { attempts: '2' });
    // Act
    const response = await processBatch(await receiveRecords(1), () => 60_000, c.deps);
    // Assess
    expect(calls).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
    expect(c.counts.deferred).toBe(1);
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toMatchObject({ delayed: 1 });
  });

  it('releases the claim when Hood is unavailable, so the retry can claim it', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith();
    const { hood } = scriptedHood(() => ({ kind: 'unavailable', cause: 'server_error', status: 503 }) as CreateResult);
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com')]);
    // Act
    await processBatch(await receiveRecords(1), () => 60_000, container(ledger, config, hood).deps);
    const claim = await ledger.claim('jane@example.com', 60_000);
    const story = await ledger.why('jane@example.com');
    // Assess
    expect(claim.kind).toBe('claimed');
    expect(story?.events.map((e) => e.outcome)).toEqual(['retried']);
  });

  it('records Hood’s id, so why answers blocked with it', async () => {
    // Prepare
    const ledger = tableLedger();
    const { hood } = scriptedHood(() => created('9001'));
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com', { eventId: 'ev-9' })]);
    // Act
    await processBatch(await receiveRecords(1), () => 60_000, container(ledger, configWith(), hood).deps);
    const story = await ledger.why('jane@example.com');
    // Assess
    expect(story).toMatchObject({
      status: 'blocked',
      hoodId: '9001',
      events: [{ outcome: 'blocked', reason: 'unsubscribe', source: 'test', eventId: ledger.eventKey('ev-9') }],
    });
  });

  it('records a reason outside BLOCK_REASONS as ignored in the contact’s history', async () => {
    // Prepare
    const ledger = tableLedger();
    const { hood, calls } = scriptedHood(() => created());
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com', { reason: 'group_unsubscribe' })]);
    // Act
    await processBatch(await receiveRecords(1), () => 60_000, container(ledger, configWith(), hood).deps);
    const story = await ledger.why('jane@example.com');
    // Assess
    expect(calls).toEqual([]);
    expect(story).toMatchObject({
      status: 'not_blocked',
      events: [{ outcome: 'ignored', reason: 'group_unsubscribe' }],
    });
  });
});

describe('consumer with the ledger in shadow mode (HOOD_DRY_RUN)', () => {
  it('never records a would-be block as blocked, so leaving shadow mode sends it to Hood', async () => {
    // Prepare
    const ledger = tableLedger();
    const { createDryRunHood } = await import('../../../lib/consumer/dry-run.js');
    const shadow = container(ledger, configWith({ HOOD_DRY_RUN: 'true' }), createDryRunHood(captureLog()));
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com')]);
    await processBatch(await receiveRecords(1), () => 60_000, shadow.deps);
    const real = scriptedHood(() => created('31'));
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com')]);
    // Act
    await processBatch(await receiveRecords(1), () => 60_000, container(ledger, configWith(), real.hood).deps);
    // Assess
    expect(real.calls).toEqual(['jane@example.com']);
    expect((await ledger.why('jane@example.com'))?.events.map((e) => e.outcome)).toEqual([
      'dry_run_blocked',
      'blocked',
    ]);
  });
});

describe('consumer with the ledger unavailable', () => {
  it('calls no Hood, loses nothing and consumes no attempt', async () => {
    // Prepare
    const down = new DynamoLedger({
      table: 'ledger-consumer',
      hashKey: 'consumer-ledger-down-key-0123',
      blockedDays: 30,
      historyDays: 400,
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const { hood, calls } = scriptedHood(() => created());
    const c = container(down, configWith(), hood);
    await sendBodies(sqs, queues.blockQueueUrl, [message('jane@example.com'), message('john@example.com')], {
      attempts: '1',
    });
    // Act
    const response = await processBatch(await receiveRecords(2), () => 60_000, c.deps);
    const back = await (async () => {
      let got: Awaited<ReturnType<typeof receiveAll>> = [];
      await waitFor(
        async () => (got = [...got, ...(await receiveAll(sqs, queues.blockQueueUrl, 2))]).length >= 2,
        10_000,
        100,
      );
      return got;
    })();
    // Assess
    expect(calls).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
    expect(c.counts.ledger_unavailable).toBe(2);
    expect(back.map((m) => attribute(m, 'attempts'))).toEqual(['1', '1']);
    expect(back.map((m) => JSON.parse(m.Body!).contact).sort()).toEqual(['jane@example.com', 'john@example.com']);
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
    expect(c.logger.lines.some((l) => l.level === 'error' && l.fields.outcome === 'ledger_unavailable')).toBe(true);
    down.close();
  });
});

describe('consumer with SOFT_BOUNCE_POLICY', () => {
  const soft = (contact: string, eventId: string) =>
    JSON.stringify({ contact, reason: 'soft_bounce', source: 'ses', eventId });

  async function run(bodies: string[], config: ConsumerConfig, ledger: Ledger) {
    const { hood, calls } = scriptedHood(() => created('55'));
    const c = container(ledger, config, hood);
    for (const body of bodies) {
      await sendBodies(sqs, queues.blockQueueUrl, [body]);
      await processBatch(await receiveRecords(1), () => 60_000, c.deps);
    }
    return { calls, counts: c.counts };
  }

  it('blocks on the third soft bounce from distinct sent messages, with reason soft_bounce_threshold', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith({ SOFT_BOUNCE_POLICY: '3/30d' });
    // Act
    const { calls } = await run(
      [soft('jane@example.com', 'm1'), soft('jane@example.com', 'm2'), soft('jane@example.com', 'm3')],
      config,
      ledger,
    );
    const story = await ledger.why('jane@example.com');
    // Assess
    expect(calls).toEqual(['jane@example.com']);
    expect(story?.status).toBe('blocked');
    expect(story?.events.at(-1)).toMatchObject({ outcome: 'blocked', reason: 'soft_bounce_threshold' });
  });

  it('counts SES Transient/MailboxFull notifications from the queue, one per sent message', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith({ SOFT_BOUNCE_POLICY: '2/30d' });
    const mailboxFull = (messageId: string) =>
      JSON.stringify({
        notificationType: 'Bounce',
        mail: {
          messageId,
          timestamp: '2026-01-01T00:00:00.000Z',
          source: 'news@example.org',
          destination: ['jane@example.com'],
        },
        bounce: {
          bounceType: 'Transient',
          bounceSubType: 'MailboxFull',
          bouncedRecipients: [{ emailAddress: 'jane@example.com' }],
          timestamp: '2026-01-01T00:00:00.000Z',
          feedbackId: `fb-${messageId}`,
        },
      });
    // Act
    const { calls } = await run([mailboxFull('sent-1'), mailboxFull('sent-1'), mailboxFull('sent-2')], config, ledger);
    // Assess
    expect(calls).toEqual(['jane@example.com']);
    expect((await ledger.why('jane@example.com'))?.events.map((e) => e.outcome)).toEqual([
      'soft_bounce_counted',
      'soft_bounce_counted',
      'blocked',
    ]);
  });

  it('does not block on two soft bounces', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith({ SOFT_BOUNCE_POLICY: '3/30d' });
    // Act
    const { calls, counts } = await run(
      [soft('jane@example.com', 'm1'), soft('jane@example.com', 'm2')],
      config,
      ledger,
    );
    // Assess
    expect(calls).toEqual([]);
    expect(counts.ignored).toBe(2);
    expect((await ledger.why('jane@example.com'))?.events.map((e) => e.outcome)).toEqual([
      'soft_bounce_counted',
      'soft_bounce_counted',
    ]);
  });

  it('counts the same sent message reported three times once', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith({ SOFT_BOUNCE_POLICY: '3/30d' });
    // Act
    const { calls } = await run(
      [soft('jane@example.com', 'm1'), soft('jane@example.com', 'm1'), soft('jane@example.com', 'm1')],
      config,
      ledger,
    );
    // Assess
    expect(calls).toEqual([]);
  });

  it('never counts an out-of-office (SES Transient/General) towards the policy', async () => {
    // Prepare
    const ledger = tableLedger();
    const config = configWith({ SOFT_BOUNCE_POLICY: '1/30d' });
    const outOfOffice = (id: string) =>
      JSON.stringify({
        notificationType: 'Bounce',
        mail: {
          messageId: id,
          timestamp: '2026-01-01T00:00:00.000Z',
          source: 'news@example.org',
          destination: ['jane@example.com'],
        },
        bounce: {
          bounceType: 'Transient',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'jane@example.com' }],
          timestamp: '2026-01-01T00:00:00.000Z',
          feedbackId: `fb-${id}`,
        },
      });
    // Act
    const { calls, counts } = await run([outOfOffice('o1'), outOfOffice('o2'), outOfOffice('o3')], config, ledger);
    // Assess
    expect(calls).toEqual([]);
    expect(counts.ignored).toBe(3);
    expect(await ledger.why('jane@example.com')).toBeUndefined();
  });

  it('ignores soft bounces with reason soft_bounce when no policy is set, never dead-letters them', async () => {
    // Prepare
    const ledger = tableLedger();
    // Act
    const { calls, counts } = await run(
      [soft('jane@example.com', 'm1'), soft('jane@example.com', 'm2'), soft('jane@example.com', 'm3')],
      configWith(),
      ledger,
    );
    // Assess
    expect(calls).toEqual([]);
    expect(counts).toEqual({ ignored: 3 });
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  });
});

describe('opt-out latency', () => {
  it('counts a record consumed from the bulk queue in the bulk lane', async () => {
    // Prepare
    const ledger = tableLedger();
    const { hood } = scriptedHood(() => created());
    const c = container(ledger, configWith({ BULK_QUEUE_URL: queues.blockQueueUrl }), hood);
    await sendBodies(sqs, queues.blockQueueUrl, [
      message('imported@example.com', { occurredAt: '2019-01-01T00:00:00Z' }),
    ]);
    // Act
    await processBatch(await receiveRecords(1), () => 60_000, c.deps);
    // Assess
    expect(c.latency.map((l) => l.lane)).toEqual(['bulk']);
    expect(c.latency[0]!.ms).toBeLessThan(3_600_000);
  });

  it('measures a live event from its occurredAt and a bulk one from its first receipt', async () => {
    // Prepare
    const ledger = tableLedger();
    const { hood } = scriptedHood(() => created());
    const c = container(ledger, configWith(), hood);
    const occurredAt = new Date(Date.now() - 3_600_000).toISOString();
    await sendBodies(sqs, queues.blockQueueUrl, [message('live@example.com', { occurredAt })]);
    await sendBodies(sqs, queues.blockQueueUrl, [message('bulk@example.com', { occurredAt })], { lane: 'bulk' });
    // Act
    await processBatch(await receiveRecords(2), () => 60_000, c.deps);
    // Assess
    const live = c.latency.find((l) => l.lane === 'live')!;
    const bulk = c.latency.find((l) => l.lane === 'bulk')!;
    expect(live.ms).toBeGreaterThanOrEqual(3_600_000);
    expect(bulk.ms).toBeLessThan(3_600_000);
  });
});
