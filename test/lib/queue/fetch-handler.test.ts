import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../lib/config.js';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import { createDynamoClient } from '../../../lib/ledger/client.js';
import { FetchHttpHandler } from '../../../lib/queue/fetch-handler.js';
import { changeVisibility, deleteMessage } from '../../../lib/queue/sqs.js';
import { createSqsClient } from '../../../lib/queue/sqs-sdk.js';
// The stand-in the Lambda build puts where the SDK's Node handler would be (scripts/build.mjs).
import { NodeHttpHandler as BundledNodeHttpHandler } from '../../../scripts/shims/node-http-handler.js';

let queues: LocalQueues | undefined;
let server: Server | undefined;

afterEach(async () => {
  await queues?.stop();
  queues = undefined;
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A server that reads requests and never answers: what an unreachable-but-accepting endpoint looks like. */
async function silentServer(): Promise<{ url: URL; requests: () => number }> {
  let requests = 0;
  server = createServer(() => {
    requests += 1;
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), requests: () => requests };
}

describe('SQS over Node fetch (createSqsClient)', () => {
  it('uses the fetch transport', () => {
    // Act
    const client = createSqsClient({ region: 'eu-west-1' });
    const handler = client.config.requestHandler;
    client.destroy();
    // Assess
    expect(handler).toBeInstanceOf(FetchHttpHandler);
  });

  it('sends, receives, changes visibility and deletes a message on a real SQS emulator', async () => {
    // Prepare
    queues = await startLocalQueues({ visibilityTimeoutSeconds: 30 });
    const sqs = createSqsClient({ region: queues.region, sqsEndpoint: queues.endpoint, localCredentials: LOCAL_CREDENTIALS });
    const body = JSON.stringify({ contact: 'fetch-transport@example.com', reason: 'unsubscribe', note: 'ü €' });
    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.blockQueueUrl, MessageBody: body }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.blockQueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    const message = received.Messages![0]!;
    await changeVisibility(sqs, queues.blockQueueUrl, message.ReceiptHandle!, 0);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.blockQueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    await deleteMessage(sqs, queues.blockQueueUrl, again.Messages![0]!.ReceiptHandle!);
    const depth = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.blockQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    sqs.destroy();
    // Assess
    expect(message.Body).toBe(body);
    expect(again.Messages![0]!.MessageId).toBe(message.MessageId);
    expect(depth.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it("turns an SQS error answer into the SDK's named error", async () => {
    // Prepare
    queues = await startLocalQueues();
    const sqs = createSqsClient({ region: queues.region, sqsEndpoint: queues.endpoint, localCredentials: LOCAL_CREDENTIALS });
    // Act
    const sent = sqs.send(new SendMessageCommand({ QueueUrl: `${queues.endpoint}/000000000000/no-such-queue`, MessageBody: 'x' }));
    // Assess
    await expect(sent).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    sqs.destroy();
  });
});

describe('FetchHttpHandler timeouts and aborts', () => {
  it('aborts a request that outlives its request budget', async () => {
    // Prepare
    const silent = await silentServer();
    const handler = new FetchHttpHandler({ requestTimeoutMs: 50 });
    // Act
    const answered = handler.handle({ method: 'POST', protocol: 'http:', hostname: silent.url.hostname, port: Number(silent.url.port), path: '/', query: {}, headers: {}, body: '{}' } as never);
    // Assess
    await expect(answered).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(silent.requests()).toBe(1);
  });

  it("aborts when the SDK's abort signal fires", async () => {
    // Prepare
    const silent = await silentServer();
    const handler = new FetchHttpHandler();
    const abort = new AbortController();
    // Act
    const answered = handler.handle({ method: 'GET', protocol: 'http:', hostname: silent.url.hostname, port: Number(silent.url.port), path: '/', query: {}, headers: {} } as never, { abortSignal: abort.signal });
    while (silent.requests() === 0) await new Promise((r) => setImmediate(r));
    abort.abort();
    // Assess
    await expect(answered).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("gives the ledger's DynamoDB client its request budget, so an endpoint that never answers fails the call", async () => {
    // Prepare
    const silent = await silentServer();
    const dynamo = createDynamoClient({ region: 'eu-west-1', endpoint: silent.url.origin, localCredentials: LOCAL_CREDENTIALS, maxAttempts: 1, timeouts: { connectionMs: 20, requestMs: 60 } });
    const { ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
    // Act
    const listed = dynamo.send(new ListTablesCommand({}));
    // Assess
    await expect(listed).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(dynamo.config.requestHandler).toBeInstanceOf(FetchHttpHandler);
    dynamo.destroy();
  });
});

describe('the Lambda build’s stand-in for the SDK Node handler', () => {
  it('passes a given handler through unchanged', () => {
    // Prepare
    const given = new FetchHttpHandler();
    // Act
    const used = BundledNodeHttpHandler.create(given);
    // Assess
    expect(used).toBe(given);
  });

  it('builds a fetch handler from handler options, so an SDK-made client (STS, SSO) still has a transport', () => {
    // Act
    const used = BundledNodeHttpHandler.create({ requestTimeout: 1000 });
    const fromProvider = BundledNodeHttpHandler.create(async () => ({}));
    // Assess
    expect(used).toBeInstanceOf(FetchHttpHandler);
    expect(fromProvider).toBeInstanceOf(FetchHttpHandler);
  });
});
