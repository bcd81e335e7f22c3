import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import type { OutgoingMessage } from '../../lib/queue/sqs.js';
import { createWebhookHandler } from '../../lib/webhook/lambda.js';
import { mailgunSignature } from '../../lib/providers/mailgun/verify.js';
import { ReplayCache } from '../../lib/providers/shared/replay.js';
import { svixKey, svixSignature } from '../../lib/providers/resend/verify.js';
import { NOW_MS, NOW_S, recordingLogger, SECRETS, testConfig } from '../lib/webhook/harness.js';

/**
 * Replay protection shared by every webhook container through the ledger (dynalite). Each "container"
 * is its own handler with its own per-container cache, as two Lambda instances would be.
 */
let dynamo: LocalDynamo;
let env: Record<string, string>;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'ledger-webhook' });
  env = {
    LEDGER_TABLE: dynamo.table,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    LEDGER_HASH_KEY: 'webhook-ledger-test-key-91c3e7',
  };
});
afterAll(async () => {
  await dynamo.stop();
});

function container(
  extraEnv: Record<string, string> = env,
  sendToQueue?: (m: readonly OutgoingMessage[]) => Promise<void>,
) {
  const queued: OutgoingMessage[] = [];
  const handler = createWebhookHandler({
    config: testConfig(extraEnv),
    sendToQueue: sendToQueue ?? (async (messages) => void queued.push(...messages)),
    deadLetter: async () => {},
    now: () => NOW_MS,
    logger: recordingLogger(),
    replayCache: new ReplayCache({ maxEntries: 1000, ttlMs: 9 * 3_600_000 }),
  });
  return { handler, queued };
}

function event(provider: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: `/webhooks/${provider}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    isBase64Encoded: false,
    body,
    pathParameters: { provider },
    requestContext: {
      http: { method: 'POST', path: `/webhooks/${provider}` },
      domainName: 'x.execute-api.eu-west-1.amazonaws.com',
    },
  } as unknown as APIGatewayProxyEventV2;
}

/** A signed Mailgun body; the signature covers timestamp + token only, never the event. */
function mailgun(token: string, recipient: string): string {
  const signature = mailgunSignature(SECRETS.MAILGUN_WEBHOOK_SIGNING_KEY, NOW_S, token);
  return JSON.stringify({
    signature: { timestamp: NOW_S, token, signature },
    'event-data': { event: 'unsubscribed', recipient, id: `ev-${token}`, timestamp: Number(NOW_S) },
  });
}

describe('Mailgun replay protection through the ledger', () => {
  it('refuses on a second container a signature the first one accepted, even with another event', async () => {
    // Prepare
    const a = container();
    const b = container();
    const token = 'tok-shared-across-containers-1';
    // Act
    const first = await a.handler(event('mailgun', mailgun(token, 'jane@example.com'), {}));
    const replay = await b.handler(event('mailgun', mailgun(token, 'victim@example.com'), {}));
    // Assess
    expect(first.statusCode).toBe(200);
    expect(replay.statusCode).toBe(401);
    expect(b.queued).toEqual([]);
  });

  it('without the ledger, a second container accepts the replay (the per-container cache only)', async () => {
    // Prepare
    const a = container({});
    const b = container({});
    const token = 'tok-without-ledger-1';
    // Act
    await a.handler(event('mailgun', mailgun(token, 'jane@example.com'), {}));
    const replay = await b.handler(event('mailgun', mailgun(token, 'victim@example.com'), {}));
    // Assess
    expect(replay.statusCode).toBe(200);
  });

  it('releases the token of a request that failed to queue, so the provider’s retry is accepted elsewhere', async () => {
    // Prepare
    const failing = container(env, async () => {
      const { QueueError } = await import('../../lib/errors.js');
      throw new QueueError('queue_unavailable', 'SQS down');
    });
    const other = container();
    const body = mailgun('tok-retry-after-503', 'jane@example.com');
    // Act
    const first = await failing.handler(event('mailgun', body, {}));
    const retry = await other.handler(event('mailgun', body, {}));
    // Assess
    expect(first.statusCode).toBe(503);
    expect(retry.statusCode).toBe(200);
    expect(other.queued).toHaveLength(1);
  });

  it('answers 503 when the ledger cannot be reached, so the provider retries', async () => {
    // Prepare
    const down = container({ ...env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' });
    // Act
    const response = await down.handler(event('mailgun', mailgun('tok-ledger-down', 'jane@example.com'), {}));
    // Assess
    expect(response.statusCode).toBe(503);
    expect(down.queued).toEqual([]);
  });
});

describe('Svix message ids through the ledger', () => {
  it('accepts a Resend message id once across containers', async () => {
    // Prepare
    const a = container();
    const b = container();
    const body = JSON.stringify({
      type: 'email.bounced',
      created_at: '2026-01-15T10:30:00.000Z',
      data: { email_id: 'e1', to: ['jane@example.com'], bounce: { type: 'Permanent' } },
    });
    const id = 'msg_ledger_once_1';
    const signature = svixSignature(svixKey(SECRETS.RESEND_WEBHOOK_SECRET)!, id, NOW_S, Buffer.from(body)).toString(
      'base64',
    );
    const headers = { 'svix-id': id, 'svix-timestamp': NOW_S, 'svix-signature': `v1,${signature}` };
    // Act
    const first = await a.handler(event('resend', body, headers));
    const again = await b.handler(event('resend', body, headers));
    // Assess
    expect(first.statusCode).toBe(200);
    // A duplicate delivery of a signed body: acknowledged, nothing queued a second time.
    expect(again.statusCode).toBe(200);
    expect(a.queued).toHaveLength(1);
    expect(b.queued).toEqual([]);
  });
});
