import { createHmac } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhookHandler, loadWebhookHandlerConfig, toWebhookRequest } from '../../lib/webhook/lambda.js';
import { ConfigError } from '../../lib/errors.js';
import type { OutgoingMessage } from '../../lib/queue/sqs.js';
import { EMPTY_TWIML } from '../../lib/providers/twilio/index.js';
import { NOW_MS, QUEUE_ENV, recordingLogger, SECRETS, testConfig } from '../lib/webhook/harness.js';

/** An API Gateway HTTP API (payload format 2.0) event, as `POST /webhooks/{provider}` delivers it. */
function apiEvent(
  overrides: Partial<APIGatewayProxyEventV2> & { method?: string; domainName?: string },
): APIGatewayProxyEventV2 {
  const { method = 'POST', domainName = 'abc123.execute-api.eu-west-1.amazonaws.com', ...rest } = overrides;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: '/webhooks/generic',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName,
      domainPrefix: 'abc123',
      http: {
        method,
        path: rest.rawPath ?? '/webhooks/generic',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'test',
      },
      requestId: 'req-1',
      routeKey: 'POST /webhooks/{provider}',
      stage: '$default',
      time: '15/Jan/2026:10:30:00 +0000',
      timeEpoch: NOW_MS,
    },
    ...rest,
  } as APIGatewayProxyEventV2;
}

function capturingHandler(env: Record<string, string | undefined> = {}) {
  const queued: OutgoingMessage[] = [];
  const handler = createWebhookHandler({
    config: testConfig(env),
    sendToQueue: async (messages) => {
      queued.push(...messages);
    },
    deadLetter: async () => {},
    now: () => NOW_MS,
    logger: recordingLogger(),
  });
  return { handler, queued };
}

const bearer = { authorization: `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}`, 'content-type': 'application/json' };

