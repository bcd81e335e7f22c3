import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, loadQueueConfig } from '../../../lib/config.js';
import { type LocalQueues, sqsClientFor, startLocalQueues } from '../../../dev/emulator.js';
import { QueueError } from '../../../lib/errors.js';
import { changeVisibility, createLambdaSqsClient, deleteMessage, readQueueDepth, sendMessages } from '../../../lib/queue/sqs.js';
import { LiteSqsClient, SqsServiceError } from '../../../lib/queue/sqs-lite.js';

let queues: LocalQueues | undefined;
let server: Server | undefined;

afterEach(async () => {
  await queues?.stop();
  queues = undefined;
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A stand-in SQS endpoint that answers each request with the next scripted answer (or drops the connection). */
async function scriptedEndpoint(answers: Array<{ status: number; body: string } | 'drop'>): Promise<{ url: string; requests: Array<{ headers: IncomingMessage['headers']; body: string }> }> {
  const requests: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      const answer = answers[Math.min(requests.length, answers.length) - 1]!;
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' }).end(answer.body);
    });
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const credentialsArb = fc.record({
  accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,24}$/u),
  secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{30,40}$/u),
  sessionToken: fc.option(fc.stringMatching(/^[A-Za-z0-9/+=]{20,200}$/u), { nil: undefined }),
});

