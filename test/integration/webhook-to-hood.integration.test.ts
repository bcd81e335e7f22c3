import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { attribute, queueDepth, receiveAll, sendBodies } from '../helpers/sqs.js';

/**
 * The whole path with both *built* handlers, as deployed: a signed provider request → dist/handlers/webhook.mjs
 * → SQS (emulator) → dist/handlers/block-contacts.mjs (two instances) → Hood stand-in. Then adversarial input
 * against the same built handlers: none crashes a handler, none blocks anyone, each gets the documented answer.
 */

type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const PUBLIC_URL = 'https://hooks.example.com';
const SECRETS = {
  MAILGUN_WEBHOOK_SIGNING_KEY: 'key-mailgun-e2e-0123456789',
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-e2e',
  GENERIC_WEBHOOK_TOKEN: 'generic-token-e2e-abcdef',
};
const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const SENDGRID_PUBLIC_KEY = sendgridKeys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

let pipeline: Pipeline;
let webhook: WebhookHandler;

beforeAll(async () => {
  pipeline = await startPipeline({ limits: '10/100ms,150/6s' });
  Object.assign(process.env, {
    ...SECRETS,
    SENDGRID_WEBHOOK_PUBLIC_KEY: SENDGRID_PUBLIC_KEY,
    WEBHOOK_PUBLIC_URL: PUBLIC_URL,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  const mod = (await import(`${pathToFileURL(resolve('dist/handlers/webhook.mjs')).href}?e2e=${randomUUID()}`)) as {
    handler: WebhookHandler;
  };
  webhook = mod.handler;
});

afterAll(async () => {
  await pipeline.stop();
});

function apiEvent(
  provider: string,
  body: Buffer | string,
  headers: Record<string, string>,
  rawQueryString = '',
): APIGatewayProxyEventV2 {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: `/webhooks/${provider}`,
    rawQueryString,
    headers: { host: 'hooks.example.com', ...headers },
    pathParameters: { provider },
    // API Gateway base64-encodes bodies it does not consider text.
    body: bytes.toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: {
        method: 'POST',
        path: `/webhooks/${provider}`,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'provider',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhooks/{provider}',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  } as APIGatewayProxyEventV2;
}

function signedSendgrid(events: unknown[]): APIGatewayProxyEventV2 {
  const body = `[${events.map((e) => JSON.stringify(e)).join(',')}]\r\n`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body), sendgridKeys.privateKey).toString('base64');
  return apiEvent('sendgrid', body, {
    'content-type': 'application/json',
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': timestamp,
  });
}
function signedTwilio(params: Record<string, string>): APIGatewayProxyEventV2 {
  const url = `${PUBLIC_URL}/webhooks/twilio`;
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  const signature = createHmac('sha1', SECRETS.TWILIO_AUTH_TOKEN).update(data).digest('base64');
  return apiEvent('twilio', new URLSearchParams(params).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': signature,
  });
}

function signedMailgun(eventData: unknown, token: string = randomUUID()): APIGatewayProxyEventV2 {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', SECRETS.MAILGUN_WEBHOOK_SIGNING_KEY)
    .update(timestamp + token)
    .digest('hex');
  return apiEvent('mailgun', JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': eventData }), {
    'content-type': 'application/json',
  });
}

function generic(body: unknown, token = SECRETS.GENERIC_WEBHOOK_TOKEN): APIGatewayProxyEventV2 {
  return apiEvent('generic', typeof body === 'string' ? body : JSON.stringify(body), {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
  });
}

async function settled(expected: number): Promise<void> {
  await waitFor(async () => {
    const q = await queueDepth(pipeline.sqs, pipeline.queues.blockQueueUrl);
    return (
      pipeline.hood.contacts().length >= expected &&
      q.visible + q.inFlight + q.delayed === 0 &&
      pipeline.esm.stats().inFlight === 0
    );
  }, 30_000);
}

describe('signed webhooks → built ingress → queue → built consumer → Hood', () => {
  it('blocks exactly the opt-outs of each provider and nothing else', async () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);
    const requests = [
      signedSendgrid([
        {
          email: 'bounced@example.com',
          event: 'bounce',
          type: 'bounce',
          sg_event_id: 'sg1',
          timestamp: now,
          reason: '550 5.1.1 unknown',
        },
        { email: 'blocked@example.com', event: 'bounce', type: 'blocked', sg_event_id: 'sg2', timestamp: now },
        { email: 'delivered@example.com', event: 'delivered', sg_event_id: 'sg3', timestamp: now },
        { email: 'spam@example.com', event: 'spamreport', sg_event_id: 'sg4', timestamp: now },
      ]),
      signedTwilio({ From: '+14155550123', To: '+14155550100', Body: '  stop ', MessageSid: 'SM1', AccountSid: 'AC1' }),
      signedTwilio({
        From: '+14155550124',
        To: '+14155550100',
        Body: 'Stop please',
        MessageSid: 'SM2',
        AccountSid: 'AC1',
      }),
      signedMailgun({ event: 'unsubscribed', id: 'mg1', timestamp: now, recipient: 'Unsub@Example.com' }),
      signedMailgun({
        event: 'failed',
        severity: 'temporary',
        id: 'mg2',
        timestamp: now,
        recipient: 'soft@example.com',
      }),
      generic([
        { contact: 'crm@example.com', reason: 'manual' },
        { contact: '+38761234567', reason: 'unsubscribe' },
      ]),
    ];
    // Act
    const responses = [];
    for (const r of requests) responses.push(await webhook(r));
    await settled(6);
    // Assess
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(responses[1]!.body).toContain('<Response></Response>');
    expect(
      pipeline.hood
        .contacts()
        .map((c) => c.contact)
        .sort(),
    ).toEqual(
      [
        '+14155550123',
        '+38761234567',
        'bounced@example.com',
        'crm@example.com',
        'spam@example.com',
        'unsub@example.com',
      ].sort(),
    );
  });

  it('carries one correlation id from the webhook log line to the consumer log line', async () => {
    // Prepare
    const request = generic({ contact: 'traced@example.com', reason: 'unsubscribe' });
    // Act
    const response = await webhook(request);
    await settled(7);
    // Assess
    const correlationId = (response.headers as Record<string, string>)['x-correlation-id'];
    expect(correlationId).toBeTruthy();
    const lines = pipeline.output
      .join('')
      .split('\n')
      .filter((l) => l.includes(String(correlationId)));
    expect(lines.some((l) => l.includes('"outcome":"blocked"'))).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(2);
  });
});

