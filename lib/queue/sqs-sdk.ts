import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClientOptions, type SqsClientTarget } from './sqs.js';

/**
 * The one SQS client constructor outside the Lambdas: the CLI, `npm start`, the tests and the bench come here
 * (the Lambdas use `createLazySqsClient`, the same client built at its first request). Credentials are passed
 * only for an emulator (config.ts `localCredentialsFor`, or `LOCAL_CREDENTIALS` for one started in this
 * process) or when the caller was handed keys explicitly; otherwise the SDK's normal chain (environment,
 * profile, SSO, role) applies.
 */
export function createSqsClient(config: SqsClientTarget): SQSClient {
  return new SQSClient(sqsClientOptions(config));
}
