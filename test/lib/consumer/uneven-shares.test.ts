import type { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConsumerConfig, parseRateLimits } from '../../../lib/config.js';
import {
  type ConsumerDeps,
  type HoodCreator,
  type Outcome,
  processBatch,
  type QueueRecord,
} from '../../../lib/consumer/process-batch.js';
import { RecentContacts } from '../../../lib/consumer/recent.js';
import { createHoodClient } from '../../../lib/hood/client.js';
import { startLocalQueues } from '../../../dev/emulator.js';
import { Pacer } from '../../../lib/pacing/pacer.js';
import { startHoodSandbox } from '../../../dev/hood-sandbox.js';
import { captureLog } from '../../helpers/logs.js';
import { receiveAll, sendBodies, sqsClientFor, toRecord } from '../../helpers/sqs.js';
import { VirtualTime } from '../../helpers/virtual-time.js';

const TOKEN = 'uneven-shares-token';
const body = (contact: string) => JSON.stringify({ contact, reason: 'unsubscribe', source: 'test' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('uneven rate shares (CONSUMER_MAX_CONCURRENCY not dividing the limit)', () => {
  it('blocks every record through the real Hood client when 4 consumers share 150 calls (fractional spacing)', async () => {
    // Prepare: real SQS emulator, real Hood sandbox, real Hood client; 150/1s over 4 consumers = 37 each,
    // one call per 27.03 ms.
    const queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
    const sqs = sqsClientFor(queues);
    const hoodServer = await startHoodSandbox({ token: TOKEN, rateLimits: parseRateLimits('150/1s') });
    cleanups.push(async () => {
      sqs.destroy();
      await queues.stop();
      await hoodServer.close();
    });
    const env = {
      HOOD_API_TOKEN: TOKEN,
      HOOD_API_URL: hoodServer.url,
      HOOD_RATE_LIMITS: '150/1s',
      CONSUMER_MAX_CONCURRENCY: '4',
      BLOCK_QUEUE_URL: queues.blockQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
      AWS_REGION: queues.region,
    };
    const config = loadConsumerConfig(env);
    const hood = createHoodClient({
      apiUrl: config.hood.apiUrl,
      token: TOKEN,
      requestTimeoutMs: config.hood.requestTimeoutMs,
    });
    cleanups.push(() => hood.close());
    const contacts = Array.from({ length: 10 }, (_, i) => `uneven${i}@example.com`);
    await sendBodies(sqs, queues.blockQueueUrl, contacts.map(body));
    const records = (await receiveAll(sqs, queues.blockQueueUrl, 10)).map((m) => toRecord(m, queues.blockQueueArn));
    const counts: Partial<Record<Outcome, number>> = {};
    const logger = captureLog();
    // An invocation with 8 s left: the per-call budget (time left minus the reserve) is below the 10 s
    // request timeout, so the fractional start time reaches the request's timeout signal.
    const deadline = Date.now() + 8000;
    // Act
    const response = await processBatch(records, () => deadline - Date.now(), {
      config,
      hood,
      sqs,
      pacer: new Pacer({ windows: config.hood.rateLimits, consumers: config.hood.consumerMaxConcurrency }),
      recent: new RecentContacts(),
      logger,
      count: (o, n = 1) => {
        counts[o] = (counts[o] ?? 0) + n;
      },
    });
    // Assess
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts.blocked).toBe(10);
    expect(new Set(hoodServer.contacts().map((c) => c.contact))).toEqual(new Set(contacts));
  });
});

/** Window sets that do and do not divide evenly, including odd ones. */
const WINDOW_SETS = ['10/1s,150/1m', '7/1s', '149/1m', '100/90s', '10/1s,149/1m', '7/1s,100/90s', '13/2s,150/1m'];

/** Largest number of starts inside any interval [t, t + windowMs). */
function maxStartsInAnyWindow(starts: readonly number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let worst = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi += 1) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo += 1;
    worst = Math.max(worst, hi - lo + 1);
  }
  return worst;
}

describe('uneven rate shares: property over consumer counts and window sets', () => {
  it('never fails a record internally and keeps every window within N × ⌊limit/N⌋', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(...WINDOW_SETS),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
        async (consumers, spec, latencies) => {
          // Prepare: N consumers (each its own pacer, as containers are) draw batches of 10 from one backlog
          // on a virtual clock; Hood answers after a varying latency. Only windows each consumer can hold a
          // whole share of are in scope (a window smaller than N is a distributed limiter's job).
          const windows = parseRateLimits(spec).filter((w) => w.count >= consumers);
          fc.pre(windows.length > 0);
          const vt = new VirtualTime();
          const limits = windows.map((w) => `${w.count}/${w.windowMs}ms`).join(',');
          const config = loadConsumerConfig({
            HOOD_API_TOKEN: TOKEN,
            HOOD_RATE_LIMITS: limits,
            CONSUMER_MAX_CONCURRENCY: String(consumers),
            BLOCK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
            DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
          });
          const sqs = { send: async () => ({}) } as unknown as SQSClient;
          const starts: number[] = [];
          let call = 0;
          const hood: HoodCreator = {
            async createBlockedContact(_input, options) {
              // What the real client does with the per-call budget: a signal needs whole milliseconds.
              AbortSignal.timeout(options?.timeoutMs ?? 10_000);
              starts.push(vt.now);
              await vt.sleep(latencies[call++ % latencies.length]!);
              return { kind: 'created', id: String(call), type: 'email', status: 201 };
            },
          };
          const backlog = 6 * Math.max(...windows.map((w) => w.count));
          let next = 0;
          const errors: string[] = [];
          const internal = { retried: 0 };
          const consumer = async (c: number) => {
            const deps: ConsumerDeps = {
              config,
              hood,
              sqs,
              pacer: new Pacer({ windows, consumers, clock: vt.clock }),
              recent: new RecentContacts(),
              logger: { ...captureLog(), error: (m: string) => errors.push(m) },
              clock: vt.clock,
              sleep: vt.sleep,
              count: (o, n = 1) => {
                if (o === 'retried') internal.retried += n;
              },
            };
            while (next < backlog) {
              const records: QueueRecord[] = [];
              for (let i = 0; i < 10 && next < backlog; i += 1, next += 1) {
                records.push({
                  messageId: `m${next}`,
                  receiptHandle: `r${next}`,
                  body: body(`p${next}@example.com`),
                  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
                  attributes: { ApproximateReceiveCount: '1' },
                });
              }
              const batchStart = vt.now;
              await processBatch(records, () => 900_000 - (vt.now - batchStart), deps);
            }
            return c;
          };
          let finished = 0;
          for (let c = 0; c < consumers; c += 1) void consumer(c).then(() => (finished += 1));
          // Act
          await vt.run(() => finished === consumers);
          // Assess
          expect(errors).toEqual([]);
          expect(internal.retried).toBe(0);
          expect(starts.length).toBe(backlog);
          for (const w of windows) {
            expect(maxStartsInAnyWindow(starts, w.windowMs)).toBeLessThanOrEqual(
              consumers * Math.floor(w.count / consumers),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('attemptsAttribute', () => {
  it('clamps the attempts attribute to a whole count in 0..maxAttempts', async () => {
    // Prepare
    const { attemptsAttribute } = await import('../../../lib/consumer/process-batch.js');
    const raws = [undefined, '3', '-7', '2.9', 'NaN', 'Infinity', '1e300', 'abc', ''];
    // Act
    const out = raws.map((r) => attemptsAttribute(r, 12));
    // Assess
    expect(out).toEqual([0, 3, 0, 2, 0, 0, 12, 0, 0]);
  });
});
