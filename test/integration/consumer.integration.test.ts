import { afterEach, describe, expect, it } from 'vitest';
import { queueDepth, receiveAll, sendBodies, attribute } from '../helpers/sqs.js';
import { type Pipeline, SANDBOX_TOKEN, startPipeline, waitFor } from '../helpers/pipeline.js';

let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

const msg = (contact: string, reason = 'unsubscribe') => JSON.stringify({ contact, reason, source: 'integration' });
const emails = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);

async function drained(p: Pipeline): Promise<boolean> {
  const q = await queueDepth(p.sqs, p.queues.blockQueueUrl);
  return q.visible + q.inFlight + q.delayed === 0 && p.esm.stats().inFlight === 0;
}

describe('built consumer, two concurrent instances, SQS emulator, strict Hood stand-in', () => {
  it('blocks a backlog exactly once each, without a single 429', async () => {
    // Prepare
    // A backlog larger than the long window (time-scaled: Hood's 150/min as 150/3s), so pacing must wait.
    pipeline = await startPipeline({ limits: '10/100ms,150/3s' });
    const contacts = emails(240);
    // Act
    await sendBodies(
      pipeline.sqs,
      pipeline.queues.blockQueueUrl,
      contacts.map((c) => msg(c)),
    );
    const done = await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      50_000,
    );
    // Assess
    expect(done).toBe(true);
    const stored = pipeline.hood.contacts().map((c) => c.contact);
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.sort()).toEqual([...contacts].sort());
    expect(pipeline.hood.stats().rateLimited).toBe(0);
    expect(await queueDepth(pipeline.sqs, pipeline.queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  });

  it('uses both consumers and stays within the parallel limit', async () => {
    // Prepare
    pipeline = await startPipeline({ limits: '10/100ms,150/6s' });
    // Act
    await sendBodies(
      pipeline.sqs,
      pipeline.queues.blockQueueUrl,
      emails(60).map((c) => msg(c)),
    );
    await waitFor(() => pipeline!.hood.contacts().length >= 60, 30_000);
    // Assess
    const consumersUsed = new Set(pipeline.invocations.filter((i) => i.records > 0).map((i) => i.consumer));
    expect(consumersUsed.size).toBe(2);
    expect(pipeline.hood.stats().maxParallelSeen).toBeLessThanOrEqual(2);
  });

  it('dead-letters what cannot be blocked with its reason, and blocks the rest', async () => {
    // Prepare
    pipeline = await startPipeline();
    const good = emails(20);
    const bodies = [
      ...good.map((c) => msg(c)),
      msg('12345'),
      msg('ACME'),
      'not json at all',
      JSON.stringify({ hello: 'world' }),
    ];
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, bodies);
    await waitFor(async () => pipeline!.hood.contacts().length >= good.length && (await drained(pipeline!)), 30_000);
    // Assess
    const dead = await receiveAll(pipeline.sqs, pipeline.queues.deadLetterQueueUrl);
    expect(dead.map((m) => attribute(m, 'reason')).sort()).toEqual([
      'invalid_contact',
      'invalid_contact',
      'unrecognised_event',
      'unrecognised_event',
    ]);
    expect(
      pipeline.hood
        .contacts()
        .map((c) => c.contact)
        .sort(),
    ).toEqual([...good].sort());
  });

  it('survives Hood 5xx bursts, resets and hanging requests without losing or duplicating a contact', async () => {
    // Prepare
    pipeline = await startPipeline({ env: { HOOD_REQUEST_TIMEOUT_MS: '800' } });
    pipeline.hood.faults.failNext(6, 503);
    const contacts = emails(40, 'fault');
    // Act
    await sendBodies(
      pipeline.sqs,
      pipeline.queues.blockQueueUrl,
      contacts.map((c) => msg(c)),
    );
    await waitFor(() => pipeline!.hood.contacts().length >= 10, 20_000);
    pipeline.hood.faults.resetNext(3);
    pipeline.hood.faults.hangNext(2);
    const done = await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      50_000,
    );
    // Assess
    expect(done).toBe(true);
    const stored = pipeline.hood.contacts().map((c) => c.contact);
    expect(stored.sort()).toEqual([...contacts].sort());
    expect(await queueDepth(pipeline.sqs, pipeline.queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  });

  it('never dead-letters for throttling, even through a 429 storm', async () => {
    // Prepare
    pipeline = await startPipeline({ maxReceiveCount: 2 });
    pipeline.hood.faults.rateLimitNext(6, 1);
    const contacts = emails(30, 'storm');
    // Act
    await sendBodies(
      pipeline.sqs,
      pipeline.queues.blockQueueUrl,
      contacts.map((c) => msg(c)),
    );
    const done = await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      50_000,
    );
    // Assess
    expect(done).toBe(true);
    expect(await queueDepth(pipeline.sqs, pipeline.queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  });

  it('holds work while the token is rejected and resumes when it is fixed', async () => {
    // Prepare
    pipeline = await startPipeline({ maxReceiveCount: 2 });
    pipeline.hood.faults.unauthorizedUntilTokenFixed();
    const contacts = emails(8, 'held');
    // Act
    await sendBodies(
      pipeline.sqs,
      pipeline.queues.blockQueueUrl,
      contacts.map((c) => msg(c)),
    );
    await waitFor(() => (pipeline!.hood.stats().byStatus[401] ?? 0) >= 2, 20_000);
    pipeline.hood.setToken(SANDBOX_TOKEN);
    const done = await waitFor(
      async () => pipeline!.hood.contacts().length >= contacts.length && (await drained(pipeline!)),
      55_000,
    );
    // Assess
    expect(done).toBe(true);
    expect(await queueDepth(pipeline.sqs, pipeline.queues.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
  }, 90_000);

  it('does not create a contact twice when the same message is delivered twice', async () => {
    // Prepare
    pipeline = await startPipeline({ consumers: 1 });
    const body = msg('twice@example.com');
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, [body, body, body]);
    await waitFor(async () => pipeline!.hood.contacts().length >= 1 && (await drained(pipeline!)), 20_000);
    // Assess
    expect(pipeline.hood.contacts().map((c) => c.contact)).toEqual(['twice@example.com']);
  });

  it('never writes the token or an unmasked contact to its logs', async () => {
    // Prepare
    pipeline = await startPipeline({ env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    pipeline.hood.faults.failNext(1, 500);
    const contacts = ['secret.person@example.com', '+38761234567'];
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, [...contacts.map((c) => msg(c)), msg('12345')]);
    await waitFor(async () => pipeline!.hood.contacts().length >= 2 && (await drained(pipeline!)), 30_000);
    // Assess
    const text = pipeline.output.join('');
    expect(text).toContain('"outcome":"blocked"');
    expect(text).not.toContain(SANDBOX_TOKEN);
    for (const c of contacts) expect(text).not.toContain(c);
  });
});
