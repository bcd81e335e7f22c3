import {
  GetQueueAttributesCommand,
  type SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { handleWebhook } from '../../../lib/webhook/ingress.js';
import { createWebhookHandler } from '../../../lib/webhook/lambda.js';
import { receiveAll, sqsClientFor } from '../../helpers/sqs.js';
import { strictSqs } from '../../helpers/strict-sqs.js';
import { apiEventOf } from './api-event.js';
import {
  genericRequest,
  harness,
  NOW_MS,
  NOW_S,
  QUEUE_ENV,
  recordingLogger,
  SECRETS,
  sendgridRequest,
  testConfig,
} from './harness.js';

/**
 * Issue 9 item 3: a body at the size limit is queued in batches of 10, several at once, rejects are
 * dead-lettered in batches too, and a request logs one summary line, never a line per contact.
 */

type Entry = { Id: string; MessageBody: string };

/** An SQS client double at the network edge: records every SendMessageBatch and how many were in flight at once. */
function fakeSqs(options: { failOnce?: (body: string) => boolean; failAlways?: (body: string) => boolean } = {}) {
  const calls: Array<{ queueUrl: string; entries: Entry[] }> = [];
  const failedOnce = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    send: async (command: SendMessageBatchCommand): Promise<Partial<SendMessageBatchCommandOutput>> => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Yield to the event loop like a network call, so concurrent sends can overlap.
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      const entries = (command.input.Entries ?? []) as Entry[];
      calls.push({ queueUrl: command.input.QueueUrl!, entries });
      const failed = entries.filter((e) => {
        if (options.failAlways?.(e.MessageBody)) return true;
        if (options.failOnce?.(e.MessageBody) && !failedOnce.has(e.MessageBody)) {
          failedOnce.add(e.MessageBody);
          return true;
        }
        return false;
      });
      return {
        Successful: entries
          .filter((e) => !failed.includes(e))
          .map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })),
        Failed: failed.map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
      };
    },
  };
  return { client: client as unknown as SQSClient, calls, maxInFlight: () => maxInFlight };
}