describe('handlers/webhook', () => {
  it('decodes a base64-encoded API Gateway body and queues its block request', async () => {
    // Prepare
    const { handler, queued } = capturingHandler();
    const body = Buffer.from(JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe' })).toString('base64');
    const event = apiEvent({ body, isBase64Encoded: true, headers: bearer, pathParameters: { provider: 'generic' } });

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queued.map((m) => JSON.parse(m.body) as unknown)).toEqual([
      { contact: 'jane@example.com', reason: 'unsubscribe', source: 'generic' },
    ]);
  });

  it('returns the correlation id in the X-Correlation-Id header, the body and the queue attributes', async () => {
    // Prepare
    const { handler, queued } = capturingHandler();
    const event = apiEvent({
      body: '{"contact":"jane@example.com"}',
      headers: bearer,
      pathParameters: { provider: 'generic' },
    });

    // Act
    const response = await handler(event);

    // Assess
    const correlationId = response.headers?.['x-correlation-id'];
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/u);
    expect(JSON.parse(response.body!)).toMatchObject({ correlationId });
    expect(queued[0]!.attributes).toEqual({ correlation_id: correlationId, source: 'generic' });
  });

  it('takes the provider from rawPath when pathParameters is missing', async () => {
    // Prepare
    const { handler, queued } = capturingHandler();
    const event = apiEvent({
      rawPath: '/prod/webhooks/generic',
      body: '{"contact":"jane@example.com"}',
      headers: bearer,
    });

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queued).toHaveLength(1);
  });

  it('answers Twilio with TwiML after verifying the signature over WEBHOOK_PUBLIC_URL + rawPath + rawQueryString', async () => {
    // Prepare
    const { handler, queued } = capturingHandler();
    const params = { Body: 'Stop', From: '+14155550100', MessageSid: 'SM1', To: '+14155550199' };
    const url = 'https://hooks.example.com/webhooks/twilio?tenant=acme';
    const signature = createHmac('sha1', SECRETS.TWILIO_AUTH_TOKEN)
      .update(
        url +
          Object.entries(params)
            .map(([k, v]) => k + v)
            .join(''),
      )
      .digest('base64');
    const event = apiEvent({
      rawPath: '/webhooks/twilio',
      rawQueryString: 'tenant=acme',
      pathParameters: { provider: 'twilio' },
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
      body: new URLSearchParams(params).toString(),
    });

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toMatchObject({ statusCode: 200, body: EMPTY_TWIML, headers: { 'content-type': 'text/xml' } });
    expect(queued).toHaveLength(1);
  });

  it('never builds the signed URL from Host or X-Forwarded-Proto (caller-controlled) when WEBHOOK_PUBLIC_URL is unset', () => {
    // Prepare
    const event = apiEvent({
      rawPath: '/webhooks/mandrill',
      headers: { host: 'hooks.example.org', 'x-forwarded-proto': 'https' },
    });

    // Act
    const request = toWebhookRequest(event, { publicUrl: undefined });

    // Assess
    expect(request.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/mandrill');
  });

  it('falls back to requestContext.domainName when there is no Host header', () => {
    // Prepare
    const event = apiEvent({ rawPath: '/webhooks/mandrill', headers: {} });

    // Act
    const request = toWebhookRequest(event, { publicUrl: undefined });

    // Assess
    expect(request.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/mandrill');
  });

  it("answers 200 to Mandrill's HEAD probe", async () => {
    // Prepare
    const { handler } = capturingHandler();
    const event = apiEvent({ method: 'HEAD', rawPath: '/webhooks/mandrill', pathParameters: { provider: 'mandrill' } });

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('sends block requests through the SQS client to BLOCK_QUEUE_URL with their attributes', async () => {
    // Prepare
    const sent: Array<{
      QueueUrl?: string;
      Entries?: Array<{ MessageBody?: string; MessageAttributes?: Record<string, { StringValue?: string }> }>;
    }> = [];
    const sqsClient = {
      send: async (command: { input: (typeof sent)[number] }) => {
        sent.push(command.input);
        return { Successful: command.input.Entries?.map((e, i) => ({ Id: String(i), ...e })), Failed: [] };
      },
    } as unknown as SQSClient;
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const event = apiEvent({
      body: '{"contact":"jane@example.com"}',
      headers: bearer,
      pathParameters: { provider: 'generic' },
    });

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.QueueUrl).toBe(QUEUE_ENV.BLOCK_QUEUE_URL);
    expect(sent[0]!.Entries![0]!.MessageAttributes?.source?.StringValue).toBe('generic');
  });

  it('dead-letters rejects through the SQS client to DEAD_LETTER_QUEUE_URL with the reason attribute', async () => {
    // Prepare
    const sent: Array<{
      QueueUrl?: string;
      Entries?: Array<{ MessageAttributes?: Record<string, { StringValue?: string }> }>;
    }> = [];
    const sqsClient = {
      send: async (command: { input: (typeof sent)[number] }) => {
        sent.push(command.input);
        return { Successful: [], Failed: [] };
      },
    } as unknown as SQSClient;
    const handler = createWebhookHandler({
      config: testConfig(),
      sqsClient,
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const event = apiEvent({ body: '[{"contact":"nope"}]', headers: bearer, pathParameters: { provider: 'generic' } });

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(sent.map((s) => s.QueueUrl)).toEqual([QUEUE_ENV.DEAD_LETTER_QUEUE_URL]);
    expect(sent[0]!.Entries![0]!.MessageAttributes?.reason?.StringValue).toBe('invalid_contact');
  });

  it('fails at cold start, naming the variable, when SENDGRID_WEBHOOK_PUBLIC_KEY is not a P-256 key', () => {
    // Prepare
    const config = testConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: 'bm90IGEga2V5' });

    // Act
    const create = () => createWebhookHandler({ config, sendToQueue: async () => {}, logger: recordingLogger() });

    // Assess
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/SENDGRID_WEBHOOK_PUBLIC_KEY/u);
  });

  it('fails at cold start when BLOCK_QUEUE_URL is unset and no queue sender is injected', () => {
    // Prepare
    const config = testConfig({ BLOCK_QUEUE_URL: undefined });

    // Act
    const create = () => createWebhookHandler({ config, logger: recordingLogger() });

    // Assess
    expect(create).toThrow(/BLOCK_QUEUE_URL/u);
  });

  it('fails at cold start when RESEND_WEBHOOK_SECRET is not base64', () => {
    // Prepare
    const config = testConfig({ RESEND_WEBHOOK_SECRET: 'whsec_***not base64***' });

    // Act
    const create = () => createWebhookHandler({ config, sendToQueue: async () => {}, logger: recordingLogger() });

    // Assess
    expect(create).toThrow(/RESEND_WEBHOOK_SECRET/u);
  });
});

