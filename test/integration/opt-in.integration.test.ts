import { createHmac, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalTable, startLocalTable } from '../helpers/dynalite.js';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { receiveAll } from '../helpers/sqs.js';

/**
 * A START after a STOP, through both *built* handlers and the durable ledger (dynalite): the STOP blocks, the
 * START reaches the operator's place (the dead-letter queue, reason `resubscribed`) and blocks no one.
 */
type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const PUBLIC_URL = 'https://hooks.example.com';
const TWILIO_AUTH_TOKEN = 'twilio-auth-token-opt-in';

let table: LocalTable;
let pipeline: Pipeline;
let webhook: WebhookHandler;

beforeAll(async () => {
  table = await startLocalTable('ledger');
  const ledgerEnv = {
    LEDGER_TABLE: table.table,
    AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
    LEDGER_HASH_KEY: 'k'.repeat(32),
  };
  pipeline = await startPipeline({ limits: '10/100ms,150/6s', consumers: 1, env: ledgerEnv });
  Object.assign(process.env, { TWILIO_AUTH_TOKEN, WEBHOOK_PUBLIC_URL: PUBLIC_URL });
  const mod = (await import(`${pathToFileURL(resolve('dist/handlers/webhook.mjs')).href}?optin=${randomUUID()}`)) as {
    handler: WebhookHandler;
  };
  webhook = mod.handler;
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await table?.stop();
});

function signedTwilio(params: Record<string, string>): APIGatewayProxyEventV2 {
  const url = `${PUBLIC_URL}/webhooks/twilio`;
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  const signature = createHmac('sha1', TWILIO_AUTH_TOKEN).update(data).digest('base64');
  const body = Buffer.from(new URLSearchParams(params).toString(), 'utf8');
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/twilio',
    rawPath: '/webhooks/twilio',
    rawQueryString: '',
    headers: {
      host: 'hooks.example.com',
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
    },
    pathParameters: { provider: 'twilio' },
    body: body.toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: {
        method: 'POST',
        path: '/webhooks/twilio',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'twilio',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhooks/twilio',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  } as APIGatewayProxyEventV2;
}

const sms = (body: string, sid: string) => ({
  From: '+14155550123',
  To: '+14155550199',
  Body: body,
  MessageSid: sid,
  AccountSid: 'AC1',
});

describe('a START after a STOP (local pipeline, durable ledger)', () => {
  it('blocks on STOP and puts the START in the dead-letter queue as resubscribed, blocking no one more', async () => {
    // Prepare
    expect((await webhook(signedTwilio(sms('STOP', 'SMstop1')))).statusCode).toBe(200);
    expect(await waitFor(() => pipeline.hood.contacts().length === 1, 20_000)).toBe(true);

    // Act
    expect((await webhook(signedTwilio(sms('START', 'SMstart1')))).statusCode).toBe(200);
    const dead: Awaited<ReturnType<typeof receiveAll>> = [];
    await waitFor(async () => {
      dead.push(...(await receiveAll(pipeline.sqs, pipeline.queues.deadLetterQueueUrl, 10, 60)));
      return dead.length > 0;
    }, 20_000);

    // Assess
    expect(pipeline.hood.contacts().map((c) => c.contact)).toEqual(['+14155550123']);
    expect(dead.map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['resubscribed']);
    expect(JSON.parse(dead[0]!.Body!)).toMatchObject({ kind: 'opt_in', optIn: { contact: '+14155550123' } });
  }, 60_000);
});
