import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebhookRequest } from '../../../lib/webhook/ingress.js';

/** A signed ingress request as API Gateway (HTTP API, payload 2.0) hands it to the Lambda: raw bytes in base64. */
export function apiEventOf(request: WebhookRequest): APIGatewayProxyEventV2 {
  const url = new URL(request.url);
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/u, ''),
    headers: { ...request.headers },
    body: request.rawBody.toString('base64'),
    isBase64Encoded: true,
    pathParameters: { provider: request.provider },
    requestContext: { domainName: url.host, http: { method: request.method, path: url.pathname } },
  } as unknown as APIGatewayProxyEventV2;
}
