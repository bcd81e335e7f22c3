import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumerConfig, loadConsumerConfig } from '../../../lib/config.js';
import {
  type ConsumerDeps,
  type HoodCreator,
  type Outcome,
  processBatch,
} from '../../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../../lib/consumer/recent.js';
import type { CreateResult } from '../../../lib/hood/client.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import { captureLog } from '../../helpers/logs.js';
import {
  attribute,
  localConsumerEnv,
  queueDepth,
  receiveAll,
  sendBodies,
  sqsClientFor,
  toRecord,
} from '../../helpers/sqs.js';

/** Hood at the network edge: answers per call from a script, records every request. */
function scriptedHood(answer: (contact: string, call: number) => CreateResult) {
  const calls: { contact: string; description: string; correlationId?: string }[] = [];
  const hood: HoodCreator = {
    async createBlockedContact(input, options) {
      calls.push({ contact: input.contact, description: input.description, correlationId: options?.correlationId });
      return answer(input.contact, calls.length);
    },
  };
  return { hood, calls };
}

const created = (id = '1016'): CreateResult => ({ kind: 'created', id, type: 'email', status: 201 });

let queues: LocalQueues;
let sqs: SQSClient;
let config: ConsumerConfig;

beforeEach(async () => {
  queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  sqs = sqsClientFor(queues);
  config = loadConsumerConfig({
    ...localConsumerEnv(queues),
    HOOD_RETRY_BASE_SECONDS: '1',
    HOOD_MAX_ATTEMPTS: '3',
  });
});

afterEach(async () => {
  sqs.destroy();
  await queues.stop();
});

/** Put bodies on the block queue, receive them like the event source mapping, run one batch. */
async function runBatch(
  bodies: string[],
  hood: HoodCreator,
  options: {
    remainingMs?: number;
    /** The invocation's remaining time as it moves (default: `remainingMs`, fixed). */
    remaining?: () => number;
    attributes?: Record<string, string>;
    recent?: RecentContacts;
    pacer?: Pacer;
    clock?: () => number;
  } = {},
) {
  await sendBodies(sqs, queues.blockQueueUrl, bodies, options.attributes);
  const messages = await receiveAll(sqs, queues.blockQueueUrl, bodies.length);
  const records = messages.map((m) => toRecord(m, queues.blockQueueArn));
  const counts: Partial<Record<Outcome, number>> = {};
  const logger = captureLog();
  const deps: ConsumerDeps = {
    config,
    hood,
    sqs,
    pacer: options.pacer ?? new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
    recent: options.recent ?? new RecentContacts(),
    logger,
    count: (o, n = 1) => {
      counts[o] = (counts[o] ?? 0) + n;
    },
    ...(options.clock ? { clock: options.clock } : {}),
  };
  const response = await processBatch(records, options.remaining ?? (() => options.remainingMs ?? 60_000), deps);
  return { response, counts, logger, records };
}

const message = (contact: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ contact, reason: 'unsubscribe', source: 'test', ...extra });

