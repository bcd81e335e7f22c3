import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_PROVIDERS } from '../../lib/providers/index.js';
import type { OutgoingMessage } from '../../lib/queue/sqs.js';
import { createWebhookHandler, toWebhookRequest } from '../../lib/webhook/lambda.js';
import { NOW_MS, recordingLogger, SECRETS, testConfig } from '../lib/webhook/harness.js';

// serverless.yml routes each provider on a literal route (`POST /webhooks/<name>`, no path parameter); the
// handler accepts that event shape and the former one (`POST /webhooks/{provider}` with pathParameters) alike.

type Shape = 'literal route' | 'path parameter';

function event(
  provider: string,
  shape: Shape,
  body = '',
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const path = `/webhooks/${provider}`;
  return {
    version: '2.0',
    routeKey: shape === 'literal route' ? `POST ${path}` : 'POST /webhooks/{provider}',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    isBase64Encoded: false,
    body,
    ...(shape === 'path parameter' ? { pathParameters: { provider } } : {}),
    requestContext: {
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      http: { method: 'POST', path },
      routeKey: shape === 'literal route' ? `POST ${path}` : 'POST /webhooks/{provider}',
    },
  } as unknown as APIGatewayProxyEventV2;
}

describe('the webhook handler on per-provider routes', () => {
  it.each(
    WEBHOOK_PROVIDERS.flatMap((p) =>
      (['literal route', 'path parameter'] as const).map((shape) => [p, shape] as const),
    ),
  )('reads the provider %s from a %s event', (provider, shape) => {
    // Act
    const request = toWebhookRequest(event(provider, shape), { publicUrl: undefined });

    // Assess
    expect(request.provider).toBe(provider);
    expect(request.url).toBe(`https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/${provider}`);
  });

  it.each(['literal route', 'path parameter'] as const)(
    'queues a generic block request arriving on a %s',
    async (shape) => {
      // Prepare
      const queued: OutgoingMessage[] = [];
      const handler = createWebhookHandler({
        config: testConfig(),
        sendToQueue: async (messages) => void queued.push(...messages),
        deadLetter: async () => {},
        now: () => NOW_MS,
        logger: recordingLogger(),
      });
      const body = JSON.stringify({ contact: 'jane@example.com', reason: 'unsubscribe' });

      // Act
      const response = await handler(
        event('generic', shape, body, { authorization: `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}` }),
      );

      // Assess
      expect(response.statusCode).toBe(200);
      expect(queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact)).toEqual(['jane@example.com']);
    },
  );
});