describe('LiteSqsClient signing', () => {
  it("signs every request exactly as the AWS SDK's SigV4 signer does", async () => {
    await fc.assert(
      fc.asyncProperty(
        credentialsArb,
        fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2', 'cn-north-1'),
        fc.constantFrom(undefined, 'http://127.0.0.1:4566', 'https://sqs.example.internal'),
        fc.constantFrom('SendMessageBatch', 'DeleteMessage', 'ChangeMessageVisibility'),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        async (credentials, region, endpoint, action, payload, now) => {
          // Prepare
          const client = new LiteSqsClient({ region, endpoint, credentials, clock: () => now });
          const body = JSON.stringify({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', payload });
          // Act
          const ours = client.sign(action, body);
          const url = new URL(endpoint ?? `https://sqs.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`);
          // applyChecksum off: an `x-amz-content-sha256` header is S3's; for SQS it is optional and we do not send it.
          const sdk = await new SignatureV4({ credentials, region, service: 'sqs', sha256: Sha256, applyChecksum: false }).sign(
            {
              method: 'POST',
              protocol: url.protocol,
              hostname: url.hostname,
              ...(url.port ? { port: Number(url.port) } : {}),
              path: '/',
              query: {},
              headers: { 'content-type': ours['content-type']!, host: ours.host!, 'x-amz-target': ours['x-amz-target']! },
              body,
            },
            { signingDate: new Date(now) },
          );
          // Assess
          expect(ours.authorization).toBe(sdk.headers.authorization);
          expect(ours['x-amz-security-token']).toBe(sdk.headers['x-amz-security-token']);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('LiteSqsClient on a real SQS emulator (fauxqs)', () => {
  it('sends a batch with attributes and delays, changes a visibility and deletes, as the SDK reads them back', async () => {
    // Prepare
    queues = await startLocalQueues({ visibilityTimeoutSeconds: 30 });
    const lite = new LiteSqsClient({ region: queues.region, endpoint: queues.endpoint, credentials: LOCAL_CREDENTIALS });
    const sdk = sqsClientFor(queues);
    const bodies = ['{"contact":"a@example.com"}', '{"contact":"ü€ b@example.com"}'];
    // Act
    await sendMessages(lite, queues.blockQueueUrl, [{ body: bodies[0]!, attributes: { correlation_id: 'c-1', empty: '' } }, { body: bodies[1]! }]);
    await sendMessages(lite, queues.blockQueueUrl, [{ body: 'later', delaySeconds: 60 }]);
    const received = await sdk.send(new ReceiveMessageCommand({ QueueUrl: queues.blockQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    const messages = received.Messages ?? [];
    await changeVisibility(lite, queues.blockQueueUrl, messages[0]!.ReceiptHandle!, 0);
    await deleteMessage(lite, queues.blockQueueUrl, messages[1]!.ReceiptHandle!);
    const depth = await readQueueDepth(sdk, queues.blockQueueUrl);
    sdk.destroy();
    // Assess
    expect(messages.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(messages.find((m) => m.Body === bodies[0])?.MessageAttributes).toEqual({ correlation_id: { DataType: 'String', StringValue: 'c-1' } });
    expect(depth).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
  });

  it("names SQS's error as the SDK does and the send helper reports it as a QueueError", async () => {
    // Prepare
    queues = await startLocalQueues();
    const lite = new LiteSqsClient({ region: queues.region, endpoint: queues.endpoint, credentials: LOCAL_CREDENTIALS, random: () => 0 });
    const missing = `${queues.endpoint}/000000000000/no-such-queue`;
    // Act
    const direct = lite.deleteMessage({ QueueUrl: missing, ReceiptHandle: 'x' });
    const sent = sendMessages(lite, missing, [{ body: 'x' }], { attempts: 1 });
    // Assess
    await expect(direct).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(sent).rejects.toBeInstanceOf(QueueError);
  });
});

describe('LiteSqsClient retries', () => {
  it('retries a 5xx and a dropped connection, then succeeds', async () => {
    // Prepare
    const endpoint = await scriptedEndpoint([{ status: 503, body: '{"__type":"com.amazonaws.sqs#ServiceUnavailable"}' }, 'drop', { status: 200, body: '' }]);
    const lite = new LiteSqsClient({ region: 'eu-west-1', endpoint: endpoint.url, credentials: LOCAL_CREDENTIALS, random: () => 0 });
    // Act
    await lite.deleteMessage({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', ReceiptHandle: 'r' });
    // Assess
    expect(endpoint.requests.map((r) => r.headers['x-amz-target'])).toEqual(['AmazonSQS.DeleteMessage', 'AmazonSQS.DeleteMessage', 'AmazonSQS.DeleteMessage']);
  });

  it('retries throttling, but never a request SQS rejected', async () => {
    // Prepare
    const throttled = await scriptedEndpoint([{ status: 400, body: '{"__type":"com.amazonaws.sqs#RequestThrottled","message":"slow down"}' }, { status: 200, body: '{"Successful":[{"Id":"0"}]}' }]);
    const lite = new LiteSqsClient({ region: 'eu-west-1', endpoint: throttled.url, credentials: LOCAL_CREDENTIALS, random: () => 0 });
    // Act
    const sent = await lite.sendMessageBatch({ QueueUrl: 'q', Entries: [{ Id: '0', MessageBody: 'x' }] });
    server?.closeAllConnections();
    server?.close();
    const rejected = await scriptedEndpoint([{ status: 400, body: '{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"bad"}' }]);
    const strict = new LiteSqsClient({ region: 'eu-west-1', endpoint: rejected.url, credentials: LOCAL_CREDENTIALS, random: () => 0 });
    const refused = strict.changeMessageVisibility({ QueueUrl: 'q', ReceiptHandle: 'r', VisibilityTimeout: 5 });
    // Assess
    expect(sent.Successful).toEqual([{ Id: '0' }]);
    expect(throttled.requests).toHaveLength(2);
    await expect(refused).rejects.toEqual(expect.objectContaining({ name: 'InvalidParameterValue', statusCode: 400 }));
    expect(rejected.requests).toHaveLength(1);
  });

  it('gives up after three attempts with the last error', async () => {
    // Prepare
    const endpoint = await scriptedEndpoint([{ status: 500, body: 'not json' }]);
    const lite = new LiteSqsClient({ region: 'eu-west-1', endpoint: endpoint.url, credentials: LOCAL_CREDENTIALS, random: () => 0 });
    // Act
    const deleted = lite.deleteMessage({ QueueUrl: 'q', ReceiptHandle: 'r' });
    // Assess
    await expect(deleted).rejects.toBeInstanceOf(SqsServiceError);
    expect(endpoint.requests).toHaveLength(3);
  });
});

describe('createLambdaSqsClient', () => {
  it('uses the lite client with the keys Lambda puts in the environment, session token included', async () => {
    // Prepare
    const config = loadQueueConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    // Act
    const client = await createLambdaSqsClient(config);
    const headers = (client as LiteSqsClient).sign('DeleteMessage', '{}');
    // Assess
    expect(client).toBeInstanceOf(LiteSqsClient);
    expect(headers.authorization).toContain('Credential=AKIDEXAMPLE/');
    expect(headers['x-amz-security-token']).toBe('token');
  });

  it("falls back to the SDK client, with its credential chain, when the keys are not in the environment", async () => {
    // Prepare
    const config = loadQueueConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' });
    // Act
    const client = await createLambdaSqsClient(config);
    // Assess
    expect(client).not.toBeInstanceOf(LiteSqsClient);
    expect(config.environmentCredentials).toBeUndefined();
    client.destroy();
  });
});
