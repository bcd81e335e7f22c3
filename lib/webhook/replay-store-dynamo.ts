import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ReplayConfig } from '../config.js';
import { createDynamoClient } from '../ledger/client.js';
import { TOKEN_SK } from '../ledger/keys.js';
import { LedgerUnavailableError } from '../ledger/types.js';
import type { ReplayItemStore } from './replay-items.js';

/**
 * Replay tokens on DynamoDB: a conditional PutItem (absent, or its `until` passed: TTL deletes expired items
 * only eventually, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html) and
 * a DeleteItem. Only these two calls, only on `r#` keys: what the webhook role allows.
 */
export function dynamoReplayItems(config: ReplayConfig, client?: DynamoDBClient): ReplayItemStore {
  const dynamo =
    client ??
    createDynamoClient({
      region: config.region,
      endpoint: config.endpoint,
      localCredentials: config.localCredentials,
      // A request must not spend the webhook's 10 s on a slow table: two tries, short timeouts, then 503.
      maxAttempts: 2,
      timeouts: { connectionMs: 1000, requestMs: 3000 },
    });
  const table = config.table;
  const send = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new LedgerUnavailableError(operation, error);
    }
  };
  return {
    put: async (pk, nowMs, untilMs) => {
      try {
        await send('claim token', () =>
          dynamo.send(
            new PutItemCommand({
              TableName: table,
              Item: {
                pk: { S: pk },
                sk: { S: TOKEN_SK },
                until: { N: String(Math.floor(untilMs)) },
                expiresAt: { N: String(Math.ceil(untilMs / 1000)) },
              },
              ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
              ExpressionAttributeNames: { '#until': 'until' },
              ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowMs)) } },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    delete: async (pk) => {
      const key = { pk: { S: pk }, sk: { S: TOKEN_SK } };
      await send('release token', () => dynamo.send(new DeleteItemCommand({ TableName: table, Key: key })));
    },
  };
}
