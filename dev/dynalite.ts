import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../lib/config.js';
import { createDynamoClient } from '../lib/ledger/client.js';
import { ensureLedgerTable } from '../lib/ledger/table.js';

/** An in-process DynamoDB API (dynalite, in memory) with the ledger table: `npm start`, tests, bench. */
export interface LocalDynamo {
  endpoint: string;
  region: string;
  table: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

interface DynaliteServer {
  on(event: 'request', listener: (request: { headers: Record<string, string | string[] | undefined> }) => void): void;
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  address(): AddressInfo | string | null;
  close(callback: (error?: Error) => void): void;
}

export async function startLocalDynamo(
  options: {
    table?: string;
    region?: string;
    port?: number;
    /** Called with each request's operation (`GetItem`, `UpdateItem`, …), for the benchmark's counts. */
    onRequest?: (operation: string) => void;
  } = {},
): Promise<LocalDynamo> {
  // A dev dependency, loaded only here: the Lambda bundles never contain it.
  const mod = (await import('dynalite')) as unknown as {
    default: (o: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => DynaliteServer;
  };
  const server = mod.default({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const onRequest = options.onRequest;
  if (onRequest)
    server.on('request', (request) =>
      onRequest(
        String(request.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() || 'unknown',
      ),
    );
  await new Promise<void>((resolve, reject) =>
    server.listen(options.port ?? 0, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  const address = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const region = options.region ?? 'us-east-1';
  const table = options.table ?? 'hood-blocker-ledger';
  const client = createDynamoClient({ endpoint, region, localCredentials: LOCAL_CREDENTIALS });
  await ensureLedgerTable(client, table);
  return {
    endpoint,
    region,
    table,
    client,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
