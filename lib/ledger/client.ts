import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What every DynamoDB client in the project is built from (config.ts decides endpoint and credentials). */
export interface DynamoClientOptions {
  region?: string | undefined;
  /** `AWS_ENDPOINT_URL_DYNAMODB` (or an in-process dynalite); undefined → the regional AWS endpoint. */
  endpoint?: string | undefined;
  /** Only for an emulator (config.ts `localCredentialsFor`, or `LOCAL_CREDENTIALS` for one started here). */
  localCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** SDK attempts per call (default 3). */
  maxAttempts?: number;
  /** Connection and request timeouts in ms, for callers that must fail fast (the ledger). */
  timeouts?: { connectionMs: number; requestMs: number };
}

/**
 * The one DynamoDB client constructor (ledger, rate-limit table, dynalite for `npm start`/tests/bench),
 * like `createSqsClient` for SQS. Without local credentials the SDK's normal chain applies
 * (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html).
 */
export function createDynamoClient(options: DynamoClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.localCredentials ? { credentials: options.localCredentials } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.timeouts
      ? {
          requestHandler: {
            connectionTimeout: options.timeouts.connectionMs,
            requestTimeout: options.timeouts.requestMs,
          },
        }
      : {}),
  });
}