describe('processBatch: Hood 201', () => {
  it('blocks a normalised message and deletes it', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    const { response, counts } = await runBatch([message('Jane@Example.com')], hood);
    // Assess
    expect(calls.map((c) => c.contact)).toEqual(['jane@example.com']);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.blocked).toBe(1);
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('sends a bounded description naming the reason and source', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    await runBatch(
      [message('jane@example.com', { eventId: 'evt-1', description: 'x'.repeat(5000).slice(0, 1999) })],
      hood,
    );
    // Assess
    expect(calls[0]!.description).toMatch(/unsubscribe.*via test/u);
    expect(calls[0]!.description.length).toBeLessThanOrEqual(255);
  });

  it('logs the Hood id with the contact masked', async () => {
    // Prepare
    const { hood } = scriptedHood(() => created('4242'));
    // Act
    const { logger } = await runBatch([message('jane.doe@example.com')], hood);
    // Assess
    const line = logger.lines.find((l) => l.fields.outcome === 'blocked');
    expect(line?.fields.hoodId).toBe('4242');
    expect(logger.text()).not.toContain('jane.doe@example.com');
  });

  it('makes one call for identical contacts within a batch', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    const { response, counts } = await runBatch(
      [message('a@example.com'), message('A@EXAMPLE.COM'), message('a@example.com')],
      hood,
    );
    // Assess
    expect(calls).toHaveLength(1);
    expect(counts.deduplicated).toBe(2);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('does not create a contact again when it is redelivered to the same container', async () => {
    // Prepare
    const recent = new RecentContacts();
    const { hood, calls } = scriptedHood(() => created());
    await runBatch([message('a@example.com')], hood, { recent });
    // Act
    await runBatch([message('a@example.com')], hood, { recent });
    // Assess
    expect(calls).toHaveLength(1);
  });

  it('makes one call when a container is invoked twice at once with the same contact', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    const shared = {
      recent: new RecentContacts(),
      pacer: new Pacer({ windows: config.hood.rateLimits, consumers: 1 }),
    };
    await sendBodies(sqs, queues.blockQueueUrl, [message('same@example.com'), message('same@example.com')]);
    const [m1, m2] = await receiveAll(sqs, queues.blockQueueUrl, 2);
    const deps = (): ConsumerDeps => ({ config, hood, sqs, ...shared, logger: captureLog(), count: () => undefined });
    // Act
    await Promise.all([
      processBatch([toRecord(m1!, queues.blockQueueArn)], () => 60_000, deps()),
      processBatch([toRecord(m2!, queues.blockQueueArn)], () => 60_000, deps()),
    ]);
    // Assess
    expect(calls).toHaveLength(1);
  });

  it('treats an "already blocked" answer as success', async () => {
    // Prepare
    const { hood } = scriptedHood(() => ({
      kind: 'already_blocked',
      status: 400,
      message: 'Contact is already blocked.',
    }));
    // Act
    const { response, counts } = await runBatch([message('a@example.com')], hood);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.already_blocked).toBe(1);
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  });

  it('fans a multi-recipient SES bounce out to one call per bounced recipient', async () => {
    // Prepare
    const bounce = {
      notificationType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'jane@example.com' }, { emailAddress: 'richard@example.com' }],
        timestamp: '2016-01-27T14:59:38.237Z',
        feedbackId: 'fb-1',
      },
      mail: {
        messageId: 'm-1',
        destination: ['jane@example.com', 'richard@example.com', 'mary@example.com'],
        timestamp: '2016-01-27T14:59:38.237Z',
        source: 'a@b.co',
      },
    };
    const { hood, calls } = scriptedHood(() => created());
    // Act
    await runBatch([JSON.stringify(bounce)], hood);
    // Assess
    expect(calls.map((c) => c.contact).sort()).toEqual(['jane@example.com', 'richard@example.com']);
  });
});

describe('processBatch: the call keeps the end its slot promised', () => {
  it('gives the request only the part of its timeout left since the slot started', async () => {
    // Prepare: a gate whose slot began 3 s before the call could be sent (e.g. a slow claim write).
    const timeouts: number[] = [];
    const hood: HoodCreator = {
      async createBlockedContact(_input, options) {
        timeouts.push(options?.timeoutMs ?? Number.NaN);
        return created();
      },
    };
    const gate = {
      maxInFlight: 1,
      acquire: async () => ({ startedAt: Date.now() - 3000, finish() {} }),
      rateLimited: () => 0,
      succeeded() {},
      failed() {},
    } as unknown as Pacer;
    // Act
    await runBatch([message('late-slot@example.com')], hood, { pacer: gate });
    // Assess: the gate counts the call as ended by its slot plus HOOD_REQUEST_TIMEOUT_MS (10 s).
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toBeLessThanOrEqual(7000);
    expect(timeouts[0]).toBeGreaterThan(6000);
  });
});

