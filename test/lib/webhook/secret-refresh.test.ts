import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadWebhookConfig } from '../../../lib/webhook/config.js';
import type { SsmLike } from '../../../lib/ssm-env.js';
import { createWebhookHandler, loadWebhookHandlerConfig } from '../../../lib/webhook/lambda.js';
import { NOW_MS, QUEUE_ENV, recordingLogger } from './harness.js';

/**
 * Issue 12 item 4: a webhook secret rotated in SSM takes effect without a deploy, through a bounded
 * refresh driven by the clock; a failed signature never triggers a read of SSM.
 */

/** SSM at the network edge: GetParameters answered from a mutable map, calls counted. */
function fakeSsm(values: Map<string, string>): SsmLike & { calls: number } {
  const ssm = {
    calls: 0,
    async send(command: unknown) {
      ssm.calls += 1;
      const names = (command as { input: { Names: string[] } }).input.Names;
      return { Parameters: names.filter((n) => values.has(n)).map((n) => ({ Name: n, Value: values.get(n) })) };
    },
  };
  return ssm;
}

const ENV = { ...QUEUE_ENV, GENERIC_WEBHOOK_TOKEN_PARAMETER: '/hood-blocker/generic-token', AWS_REGION: 'eu-west-1' };

function event(token: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    rawPath: '/webhooks/generic',
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contact: 'jane@example.com' }),
    isBase64Encoded: false,
    pathParameters: { provider: 'generic' },
    requestContext: {
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      http: { method: 'POST', path: '/webhooks/generic' },
    },
  } as unknown as APIGatewayProxyEventV2;
}

async function setup() {
  const values = new Map([['/hood-blocker/generic-token', 'old-token']]);
  const ssm = fakeSsm(values);
  const clock = { now: NOW_MS };
  const config = await loadWebhookHandlerConfig(ENV, { ssm });
  const handler = createWebhookHandler({
    config,
    reloadConfig: () => loadWebhookHandlerConfig(ENV, { ssm }),
    sendToQueue: async () => {},
    now: () => clock.now,
    logger: recordingLogger(),
  });
  return { values, ssm, clock, handler, readsAtStart: ssm.calls };
}

describe('webhook secret refresh', () => {
  it('keeps the current secret until the refresh interval has passed', async () => {
    // Prepare
    const s = await setup();
    s.values.set('/hood-blocker/generic-token', 'new-token');
    s.clock.now += 299_000;

    // Act
    const response = await s.handler(event('new-token'));

    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('uses a rotated secret once the 5-minute interval has passed', async () => {
    // Prepare
    const s = await setup();
    s.values.set('/hood-blocker/generic-token', 'new-token');
    s.clock.now += 300_000;

    // Act
    const fresh = await s.handler(event('new-token'));
    const old = await s.handler(event('old-token'));

    // Assess
    expect([fresh.statusCode, old.statusCode]).toEqual([200, 401]);
  });

  it('never reads SSM because signatures fail, however many', async () => {
    // Prepare
    const s = await setup();

    // Act
    for (let i = 0; i < 50; i += 1) await s.handler(event(`forged-${i}`));

    // Assess
    expect(s.ssm.calls).toBe(s.readsAtStart);
  });

  it('reads SSM once per interval however many requests arrive', async () => {
    // Prepare
    const s = await setup();
    s.clock.now += 300_000;

    // Act
    await Promise.all(Array.from({ length: 20 }, () => s.handler(event('old-token'))));

    // Assess
    expect(s.ssm.calls - s.readsAtStart).toBe(1);
  });

  it('keeps the current secret when SSM cannot be read, and logs it', async () => {
    // Prepare
    const logger = recordingLogger();
    const clock = { now: NOW_MS };
    const handler = createWebhookHandler({
      config: loadWebhookConfig({ ...QUEUE_ENV, GENERIC_WEBHOOK_TOKEN: 'old-token' }),
      reloadConfig: async () => {
        throw new Error('AccessDeniedException');
      },
      sendToQueue: async () => {},
      now: () => clock.now,
      logger,
    });
    clock.now += 600_000;

    // Act
    const response = await handler(event('old-token'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(logger.lines.some((l) => l.level === 'error' && /refreshed/u.test(l.message))).toBe(true);
  });
});