describe('loadWebhookHandlerConfig', () => {
  it('resolves webhook secrets given as SSM parameter names (as serverless.yml passes them)', async () => {
    // Prepare
    const ssm = {
      send: async () => ({ Parameters: [{ Name: '/hood-blocker/dev/generic-webhook-token', Value: 'from-ssm' }] }),
    };
    const env = { ...QUEUE_ENV, GENERIC_WEBHOOK_TOKEN_PARAMETER: '/hood-blocker/dev/generic-webhook-token' };

    // Act
    const config = await loadWebhookHandlerConfig(env, { ssm });

    // Assess
    expect(config.secrets.genericToken).toBe('from-ssm');
  });

  it('leaves a provider disabled when its SSM parameter does not exist', async () => {
    // Prepare
    const ssm = {
      send: async () => ({ Parameters: [], InvalidParameters: ['/hood-blocker/dev/mandrill-webhook-key'] }),
    };
    const env = { ...QUEUE_ENV, MANDRILL_WEBHOOK_KEY_PARAMETER: '/hood-blocker/dev/mandrill-webhook-key' };

    // Act
    const config = await loadWebhookHandlerConfig(env, { ssm });

    // Assess
    expect(config.secrets.mandrillKey).toBeUndefined();
  });
});

describe('other event shapes and URLs', () => {
  it('accepts a REST API (payload format 1.0) event', async () => {
    // Prepare
    const { handler, queued } = capturingHandler();
    const event = {
      resource: '/webhooks/{provider}',
      path: '/webhooks/generic',
      httpMethod: 'POST',
      headers: { Authorization: `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { provider: 'generic' },
      stageVariables: null,
      requestContext: { domainName: 'abc.execute-api.eu-west-1.amazonaws.com' },
      body: Buffer.from('{"contact":"rest@example.com"}').toString('base64'),
      isBase64Encoded: true,
    } as unknown as Parameters<typeof handler>[0];
    // Act
    const response = await handler(event);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(queued.map((m) => JSON.parse(m.body).contact)).toEqual(['rest@example.com']);
  });

  it('does not append the path twice when WEBHOOK_PUBLIC_URL is the full webhook URL', () => {
    // Act
    const request = toWebhookRequest(apiEvent({ rawPath: '/webhooks/twilio', rawQueryString: 'a=1' }), {
      publicUrl: 'https://hooks.example.com/webhooks/twilio',
    });
    // Assess
    expect(request.url).toBe('https://hooks.example.com/webhooks/twilio?a=1');
  });

  it('appends the path to a WEBHOOK_PUBLIC_URL base with a prefix', () => {
    // Act
    const request = toWebhookRequest(apiEvent({ rawPath: '/webhooks/twilio' }), {
      publicUrl: 'https://api.example.com/prod',
    });
    // Assess
    expect(request.url).toBe('https://api.example.com/prod/webhooks/twilio');
  });
});

describe('handler (the Lambda entry point)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('builds itself from the process environment at cold start and answers 401 to a wrong token', async () => {
    // Prepare
    vi.stubEnv('GENERIC_WEBHOOK_TOKEN', 'token-from-the-environment');
    vi.stubEnv('BLOCK_QUEUE_URL', QUEUE_ENV.BLOCK_QUEUE_URL);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    // Its log line and EMF document would go to the test run's own stdout (Powertools writes there directly).
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const event = apiEvent({
      body: '{"contact":"jane@example.com"}',
      headers: { authorization: 'Bearer wrong' },
      pathParameters: { provider: 'generic' },
    });

    // Act
    const { handler } = await import('../../handlers/webhook.js');
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(401);
  });
});

describe('metrics', () => {
  it("hands each request's counts to publishMetrics, by provider", async () => {
    // Prepare
    const published: [string, Record<string, number>][] = [];
    const handler = createWebhookHandler({
      config: testConfig(),
      sendToQueue: async () => {},
      deadLetter: async () => {},
      now: () => NOW_MS,
      logger: recordingLogger(),
      publishMetrics: (provider, counts) => published.push([provider, counts]),
    });
    // Act
    await handler(
      apiEvent({ body: '{"contact":"m@example.com"}', headers: bearer, pathParameters: { provider: 'generic' } }),
    );
    await handler(
      apiEvent({ body: '{}', headers: { authorization: 'Bearer wrong' }, pathParameters: { provider: 'generic' } }),
    );
    // Assess
    expect(published).toEqual([
      ['generic', { webhook_requests: 1, webhook_queued: 1, webhook_ignored: 0, webhook_rejected: 0 }],
      ['generic', { webhook_requests: 1, webhook_unauthorized: 1 }],
    ]);
  });
});