describe('processBatch: not an opt-out', () => {
  it('deletes a delivery notification without calling Hood and counts it as ignored', async () => {
    // Prepare
    const delivery = {
      notificationType: 'Delivery',
      mail: { messageId: 'm', destination: ['a@example.com'] },
      delivery: { recipients: ['a@example.com'] },
    };
    const { hood, calls } = scriptedHood(() => created());
    // Act
    const { response, counts, logger } = await runBatch([JSON.stringify(delivery)], hood);
    // Assess
    expect(calls).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.ignored).toBe(1);
    expect(logger.lines.some((l) => l.fields.outcome === 'ignored' && typeof l.fields.reason === 'string')).toBe(true);
  });

  it('ignores a reason left out of BLOCK_REASONS', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    const { counts } = await runBatch([message('a@example.com', { reason: 'group_unsubscribe' })], hood);
    // Assess
    expect(calls).toHaveLength(0);
    expect(counts.ignored).toBe(1);
  });
});

describe('processBatch: dead letters', () => {
  it('dead-letters a body that is not JSON with reason unrecognised_event and deletes it', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    const { response } = await runBatch(['this is not json'], hood);
    // Assess
    const dead = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(calls).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
    expect(dead.map((m) => [m.Body, attribute(m, 'reason')])).toEqual([['this is not json', 'unrecognised_event']]);
  });

  it('stamps a dead letter with the consumer clock, not the wall clock', async () => {
    // Prepare
    const at = Date.UTC(2024, 1, 29, 23, 59, 58);
    const { hood } = scriptedHood(() => created());
    // Act
    await runBatch(['this is not json'], hood, { clock: () => at });
    // Assess
    const dead = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(dead.map((m) => attribute(m, 'dead_lettered_at'))).toEqual([new Date(at).toISOString()]);
  });

  it('dead-letters a short code with reason invalid_contact', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    await runBatch([message('12345')], hood);
    // Assess
    const dead = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(calls).toHaveLength(0);
    expect(dead.map((m) => attribute(m, 'reason'))).toEqual(['invalid_contact']);
  });

  it('dead-letters a Hood 400 with its trace id and never retries it', async () => {
    // Prepare
    const { hood } = scriptedHood(() => ({
      kind: 'rejected',
      status: 400,
      title: 'Bad request.',
      message: 'The request body is not valid.',
      traceId: 'trace-99',
    }));
    // Act
    const { response, counts } = await runBatch([message('a@example.com')], hood);
    // Assess
    const dead = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.dead_lettered).toBe(1);
    expect(dead.map((m) => [attribute(m, 'reason'), attribute(m, 'trace_id')])).toEqual([
      ['hood_rejected', 'trace-99'],
    ]);
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('keeps the message when the DLQ cannot be reached', async () => {
    // Prepare
    config = {
      ...config,
      queues: { ...config.queues, deadLetterQueueUrl: `${queues.endpoint}/000000000000/missing-queue` },
    };
    const { hood } = scriptedHood(() => created());
    // Act
    const { response, records } = await runBatch(['not json'], hood);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.messageId }]);
  });

  it('dead-letters with retries_exhausted once the carried attempts reach the maximum', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    await runBatch([message('a@example.com')], hood, { attributes: { attempts: '3' } });
    // Assess
    const dead = await receiveAll(sqs, queues.deadLetterQueueUrl);
    expect(calls).toHaveLength(0);
    expect(dead.map((m) => attribute(m, 'reason'))).toEqual(['retries_exhausted']);
  });
});

