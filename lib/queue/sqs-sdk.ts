import { SQSClient } from '@aws-sdk/client-sqs';
import { FetchHttpHandler } from './fetch-handler.js';

/**
 * The one AWS SDK SQS client constructor: the webhook Lambda, the CLI, `npm start`, the tests and the bench
 * come here (the consumer Lambda's hot path uses the lite client, `createLambdaSqsClient` in sqs.ts). Credentials are passed only for an emulator (config.ts `localCredentialsFor`, or
 * `LOCAL_CREDENTIALS` for one started in this process) or when the caller was handed keys explicitly;
 * otherwise the SDK's normal chain (environment, profile, SSO, role) applies.
 */
export function createSqsClient(config: { region?: string | undefined; sqsEndpoint?: string | undefined; localCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined }): SQSClient {
  // The SDK reads AWS_ENDPOINT_URL_SQS itself; passing it explicitly keeps config.ts the only env reader.
  return new SQSClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}),
    ...(config.localCredentials ? { credentials: config.localCredentials } : {}),
    maxAttempts: 3,
    // One HTTP stack per process: Node's fetch, which the Hood client uses too (fetch-handler.ts).
    requestHandler: new FetchHttpHandler(),
  });
}
