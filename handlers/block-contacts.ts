import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConsumerConfig } from '../lib/config.js';
import { createConsumer } from '../lib/consumer/consumer.js';
import { resolveParameterVariables } from '../lib/ssm-env.js';

// Cold start: configuration is validated once (a bad variable fails the init with its name), the token
// is resolved (SSM when HOOD_API_TOKEN_PARAMETER is set), and the Hood pool, pacer and ledger are built
// to be reused by every invocation of this container.
// NEVER_BLOCK may be kept in SSM (NEVER_BLOCK_PARAMETER): it lists personal data.
const consumer = await createConsumer(
  loadConsumerConfig(await resolveParameterVariables(process.env, ['NEVER_BLOCK'])),
);

/** SQS event source mapping entry point (`functionResponseType: ReportBatchItemFailures`). */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  consumer.handle(event, context);