describe('adversarial input against the built handlers', () => {
  const blockedSoFar = () => pipeline.hood.contacts().length;

  it('answers 413 to a body over 1 MB', async () => {
    // Act
    const response = await webhook(generic(`[${'{"contact":"a@example.com"},'.repeat(40_000)}{}]`));
    // Assess
    expect(response.statusCode).toBe(413);
  });

  it('answers 400 to deeply nested JSON without crashing', async () => {
    // Act
    const response = await webhook(generic(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    // Assess
    expect(response.statusCode).toBe(400);
  });

  it('answers 400 to a body that is not UTF-8', async () => {
    // Act
    const response = await webhook(
      apiEvent('generic', Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28]), {
        authorization: `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}`,
        'content-type': 'application/json',
      }),
    );
    // Assess
    expect(response.statusCode).toBe(400);
  });

  it('dead-letters a header-injection contact instead of blocking it', async () => {
    // Prepare
    const count = blockedSoFar();
    // Act
    const response = await webhook(
      generic({ contact: 'victim@example.com\r\nBcc: everyone@example.com', reason: 'unsubscribe' }),
    );
    // The positive signal: the ingress dead-letters it itself, before answering.
    let dead: Awaited<ReturnType<typeof receiveAll>> = [];
    await waitFor(
      async () =>
        (dead = [...dead, ...(await receiveAll(pipeline.sqs, pipeline.queues.deadLetterQueueUrl, 100, 0))]).length > 0,
      10_000,
    );
    // Assess
    expect(response.statusCode).toBe(200);
    expect(dead.some((m) => attribute(m, 'reason') === 'invalid_contact')).toBe(true);
    expect(pipeline.hood.contacts().length).toBe(count);
  });

  it('answers 401 to a replayed signed Mailgun webhook', async () => {
    // Prepare
    const request = signedMailgun(
      {
        event: 'complained',
        id: 'mg-replay',
        timestamp: Math.floor(Date.now() / 1000),
        recipient: 'replay@example.com',
      },
      'replayed-token-1',
    );
    // Act
    const first = await webhook(request);
    const second = await webhook(request);
    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([200, 401]);
  });

  it('answers 401 to a forged signature and 404 to a provider without a secret', async () => {
    // Prepare
    const forged = signedTwilio({ From: '+14155550199', Body: 'STOP' });
    (forged.headers as Record<string, string>)['x-twilio-signature'] = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    // Act
    const bad = await webhook(forged);
    const disabled = await webhook(
      apiEvent('vonage', 'msisdn=447700900000&text=STOP', { 'content-type': 'application/x-www-form-urlencoded' }),
    );
    const unknown = await webhook(apiEvent('nonexistent', '{}', {}));
    // Assess
    expect([bad.statusCode, disabled.statusCode, unknown.statusCode]).toEqual([401, 404, 404]);
  });

  it('answers 401 to a wrong bearer token', async () => {
    // Act
    const response = await webhook(generic({ contact: 'intruder@example.com' }, 'not-the-token'));
    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('dead-letters hostile queue bodies in the consumer and blocks nobody', async () => {
    // Prepare: let the earlier tests' legitimate opt-outs land first.
    await settled(0);
    const count = blockedSoFar();
    const hostile = [
      `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
      '{"contact":"\uD800@example.com"}',
      JSON.stringify({ contact: `${'x'.repeat(300)}@example.com` }),
      JSON.stringify({ Type: 'Notification', Message: '{"notificationType":"Bounce"' }),
      'x'.repeat(200_000),
    ];
    // Act
    await sendBodies(pipeline.sqs, pipeline.queues.blockQueueUrl, hostile);
    await waitFor(async () => {
      const q = await queueDepth(pipeline.sqs, pipeline.queues.blockQueueUrl);
      return q.visible + q.inFlight + q.delayed === 0;
    }, 20_000);
    // Assess
    expect(
      pipeline.hood
        .contacts()
        .slice(count)
        .map((c) => c.contact),
    ).toEqual([]);
    expect(pipeline.esm.stats().errors).toBe(0);
  });

  it('never writes a secret or an unmasked contact to the logs of a full run', () => {
    // Assess
    const text = pipeline.output.join('');
    for (const secret of [...Object.values(SECRETS), 'sandbox-token-3f9a8c1e']) expect(text).not.toContain(secret);
    for (const contact of [
      'bounced@example.com',
      'spam@example.com',
      'unsub@example.com',
      '+14155550123',
      '+38761234567',
      'crm@example.com',
      'victim@example.com',
    ]) {
      expect(text).not.toContain(contact);
    }
  });
});