function apiEvent(body: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: '/webhooks/generic',
    rawQueryString: '',
    headers: { authorization: `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    pathParameters: { provider: 'generic' },
    requestContext: {
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      http: { method: 'POST', path: '/webhooks/generic' },
    },
  } as unknown as APIGatewayProxyEventV2;
}

const contacts = (n: number, prefix = 'user') =>
  Array.from({ length: n }, (_, i) => ({ contact: `${prefix}-${String(i).padStart(5, '0')}@example.com` }));

describe('webhook queueing through the SQS client', () => {
  it('sends several batches of 10 at once', async () => {
    // Prepare
    const sqs = fakeSqs();
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });

    // Act
    const response = await handler(apiEvent(JSON.stringify(contacts(1_000))));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(sqs.calls.filter((c) => c.queueUrl === QUEUE_ENV.BLOCK_QUEUE_URL).map((c) => c.entries.length)).toEqual(
      Array(100).fill(10),
    );
    expect(sqs.maxInFlight()).toBeGreaterThan(1);
  });

  it('dead-letters 25 invalid contacts in 3 batches', async () => {
    // Prepare
    const sqs = fakeSqs();
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const invalid = Array.from({ length: 25 }, (_, i) => ({ contact: `not-an-address-${i}@` }));

    // Act
    const response = await handler(apiEvent(JSON.stringify([{ contact: 'ok@example.com' }, ...invalid])));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(
      sqs.calls.filter((c) => c.queueUrl === QUEUE_ENV.DEAD_LETTER_QUEUE_URL).map((c) => c.entries.length),
    ).toEqual([10, 10, 5]);
  });

  it('retries only the entries SQS failed and answers 200 once they are queued', async () => {
    // Prepare
    const sqs = fakeSqs({ failOnce: (body) => body.includes('user-0000') });
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });

    // Act
    const response = await handler(apiEvent(JSON.stringify(contacts(30))));

    // Assess
    const sent = sqs.calls.flatMap((c) =>
      c.entries.map((e) => (JSON.parse(e.MessageBody) as { contact: string }).contact),
    );
    expect(response.statusCode).toBe(200);
    expect(sent.filter((c) => c.startsWith('user-0000'))).toHaveLength(20);
    expect(new Set(sent).size).toBe(30);
  });

  it('answers 503 when one entry can never be queued', async () => {
    // Prepare
    const sqs = fakeSqs({ failAlways: (body) => body.includes('user-00017') });
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });

    // Act
    const response = await handler(apiEvent(JSON.stringify(contacts(30))));

    // Assess
    expect(response.statusCode).toBe(503);
  });
});

/** One SendGrid hard bounce per address; `reason` is the receiving server's text, which the provider passes on. */
const sendgridBounces = (n: number, reasonOf: (i: number) => string) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      email: `user-${String(i).padStart(5, '0')}@example.com`,
      timestamp: Number(NOW_S),
      event: 'bounce',
      type: 'bounce',
      reason: reasonOf(i),
      status: '5.1.1',
      sg_event_id: `ev-${i}`,
    })),
  );

const contactsOn = (sqs: ReturnType<typeof strictSqs>, queueUrl: string) =>
  (sqs.accepted.get(queueUrl) ?? []).map((e) => (JSON.parse(e.MessageBody!) as { contact: string }).contact);

describe('issue 19 item 5: a character SQS refuses never costs a request its other contacts', () => {
  it('queues all 1,000 bounces of a SendGrid post when one bounce reason holds U+FFFE', async () => {
    // Prepare: an SQS that refuses what real SQS refuses, failing the whole SendMessageBatch for it.
    const sqs = strictSqs();
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const body = sendgridBounces(1_000, (i) =>
      i === 869 ? '550 5.1.1 mailbox \uFFFE unknown' : '550 5.1.1 mailbox unknown',
    );

    // Act
    const response = await handler(apiEventOf(sendgridRequest(body)));

    // Assess
    const queued = contactsOn(sqs, QUEUE_ENV.BLOCK_QUEUE_URL);
    expect(response.statusCode).toBe(200);
    expect(new Set(queued).size).toBe(1_000);
    expect(sqs.refusedCalls()).toBe(0);
  });

  it('keeps the refused character itself: the queued body parses back to the provider text', async () => {
    // Prepare
    const sqs = strictSqs();
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const body = sendgridBounces(1, () => '550 5.1.1 \uFFFF gone');

    // Act
    await handler(apiEventOf(sendgridRequest(body)));

    // Assess
    const [entry] = sqs.accepted.get(QUEUE_ENV.BLOCK_QUEUE_URL)!;
    expect(JSON.stringify(JSON.parse(entry!.MessageBody!))).toContain('\uFFFF');
  });

  it('queues a generic contact whose source holds a lone surrogate (a String attribute SQS refuses)', async () => {
    // Prepare
    const sqs = strictSqs();
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });

    // Act
    const response = await handler(
      apiEvent(JSON.stringify([{ contact: 'jane@example.com', source: 'crm-\ud800' }, ...contacts(25)])),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contactsOn(sqs, QUEUE_ENV.BLOCK_QUEUE_URL)).toHaveLength(26);
  });

  it('dead-letters a rejected contact with a lone surrogate in it, readable and replayable', async () => {
    // Prepare
    const sqs = strictSqs();
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient: sqs.client,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });

    // Act
    const response = await handler(
      apiEvent(JSON.stringify([{ contact: 'ja\udc00ne@\uFFFE' }, { contact: 'ok@example.com' }])),
    );

    // Assess
    const [dead] = sqs.accepted.get(QUEUE_ENV.DEAD_LETTER_QUEUE_URL)!;
    expect(response.statusCode).toBe(200);
    expect((JSON.parse(dead!.MessageBody!) as { contact: string }).contact).toBe('ja\udc00ne@\uFFFE');
    expect(contactsOn(sqs, QUEUE_ENV.BLOCK_QUEUE_URL)).toEqual(['ok@example.com']);
  });
});

describe('webhook logging', () => {
  it('logs one summary line, with counts by reason, for 20,000 invalid contacts', async () => {
    // Prepare
    const h = harness();
    const invalid = Array.from({ length: 20_000 }, (_, i) => ({ contact: `bad-${i}@` }));

    // Act
    const response = await handleWebhook(
      genericRequest([{ contact: 'ok@example.com', reason: 'complaint' }, ...invalid]),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.deadLetters).toHaveLength(20_000);
    expect(h.logger.lines).toHaveLength(1);
    expect(h.logger.lines[0]!.fields).toMatchObject({
      queuedReasons: { complaint: 1 },
      rejectedReasons: { invalid_contact: 20_000 },
    });
  });
});

describe('a body at the size limit against fauxqs', () => {
  let queues: LocalQueues;
  beforeAll(async () => {
    queues = await startLocalQueues();
  });
  afterAll(async () => {
    await queues.stop();
  });

  it('queues all 27,000 contacts of a ~940 KB generic body and answers 200', async () => {
    // Prepare
    const sqs = sqsClientFor(queues);
    const config = testConfig({
      BLOCK_QUEUE_URL: queues.blockQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    });
    const handler = createWebhookHandler({ config, sqsClient: sqs, now: () => NOW_MS, logger: recordingLogger() });
    const body = JSON.stringify(contacts(27_000));

    // Act
    const response = await handler(apiEvent(body));

    // Assess
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queues.blockQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(body.length).toBeGreaterThan(900_000);
    expect(body.length).toBeLessThanOrEqual(config.maxBodyBytes);
    expect(response.statusCode).toBe(200);
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBe(27_000);
  });
});

describe('issue 19 item 19: the local emulator takes what real SQS takes', () => {
  let queues: LocalQueues;
  beforeAll(async () => {
    queues = await startLocalQueues();
  });
  afterAll(async () => {
    await queues.stop();
  });

  it('queues a bounce whose reason has an emoji (fauxqs refuses raw astral characters) and reads it back', async () => {
    // Prepare
    const sqs = sqsClientFor(queues);
    const config = testConfig({
      BLOCK_QUEUE_URL: queues.blockQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    });
    const handler = createWebhookHandler({ config, sqsClient: sqs, now: () => NOW_MS, logger: recordingLogger() });
    const body = sendgridBounces(12, (i) => `550 5.1.1 mailbox gone \u{1F4EA} #${i}`);

    // Act
    const response = await handler(apiEventOf(sendgridRequest(body)));

    // Assess
    const received = await receiveAll(sqs, queues.blockQueueUrl, 12);
    const texts = received.map((m) => JSON.stringify(JSON.parse(m.Body!)));
    expect(response.statusCode).toBe(200);
    expect(received).toHaveLength(12);
    expect(texts.every((t) => t.includes('\u{1F4EA}'))).toBe(true);
  });
});
