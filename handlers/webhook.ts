import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createWebhookHandler, loadWebhookHandlerConfig, webhookEmfPublisher } from '../lib/webhook/lambda.js';

// Cold start: `<NAME>_PARAMETER` secrets are read from SSM, then the configuration is validated once;
// a bad variable fails the init with its name (README "Configuration"), never a secret's value.
// Secrets are re-read from SSM at most every WEBHOOK_SECRETS_REFRESH_SECONDS (default 300), so a
// rotation takes effect without a deploy.
const webhook = createWebhookHandler({
  config: await loadWebhookHandlerConfig(process.env),
  reloadConfig: () => loadWebhookHandlerConfig(process.env),
  publishMetrics: webhookEmfPublisher(),
});

/** `POST /webhooks/{provider}` behind an API Gateway HTTP API (payload 2.0; REST API payload 1.0 works too). */
export const handler = (
  event: APIGatewayProxyEventV2 | APIGatewayProxyEvent,
): Promise<APIGatewayProxyStructuredResultV2> => webhook(event);
