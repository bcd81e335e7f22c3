import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createWebhookHandler, loadWebhookHandlerConfig } from '../lib/webhook/lambda.js';

// Cold start: `<NAME>_PARAMETER` secrets are read from SSM, then the configuration is validated once;
// a bad variable fails the init with its name (DESIGN.md "Environment"), never a secret's value.
const webhook = createWebhookHandler({ config: await loadWebhookHandlerConfig(process.env) });

/** `POST /webhooks/{provider}` behind an API Gateway HTTP API (payload format 2.0). */
export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => webhook(event);
