import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo } from '../../dev/dynalite.js';

export interface LocalTable {
  client: DynamoDBClient;
  table: string;
  endpoint: string;
  stop(): Promise<void>;
}

/** An in-process DynamoDB (dynalite) with the ledger's table, as `npm start` and the bench start it. */
export async function startLocalTable(table = 'ledger'): Promise<LocalTable> {
  const dynamo = await startLocalDynamo({ table });
  return { client: dynamo.client, table: dynamo.table, endpoint: dynamo.endpoint, stop: () => dynamo.stop() };
}
