import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConsumerConfig, loadConsumerConfig, parseRateLimits } from '../../../lib/config.js';
import { type Consumer, createConsumer } from '../../../lib/consumer/consumer.js';
import { BULK_STATIC_PERCENT, batchLane, laneCallsPerWindow, staticLaneShares } from '../../../lib/consumer/lanes.js';
import { startLocalQueues } from '../../../dev/emulator.js';
import { type SqsLambdaHandler, startEventSourceMapping } from '../../../dev/esm.js';
import { type Pacer, usableWindows } from '../../../lib/pacing/pacer.js';
import { startHoodSandbox } from '../../../dev/hood-sandbox.js';
import { captureLog } from '../../helpers/logs.js';
import { queueDepth, sendBodies, sqsClientFor } from '../../helpers/sqs.js';

const TOKEN = 'bulk-lane-token';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const QUEUES = {
  BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/hood-blocker-block',
  BULK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/hood-blocker-bulk',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
  AWS_REGION: 'us-east-1',
};

function configWith(env: Record<string, string | undefined>): ConsumerConfig {
  return loadConsumerConfig({ HOOD_API_TOKEN: 't', ...QUEUES, ...env });
}

describe('batchLane', () => {
  const config = configWith({});
  const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

  it('is bulk for a batch from the bulk queue', () => {
    expect(
      batchLane(
        [{ eventSourceARN: arn('hood-blocker-bulk') }, { eventSourceARN: arn('hood-blocker-bulk') }],
        config.queues,
      ),
    ).toBe('bulk');
  });

  it('is live for a batch from the live queue', () => {
    expect(batchLane([{ eventSourceARN: arn('hood-blocker-block') }], config.queues)).toBe('live');
  });

  it('is live when no bulk queue is configured, whatever the ARN', () => {
    const noBulk = configWith({ BULK_QUEUE_URL: undefined });
    expect(batchLane([{ eventSourceARN: arn('hood-blocker-bulk') }], noBulk.queues)).toBe('live');
  });

  it('is live for a batch that mixes queues or names none', () => {
    expect(
      batchLane(
        [{ eventSourceARN: arn('hood-blocker-bulk') }, { eventSourceARN: arn('hood-blocker-block') }],
        config.queues,
      ),
    ).toBe('live');
    expect(batchLane([{}], config.queues)).toBe('live');
  });
});

describe('staticLaneShares', () => {
  it('gives live 90% over CONSUMER_MAX_CONCURRENCY and bulk 10% over BULK_MAX_CONCURRENCY for the default limits', () => {
    const shares = staticLaneShares(configWith({ CONSUMER_MAX_CONCURRENCY: '3', BULK_MAX_CONCURRENCY: '2' }));
    expect(shares).toEqual({
      live: { consumers: 3, budgetPercent: 100 - BULK_STATIC_PERCENT },
      bulk: { consumers: 2, budgetPercent: BULK_STATIC_PERCENT },
    });
  });

  it('gives live the whole budget when there is no bulk queue', () => {
    const shares = staticLaneShares(configWith({ BULK_QUEUE_URL: undefined, CONSUMER_MAX_CONCURRENCY: '3' }));
    expect(shares.live).toEqual({ consumers: 3, budgetPercent: 100 });
  });

  it('splits a window too small for 90/10 evenly between every consumer of both lanes', () => {
    const shares = staticLaneShares(
      configWith({ HOOD_RATE_LIMITS: '1/1s', CONSUMER_MAX_CONCURRENCY: '2', BULK_MAX_CONCURRENCY: '2' }),
    );
    expect(shares.live).toEqual({ consumers: 4, budgetPercent: 100 });
    expect(shares.bulk).toEqual({ consumers: 4, budgetPercent: 100 });
  });

  it('never lets both lanes together exceed any window of the account (1–10 consumers each, any headroom)', () => {
    const window = fc.record({ count: fc.integer({ min: 1, max: 2000 }), ms: fc.integer({ min: 1, max: 3_600_000 }) });
    fc.assert(
      fc.property(
        fc.array(window, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 90 }),
        (windows, live, bulk, headroom) => {
          const config = configWith({
            HOOD_RATE_LIMITS: windows.map((w) => `${w.count}/${w.ms}ms`).join(','),
            CONSUMER_MAX_CONCURRENCY: String(live),
            BULK_MAX_CONCURRENCY: String(bulk),
            HOOD_RATE_HEADROOM: String(headroom),
          });
          const usable = usableWindows(config.hood.rateLimits, headroom);
          const calls = laneCallsPerWindow(config, staticLaneShares(config));
          for (const [i, n] of calls.entries()) expect(n).toBeLessThanOrEqual(usable[i]!.count + 1e-9);
        },
      ),
    );
  });
});