describe('processBatch: retryable failures', () => {
  it('holds every message on 401: re-queued intact, never dead-lettered, no further calls', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => ({ kind: 'unauthorized', status: 401 }));
    const bodies = [message('a@example.com'), message('b@example.com'), message('c@example.com')];
    // Act
    const { counts, logger } = await runBatch(bodies, hood);
    // Assess
    expect(calls).toHaveLength(1);
    expect(counts.unauthorized).toBe(3);
    expect(logger.lines.some((l) => l.level === 'error' && l.fields.outcome === 'unauthorized')).toBe(true);
    expect(await queueDepth(sqs, queues.deadLetterQueueUrl)).toMatchObject({ visible: 0, delayed: 0 });
    const depth = await queueDepth(sqs, queues.blockQueueUrl);
    expect(depth.visible + depth.delayed).toBe(3);
  });

  it('re-queues a throttled message with a delay instead of failing it (429 never counts towards the DLQ)', async () => {
    // Prepare
    const { hood } = scriptedHood(() => ({
      kind: 'rate_limited',
      status: 429,
      retryAfterSeconds: 2,
      retryAfterMs: 2000,
      parallelLimit: false,
    }));
    // Act
    const { response, counts } = await runBatch([message('a@example.com')], hood, { remainingMs: 10_000 });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.rate_limited).toBe(1);
    expect(await queueDepth(sqs, queues.blockQueueUrl)).toMatchObject({ visible: 0, delayed: 1 });
  });

  it('pauses the pacer after a 429 so the next record is not sent at once', async () => {
    // Prepare
    const pacer = new Pacer({ windows: config.hood.rateLimits, consumers: 1 });
    const { hood, calls } = scriptedHood((_c, n) =>
      n === 1
        ? { kind: 'rate_limited', status: 429, retryAfterSeconds: 30, retryAfterMs: 30_000, parallelLimit: false }
        : created(),
    );
    // Act: the pause (30 s) is longer than the invocation has left, so the second record is deferred.
    const { counts } = await runBatch([message('a@example.com'), message('b@example.com')], hood, {
      pacer,
      remainingMs: 10_000,
    });
    // Assess
    expect(calls).toHaveLength(1);
    expect(counts.deferred).toBe(1);
    expect(pacer.nextSlot()).toBeGreaterThan(Date.now() + 20_000);
  });

  it('leaves a message on the queue with a visibility backoff when Hood is down', async () => {
    // Prepare
    const { hood } = scriptedHood(() => ({
      kind: 'unavailable',
      status: 503,
      cause: 'server_error',
      message: 'HTTP 503',
    }));
    // Act
    const { response, records } = await runBatch([message('a@example.com')], hood);
    // Assess: reported as failed; visible again after the ~1 s backoff (not the 30 s queue default).
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.messageId }]);
    const again = await receiveWithin(10_000, () => receiveAll(sqs, queues.blockQueueUrl));
    expect(again.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
  });

  it('re-queues only the failed contact of a multi-contact event and deletes the original', async () => {
    // Prepare
    const bounce = {
      notificationType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'ok@example.com' }, { emailAddress: 'down@example.com' }],
        timestamp: '2016-01-27T14:59:38.237Z',
        feedbackId: 'fb-2',
      },
      mail: {
        messageId: 'm-2',
        destination: ['ok@example.com', 'down@example.com'],
        timestamp: '2016-01-27T14:59:38.237Z',
        source: 'a@b.co',
      },
    };
    const { hood } = scriptedHood((contact) =>
      contact === 'ok@example.com'
        ? created()
        : { kind: 'unavailable', status: 500, cause: 'server_error', message: 'HTTP 500' },
    );
    // Act
    const { response } = await runBatch([JSON.stringify(bounce)], hood);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const requeued = await receiveWithin(10_000, () => receiveAll(sqs, queues.blockQueueUrl));
    expect(requeued).toHaveLength(1);
    expect(JSON.parse(requeued[0]!.Body!)).toMatchObject({
      contact: 'down@example.com',
      reason: 'hard_bounce',
      source: 'ses',
    });
    expect(attribute(requeued[0]!, 'attempts')).toBe('1');
  });

  it('does not start a call it cannot finish before the deadline, and re-queues the record at once', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => created());
    // Act
    const { response, counts } = await runBatch([message('a@example.com'), message('b@example.com')], hood, {
      remainingMs: 1000,
    });
    // Assess
    expect(calls).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.deferred).toBe(2);
    const back = await receiveAll(sqs, queues.blockQueueUrl);
    expect(back.map((m) => JSON.parse(m.Body!).contact).sort()).toEqual(['a@example.com', 'b@example.com']);
    expect(back.every((m) => m.Attributes?.ApproximateReceiveCount === '1')).toBe(true);
  });

  it('does not start a call with less time left than its calls typically take, though more than the minimum', async () => {
    // Prepare: Hood answers this gate's calls in 4 s; 7 s remain (1.5 s reserve leaves 5.5 s, over 2 s)
    const { hood, calls } = scriptedHood(() => created());
    class SlowHoodPacer extends Pacer {
      override get typicalCallMs(): number {
        return 4000;
      }
    }
    const pacer = new SlowHoodPacer({ windows: config.hood.rateLimits, consumers: 1 });
    // Act
    const { counts } = await runBatch([message('late@example.com')], hood, { remainingMs: 7000, pacer });
    // Assess
    expect(calls).toHaveLength(0);
    expect(counts.deferred).toBe(1);
  });

  it('does not send a call whose slot came too late after all (a slow claim), and re-queues its record', async () => {
    // Prepare: 4 s left when the slot is asked for (2 s needed after the 1.5 s reserve); the claim takes 1 s.
    const { hood, calls } = scriptedHood(() => created());
    let left = 4000;
    class SlowClaimPacer extends Pacer {
      override async acquire(latestStart: number, sleep: (ms: number) => Promise<void>) {
        const ticket = await super.acquire(latestStart, sleep);
        left -= 1000;
        return ticket;
      }
    }
    const pacer = new SlowClaimPacer({ windows: config.hood.rateLimits, consumers: 1 });
    // Act
    const { counts } = await runBatch([message('slow-claim@example.com')], hood, { remaining: () => left, pacer });
    // Assess
    expect(calls).toHaveLength(0);
    expect(counts.deferred).toBe(1);
  });

  it('sends a call whose slot began before the send though the request timeout is under the 2 s minimum', async () => {
    // Prepare: HOOD_REQUEST_TIMEOUT_MS 1500 (the need is then 1.5 s); the slot began 100 ms before the send.
    config = loadConsumerConfig({ ...localConsumerEnv(queues), HOOD_REQUEST_TIMEOUT_MS: '1500' });
    const { hood, calls } = scriptedHood(() => created());
    class EarlySlotPacer extends Pacer {
      override async acquire(latestStart: number, sleep: (ms: number) => Promise<void>) {
        const ticket = await super.acquire(latestStart, sleep);
        return ticket && { startedAt: ticket.startedAt - 100, finish: ticket.finish };
      }
    }
    const pacer = new EarlySlotPacer({ windows: config.hood.rateLimits, consumers: 1 });
    // Act
    const { counts } = await runBatch([message('short-timeout@example.com')], hood, { pacer });
    // Assess
    expect(calls).toHaveLength(1);
    expect(counts.blocked).toBe(1);
  });

  it('does not send a call whose typical time became known while it waited and no longer fits', async () => {
    // Prepare: nothing answered when the slot is asked for (2 s needed, 5.5 s left); Hood's 4 s known by its slot.
    const { hood, calls } = scriptedHood(() => created());
    class LearningPacer extends Pacer {
      learned = false;
      override get typicalCallMs(): number | undefined {
        return this.learned ? 4000 : undefined;
      }
      override async acquire(latestStart: number, sleep: (ms: number) => Promise<void>) {
        const ticket = await super.acquire(latestStart, sleep);
        this.learned = true;
        return ticket;
      }
    }
    const pacer = new LearningPacer({ windows: config.hood.rateLimits, consumers: 1 });
    // Act
    const { counts } = await runBatch([message('learned@example.com')], hood, { remainingMs: 7000, pacer });
    // Assess
    expect(calls).toHaveLength(0);
    expect(counts.deferred).toBe(1);
  });

  it('stops calling Hood after consecutive outages and defers the rest of the batch', async () => {
    // Prepare
    const { hood, calls } = scriptedHood(() => ({ kind: 'unavailable', cause: 'timeout', message: 'timeout' }));
    const bodies = ['a', 'b', 'c', 'd', 'e'].map((c) => message(`${c}@example.com`));
    // Act
    const { response, counts } = await runBatch(bodies, hood);
    // Assess
    expect(calls).toHaveLength(3);
    expect(response.batchItemFailures).toHaveLength(3);
    expect(counts.deferred).toBe(2);
  });
});

/** Polls until a receive returns messages (the re-queue delay or visibility backoff has run out), or the time is up. */
async function receiveWithin<T>(timeoutMs: number, receive: () => Promise<T[]>): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = await receive();
    if (got.length > 0 || Date.now() >= end) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}
