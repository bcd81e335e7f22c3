import { afterEach, describe, expect, it } from 'vitest';
import type { SqsLambdaHandler } from '../../dev/esm.js';
import { type Pipeline, SANDBOX_TOKEN, startPipeline, waitFor } from '../helpers/pipeline.js';
import { attribute, queueDepth, receiveAll, sendBodies } from '../helpers/sqs.js';

/**
 * Fault injection against the built consumer (two module instances), the SQS emulator and the Hood
 * stand-in. Each scenario ends by checking — and printing — the invariant: every input is blocked
 * exactly once, ignored with a reason, or dead-lettered with a reason; nothing is lost, nothing is
 * created twice, and nothing is dead-lettered for throttling or for an outage shorter than the retry
 * budget.
 */

let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const msg = (contact: string) => JSON.stringify({ contact, reason: 'unsubscribe', source: 'faults' });
const emails = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);

interface Invariant {
  scenario: string;
  inputs: number;
  blockedOnce: number;
  createdTwice: number;
  deadLettered: Record<string, number>;
  lost: number;
  stillQueued: number;
}

async function settle(p: Pipeline, expectBlocked: number, timeoutMs: number): Promise<void> {
  await waitFor(async () => {
    const q = await queueDepth(p.sqs, p.queues.blockQueueUrl);
    return (
      p.hood.contacts().length >= expectBlocked &&
      q.visible + q.inFlight + q.delayed === 0 &&
      p.esm.stats().inFlight === 0
    );
  }, timeoutMs);
}

/** Account for every input: blocked (once), dead-lettered (with its reason), or lost. */
async function invariant(
  p: Pipeline,
  scenario: string,
  toBlock: readonly string[],
  toDeadLetter: readonly string[] = [],
): Promise<Invariant> {
  const stored = p.hood.contacts().map((c) => c.contact);
  const times = new Map<string, number>();
  for (const c of stored) times.set(c, (times.get(c) ?? 0) + 1);
  const dead = await receiveAll(p.sqs, p.queues.deadLetterQueueUrl);
  const deadLettered: Record<string, number> = {};
  const deadContacts = new Set<string>();
  for (const m of dead) {
    const reason = attribute(m, 'reason') ?? 'no_reason';
    deadLettered[reason] = (deadLettered[reason] ?? 0) + 1;
    try {
      deadContacts.add(String((JSON.parse(m.Body ?? '{}') as { contact?: unknown }).contact));
    } catch {
      deadContacts.add(m.Body ?? '');
    }
  }
  const q = await queueDepth(p.sqs, p.queues.blockQueueUrl);
  const result: Invariant = {
    scenario,
    inputs: toBlock.length + toDeadLetter.length,
    blockedOnce: toBlock.filter((c) => times.get(c) === 1).length,
    createdTwice: [...times.values()].filter((n) => n > 1).length,
    deadLettered,
    lost: toBlock.filter((c) => !times.has(c)).length + toDeadLetter.filter((c) => !deadContacts.has(c)).length,
    stillQueued: q.visible + q.inFlight + q.delayed,
  };
  console.log(`invariant ${JSON.stringify(result)}`);
  return result;
}

