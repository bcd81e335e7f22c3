import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { createDynamoClient } from '../../lib/ledger/client.js';
import { mailgunSignature } from '../../lib/providers/mailgun/verify.js';
import { createWebhookHandler } from '../../lib/webhook/lambda.js';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { sendBodies } from '../helpers/sqs.js';
import { NOW_MS, NOW_S, recordingLogger, SECRETS, testConfig } from '../lib/webhook/harness.js';
import { type DynamoIamProxy, startDynamoIamProxy } from './dynamo-iam-proxy.js';
import { ACCOUNT, isAllowed, REGION, type Request, roleStatements, type Statement, type Template } from './iam-eval.js';
import { ensureBundles, oslsPackage } from './osls.js';

// Least privilege down to DynamoDB keys (issue 19, item 7): the internet-facing webhook may write replay tokens
// (`r#`) and nothing else of the ledger, and never holds the key contacts are hashed with. Judged on the packaged
// template by an IAM evaluator (./iam-eval.ts), and on the real code behind a DynamoDB that enforces the roles.

let workDir: string;
let template: Template & { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
let dynamo: LocalDynamo;
let table: string;
const proxies: DynamoIamProxy[] = [];

beforeAll(async () => {
  await ensureBundles();
  workDir = mkdtempSync(join(tmpdir(), 'hood-blocker-iam-'));
  template = await oslsPackage(workDir, 'iam');
  table = template.Resources.LedgerTable!.Properties.TableName as string;
  dynamo = await startLocalDynamo({ table });
}, 180_000);

afterAll(async () => {
  for (const p of proxies) await p.stop();
  await dynamo?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const webhookRole = () => roleStatements(template, 'WebhookRole');
const consumerRole = () => roleStatements(template, 'BlockContactsRole');
const tableArn = () => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;
const secretArn = (id: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
const item = (action: string, pk: string): Request => ({
  action: `dynamodb:${action}`,
  resource: tableArn(),
  context: { 'dynamodb:LeadingKeys': [pk] },
});
const dynamoStatements = (statements: Statement[]) =>
  statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith('dynamodb:')));
const env = (fn: string) => template.Resources[fn]!.Properties.Environment.Variables as Record<string, unknown>;

async function proxyFor(statements: Statement[]): Promise<DynamoIamProxy> {
  const proxy = await startDynamoIamProxy(dynamo.endpoint, template, statements);
  proxies.push(proxy);
  return proxy;
}

describe('the webhook role in the packaged template', () => {
  it('limits every DynamoDB statement to replay-token keys (r#), present in the request', () => {
    // Prepare
    const statements = dynamoStatements(webhookRole());

    // Act
    const conditions = statements.map((s) => s.Condition);

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const c of conditions) {
      expect(c).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['r#*'] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      });
    }
  });

  it('has no access to the contact hash-key secret, and no variable naming it', () => {
    // Prepare
    const secrets = webhookRole().filter((s) => [s.Action].flat().some((a) => String(a).startsWith('secretsmanager:')));

    // Act
    const resources = secrets.flatMap((s) => [s.Resource].flat());
    const variables = Object.keys(env('WebhookLambdaFunction'));

    // Assess
    expect(resources).toEqual([{ Ref: 'ReplayHashKeySecret' }]);
    expect(variables.filter((v) => v.startsWith('LEDGER_HASH_KEY'))).toEqual([]);
    expect(env('WebhookLambdaFunction').REPLAY_HASH_KEY_SECRET).toEqual({ Ref: 'ReplayHashKeySecret' });
    expect(template.Resources.ReplayHashKeySecret).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { PasswordLength: 64 } },
    });
  });

  it('limits the consumer to contact (c#) and rate-limiter (rate#) keys, and its own secret', () => {
    // Prepare
    const statements = dynamoStatements(consumerRole());

    // Act
    const secrets = consumerRole().filter((s) =>
      [s.Action].flat().some((a) => String(a).startsWith('secretsmanager:')),
    );

    // Assess
    for (const s of statements) {
      expect(s.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['c#*', 'rate#*'] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      });
    }
    expect(secrets.flatMap((s) => [s.Resource].flat())).toEqual([{ Ref: 'LedgerHashKeySecret' }]);
    expect('REPLAY_HASH_KEY_SECRET' in env('BlockContactsLambdaFunction')).toBe(false);
  });
});