describe('bulk lane in the consumer (SQS emulator, sandbox Hood, static shares)', () => {
  /** Lambda containers: an invocation takes a free one, whichever mapping it comes from. */
  function containers(list: Consumer[]): SqsLambdaHandler {
    const free = [...list];
    const waiting: ((c: Consumer) => void)[] = [];
    return async (event, context) => {
      const container = free.pop() ?? (await new Promise<Consumer>((resolve) => waiting.push(resolve)));
      try {
        return await container.handle(event, context);
      } finally {
        const next = waiting.shift();
        if (next) next(container);
        else free.push(container);
      }
    };
  }

  async function setup() {
    const limits = '5/100ms';
    const queues = await startLocalQueues({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
    const sqs = sqsClientFor(queues);
    const hood = await startHoodSandbox({ token: TOKEN, rateLimits: parseRateLimits(limits) });
    cleanups.push(async () => {
      sqs.destroy();
      await queues.stop();
      await hood.close();
    });
    const config = loadConsumerConfig({
      HOOD_API_TOKEN: TOKEN,
      HOOD_API_URL: hood.url,
      HOOD_RATE_LIMITS: limits,
      CONSUMER_MAX_CONCURRENCY: '1',
      BULK_MAX_CONCURRENCY: '1',
      BLOCK_QUEUE_URL: queues.blockQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      BULK_QUEUE_URL: queues.bulkQueueUrl,
      BULK_DEAD_LETTER_QUEUE_URL: queues.bulkDeadLetterQueueUrl,
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
      AWS_REGION: queues.region,
    });
    const list: Consumer[] = [];
    for (let i = 0; i < 2; i += 1) {
      const consumer = await createConsumer(config, {
        logger: captureLog(),
        publishCounts: () => undefined,
        publishLatency: () => undefined,
      });
      cleanups.push(() => consumer.close());
      list.push(consumer);
    }
    const handler = containers(list);
    const mapping = (url: string, arn: string) => {
      const esm = startEventSourceMapping({
        sqs,
        queueUrl: url,
        queueArn: arn,
        region: queues.region,
        handlers: [handler],
        waitTimeSeconds: 1,
        timeoutMs: 30_000,
      });
      cleanups.push(() => esm.stop());
      return esm;
    };
    return { queues, sqs, hood, list, mapping };
  }

  const body = (contact: string, source: string) => JSON.stringify({ contact, reason: 'unsubscribe', source });
  const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 40_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await condition()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return condition();
  };

  it('blocks live opt-outs ahead of a bulk backlog, without a 429', async () => {
    // Prepare: a 60-contact import already running on the bulk queue
    const { queues, sqs, hood, list, mapping } = await setup();
    const bulk = Array.from({ length: 60 }, (_, i) => `import${i}@example.com`);
    const live = Array.from({ length: 10 }, (_, i) => `live${i}@example.com`);
    await sendBodies(
      sqs,
      queues.bulkQueueUrl,
      bulk.map((c) => body(c, 'import:ses')),
    );
    mapping(queues.bulkQueueUrl, queues.bulkQueueArn);
    expect(await until(() => hood.contacts().length >= 5)).toBe(true);
    // Act: live opt-outs arrive mid-import
    await sendBodies(
      sqs,
      queues.blockQueueUrl,
      live.map((c) => body(c, 'integration')),
    );
    mapping(queues.blockQueueUrl, queues.blockQueueArn);
    const drained = async () => {
      const [a, b] = await Promise.all([queueDepth(sqs, queues.blockQueueUrl), queueDepth(sqs, queues.bulkQueueUrl)]);
      return (
        hood.contacts().length >= bulk.length + live.length &&
        a.visible + a.inFlight + a.delayed + b.visible + b.inFlight + b.delayed === 0
      );
    };
    const done = await until(drained);
    // Assess: in Hood's creation order, the last live opt-out came while most of the import still waited
    expect(done).toBe(true);
    const order = hood.contacts().map((c) => c.contact);
    expect(new Set(order).size).toBe(bulk.length + live.length);
    const lastLive = Math.max(...live.map((c) => order.indexOf(c)));
    const bulkAfterLastLive = order.slice(lastLive + 1).filter((c) => c.startsWith('import')).length;
    expect(bulkAfterLastLive).toBeGreaterThanOrEqual(bulk.length / 2);
    expect(hood.stats().rateLimited).toBe(0);
    // Every container that served a bulk batch paced it with its own bulk-lane limiter
    for (const consumer of list) {
      const [livePacer, bulkPacer] = await Promise.all([consumer.gate('live'), consumer.gate('bulk')]);
      expect(livePacer).toBe(consumer.pacer);
      expect(bulkPacer).not.toBe(livePacer);
      expect((bulkPacer as Pacer).lane).toBe('bulk');
    }
  }, 60_000);
});