describe('fault injection: every input blocked once, ignored or dead-lettered with a reason', () => {
  it('Hood 5xx burst shorter than the retry budget: nothing dead-lettered', async () => {
    // Prepare
    pipeline = await startPipeline({ maxReceiveCount: 5 });
    pipeline.hood.faults.failNext(12, 503);
    const contacts = emails(30, 'burst');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 50_000);
    // Assess
    const inv = await invariant(pipeline, '5xx burst', contacts);
    expect(inv).toMatchObject({ blockedOnce: 30, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  });

  it('hanging requests time out within the budget and are retried', async () => {
    // Prepare
    pipeline = await startPipeline({ env: { HOOD_REQUEST_TIMEOUT_MS: '500' } });
    pipeline.hood.faults.hangNext(4);
    const contacts = emails(20, 'hang');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 50_000);
    // Assess
    const inv = await invariant(pipeline, 'hanging requests', contacts);
    expect(inv).toMatchObject({ blockedOnce: 20, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  });

  it('connection resets are retried', async () => {
    // Prepare
    pipeline = await startPipeline();
    pipeline.hood.faults.resetNext(6);
    const contacts = emails(20, 'reset');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 50_000);
    // Assess
    const inv = await invariant(pipeline, 'connection resets', contacts);
    expect(inv).toMatchObject({ blockedOnce: 20, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  });

  it('a 429 storm with Retry-After: -1 never dead-letters, even with maxReceiveCount 1', async () => {
    // Prepare
    pipeline = await startPipeline({ maxReceiveCount: 1 });
    // Each -1 doubles the consumer's in-process backoff (1 s, 2 s, 4 s, …): four answers are a storm for two
    // consumers and cost seconds, not half a minute.
    pipeline.hood.faults.rateLimitNext(4, -1);
    const contacts = emails(20, 'parallel');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 55_000);
    // Assess
    const inv = await invariant(pipeline, '429 storm, Retry-After -1', contacts);
    expect(inv).toMatchObject({ blockedOnce: 20, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  }, 90_000);

  it('SQS failing while dead-lettering: the record is kept and dead-lettered with its reason later', async () => {
    // Prepare
    pipeline = await startPipeline({ sqsFaults: true });
    // sendMessages retries 4 times per call: 8 failures defeat two whole attempts.
    pipeline.sqsFaults!.failNext('SendMessageBatch', 8);
    const contacts = emails(5, 'dlqfail');
    const invalid = ['12345', 'ACME'];
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, [...invalid.map(msg), ...contacts.map(msg)]);
    await settle(pipeline, contacts.length, 50_000);
    await waitFor(
      async () => (await queueDepth(pipeline!.sqs, pipeline!.queues.deadLetterQueueUrl)).visible >= 2,
      20_000,
    );
    // Assess
    const inv = await invariant(pipeline, 'SQS fails while dead-lettering', contacts, invalid);
    expect(pipeline.sqsFaults!.counts().failed.SendMessageBatch).toBe(8);
    expect(inv).toMatchObject({ blockedOnce: 5, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({ invalid_contact: 2 });
  });

  it('SQS failing while re-queueing a throttled record: the record is kept, not lost', async () => {
    // Prepare
    pipeline = await startPipeline({ sqsFaults: true, maxReceiveCount: 5 });
    pipeline.hood.faults.rateLimitNext(3, 1);
    pipeline.sqsFaults!.failNext('SendMessageBatch', 8);
    const contacts = emails(10, 'requeuefail');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 55_000);
    // Assess
    const inv = await invariant(pipeline, 'SQS fails while re-queueing', contacts);
    expect(inv).toMatchObject({ blockedOnce: 10, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  }, 90_000);

  it('the Lambda deadline mid-batch: unattempted records go back without counting towards the DLQ', async () => {
    // Prepare: 2 calls/s per consumer, 3 s invocations, batches of 10 → every batch hits its deadline.
    pipeline = await startPipeline({ limits: '4/1s,240/1m', functionTimeoutMs: 3500, maxReceiveCount: 1 });
    const contacts = emails(16, 'deadline');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 55_000);
    // Assess
    const inv = await invariant(pipeline, 'deadline mid-batch', contacts);
    expect(pipeline.invocations.every((i) => i.outcome !== 'timeout')).toBe(true);
    expect(inv).toMatchObject({ blockedOnce: 16, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  }, 90_000);

  it('duplicate deliveries of the same opt-out create it once', async () => {
    // Prepare
    pipeline = await startPipeline({ consumers: 1 });
    const contacts = emails(5, 'dup');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, [...contacts, ...contacts, ...contacts].map(msg));
    await settle(pipeline, contacts.length, 30_000);
    // Assess
    const inv = await invariant(pipeline, 'duplicate deliveries', contacts);
    expect(inv).toMatchObject({ blockedOnce: 5, createdTwice: 0, lost: 0, stillQueued: 0 });
  });

  it('a crash after Hood answered 201, before the event source mapping deletes: no second create', async () => {
    // Prepare: the first two invocations of each consumer do their work, then "crash" (throw), so the
    // event source mapping deletes nothing and SQS would redeliver the whole batch.
    const crashes = new Map<number, number>();
    const crashAfterWork =
      (handler: SqsLambdaHandler, consumer: number): SqsLambdaHandler =>
      async (event, context) => {
        await handler(event, context);
        const n = crashes.get(consumer) ?? 0;
        if (n < 2) {
          crashes.set(consumer, n + 1);
          throw new Error('Runtime exited after the Hood call');
        }
        return { batchItemFailures: [] };
      };
    pipeline = await startPipeline({ wrapHandler: crashAfterWork, visibilityTimeoutSeconds: 2 });
    const contacts = emails(30, 'crash');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    // settle waits until nothing is visible, in flight or delayed: a record the crash left undeleted comes
    // back after the 2 s visibility timeout and is finished before settle returns.
    await settle(pipeline, contacts.length, 50_000);
    // Assess
    const inv = await invariant(pipeline, 'crash between 201 and delete', contacts);
    expect(pipeline.esm.stats().errors).toBeGreaterThan(0);
    expect(inv).toMatchObject({ blockedOnce: 30, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  });

  it('a crash after 201 when our own delete also failed: the redelivery does not create again', async () => {
    // Prepare: one consumer; its own DeleteMessage calls fail and the first invocation crashes.
    let crashed = false;
    const crashOnce =
      (handler: SqsLambdaHandler): SqsLambdaHandler =>
      async (event, context) => {
        await handler(event, context);
        if (!crashed) {
          crashed = true;
          throw new Error('Runtime exited after the Hood call');
        }
        return { batchItemFailures: [] };
      };
    pipeline = await startPipeline({
      consumers: 1,
      sqsFaults: true,
      wrapHandler: crashOnce,
      visibilityTimeoutSeconds: 2,
    });
    pipeline.sqsFaults!.failNext('DeleteMessage', 100);
    const contacts = emails(10, 'crashnodelete');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await settle(pipeline, contacts.length, 30_000);
    // The positive signal: the crashed batch, whose deletes failed, was delivered again.
    await waitFor(() => pipeline!.esm.stats().records > contacts.length, 20_000);
    await settle(pipeline, contacts.length, 20_000);
    // Assess
    const inv = await invariant(pipeline, 'crash after 201, delete failed', contacts);
    expect(inv).toMatchObject({ blockedOnce: 10, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  });

  it('a token rejected for a while: work is held, then resumes once it is fixed', async () => {
    // Prepare
    pipeline = await startPipeline({ maxReceiveCount: 1 });
    pipeline.hood.faults.unauthorizedUntilTokenFixed();
    const contacts = emails(6, 'token');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, contacts.map(msg));
    await waitFor(() => (pipeline!.hood.stats().byStatus[401] ?? 0) >= 2, 20_000);
    pipeline.hood.setToken(SANDBOX_TOKEN);
    await settle(pipeline, contacts.length, 55_000);
    // Assess
    const inv = await invariant(pipeline, '401 then fixed', contacts);
    expect(inv).toMatchObject({ blockedOnce: 6, createdTwice: 0, lost: 0, stillQueued: 0 });
    expect(inv.deadLettered).toEqual({});
  }, 90_000);
});