describe('IAM evaluation of the packaged roles', () => {
  it.each([
    ['webhook', 'PutItem', 'r#abc', true],
    ['webhook', 'DeleteItem', 'r#abc', true],
    ['webhook', 'PutItem', 'c#abc', false],
    ['webhook', 'UpdateItem', 'c#abc', false],
    ['webhook', 'PutItem', 'rate#hood', false],
    ['webhook', 'DeleteItem', 'rate#hood', false],
    ['webhook', 'GetItem', 'r#abc', false],
    ['webhook', 'GetItem', 'c#abc', false],
    ['webhook', 'Query', 'c#abc', false],
    ['consumer', 'PutItem', 'c#abc', true],
    ['consumer', 'UpdateItem', 'rate#hood', true],
    ['consumer', 'Query', 'c#abc', true],
    ['consumer', 'PutItem', 'r#abc', false],
    ['consumer', 'PutItem', 'x#abc', false],
  ])('%s %s on %s: allowed %s', (role, action, pk, expected) => {
    // Prepare
    const statements = role === 'webhook' ? webhookRole() : consumerRole();

    // Act
    const allowed = isAllowed(template, statements, item(action, pk));

    // Assess
    expect(allowed).toBe(expected);
  });

  it('lets the webhook write exactly the keys that start with r# (any key, any write)', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('PutItem', 'DeleteItem', 'UpdateItem'), (pk, action) => {
        // Act
        const allowed = isAllowed(template, webhookRole(), item(action, pk));

        // Assess
        expect(allowed).toBe(action !== 'UpdateItem' && pk.startsWith('r#'));
      }),
    );
  });

  it.each([
    ['webhook', () => webhookRole()],
    ['consumer', () => consumerRole()],
  ])('refuses the %s a request that names no key (Scan), however the key condition reads', (_, statements) => {
    // Prepare
    const scan: Request = { action: 'dynamodb:Scan', resource: tableArn(), context: {} };
    const putWithoutKey: Request = { action: 'dynamodb:PutItem', resource: tableArn(), context: {} };

    // Act
    const answers = [scan, putWithoutKey].map((r) => isAllowed(template, statements(), r));

    // Assess
    expect(answers).toEqual([false, false]);
  });

  it('lets each function read only its own HMAC key', () => {
    // Prepare
    const read = (statements: Statement[], id: string) =>
      isAllowed(template, statements, { action: 'secretsmanager:GetSecretValue', resource: secretArn(id) });

    // Act
    const answers = [
      read(webhookRole(), 'LedgerHashKeySecret'),
      read(webhookRole(), 'ReplayHashKeySecret'),
      read(consumerRole(), 'LedgerHashKeySecret'),
      read(consumerRole(), 'ReplayHashKeySecret'),
    ];

    // Assess
    expect(answers).toEqual([false, true, true, false]);
  });
});

describe('the real code behind a DynamoDB that enforces the packaged roles', () => {
  const REPLAY_HASH_KEY = 'iam-test-replay-key-6f0c2b9a1d3e';

  function mailgunEvent(token: string, recipient: string): APIGatewayProxyEventV2 {
    const signature = mailgunSignature(SECRETS.MAILGUN_WEBHOOK_SIGNING_KEY, NOW_S, token);
    const body = JSON.stringify({
      signature: { timestamp: NOW_S, token, signature },
      'event-data': { event: 'unsubscribed', recipient, id: `ev-${token}`, timestamp: Number(NOW_S) },
    });
    return {
      version: '2.0',
      routeKey: 'POST /webhooks/mailgun',
      rawPath: '/webhooks/mailgun',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      isBase64Encoded: false,
      body,
      requestContext: {
        http: { method: 'POST', path: '/webhooks/mailgun' },
        domainName: 'x.execute-api.eu-west-1.amazonaws.com',
      },
    } as unknown as APIGatewayProxyEventV2;
  }

  it('keeps webhook replay protection working under the webhook role: all allowed, the replay refused', async () => {
    // Prepare
    const proxy = await proxyFor(webhookRole());
    const queued: unknown[] = [];
    const handler = createWebhookHandler({
      config: testConfig({ LEDGER_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint, REPLAY_HASH_KEY }),
      sendToQueue: async (messages) => void queued.push(...messages),
      deadLetter: async () => {},
      now: () => NOW_MS,
      logger: recordingLogger(),
    });

    // Act
    const first = await handler(mailgunEvent('iam-token-1', 'jane@example.com'));
    const replay = await handler(mailgunEvent('iam-token-1', 'victim@example.com'));

    // Assess
    expect([first.statusCode, replay.statusCode]).toEqual([200, 401]);
    expect(queued).toHaveLength(1);
    expect(proxy.requests.map((r) => r.action)).toContain('dynamodb:PutItem');
    expect(proxy.denied()).toEqual([]);
  });

  it.each([
    [
      'mark a contact blocked',
      new PutItemCommand({ TableName: '', Item: { pk: { S: 'c#victim' }, sk: { S: 'state' }, blockedAt: { N: '1' } } }),
    ],
    [
      'stuff the rate item',
      new UpdateItemCommand({
        TableName: '',
        Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } },
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { N: '9' } },
      }),
    ],
    [
      'delete the rate item',
      new DeleteItemCommand({ TableName: '', Key: { pk: { S: 'rate#hood' }, sk: { S: 'calls' } } }),
    ],
    ['read a contact', new GetItemCommand({ TableName: '', Key: { pk: { S: 'c#victim' }, sk: { S: 'state' } } })],
    ['scan the table', new ScanCommand({ TableName: '' })],
  ])('refuses a compromised webhook that tries to %s', async (_, command) => {
    // Prepare
    const proxy = await proxyFor(webhookRole());
    const client = createDynamoClient({
      endpoint: proxy.endpoint,
      region: REGION,
      localCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    command.input.TableName = table;

    // Act
    const answer = await client.send(command as PutItemCommand).then(
      () => 'done',
      (error: Error) => error.name,
    );
    client.destroy();

    // Assess
    expect(answer).toBe('AccessDeniedException');
    expect(proxy.denied()).toHaveLength(1);
  });

  it('lets the built consumer block, count soft bounces and share the rate budget with its role only', async () => {
    // Prepare
    const proxy = await proxyFor(consumerRole());
    let pipeline: Pipeline | undefined;
    try {
      pipeline = await startPipeline({
        consumers: 2,
        env: {
          LEDGER_TABLE: table,
          AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
          LEDGER_HASH_KEY: 'iam-test-ledger-key-0a1b2c3d4e5f',
          SOFT_BOUNCE_POLICY: '2/1d',
        },
      });
      const bodies = [
        JSON.stringify({ contact: 'iam.one@example.com', reason: 'unsubscribe', source: 'iam', eventId: 'iam-1' }),
        JSON.stringify({ contact: '+38761234567', reason: 'complaint', source: 'iam', eventId: 'iam-2' }),
        JSON.stringify({ contact: 'soft@example.com', reason: 'soft_bounce', source: 'iam', eventId: 'iam-3' }),
        JSON.stringify({ contact: 'soft@example.com', reason: 'soft_bounce', source: 'iam', eventId: 'iam-4' }),
      ];

      // Act
      await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, bodies);
      const blocked = await waitFor(() => pipeline!.hood.contacts().length >= 3, 30_000, 100);

      // Assess
      expect(blocked).toBe(true);
      expect(new Set(proxy.requests.map((r) => r.action))).toEqual(
        new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query']),
      );
      expect(proxy.requests.some((r) => String(r.context?.['dynamodb:LeadingKeys']).startsWith('rate#'))).toBe(true);
      expect(proxy.denied()).toEqual([]);
    } finally {
      await pipeline?.stop();
    }
  }, 60_000);
});
