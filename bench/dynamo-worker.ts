/**
 * dynalite (the local DynamoDB) in its own worker thread for the benchmark, so its work does not share the
 * event loop with the SQS emulator (as DynamoDB and SQS do not share a machine in AWS). Counts requests by
 * operation (`X-Amz-Target`) for the benchmark's report, on dynalite's own server (no extra hop).
 */
import { parentPort } from 'node:worker_threads';
import { startLocalDynamo } from '../dev/dynalite.js';

const counts: Record<string, number> = {};
const dynamo = await startLocalDynamo({ table: 'ledger', onRequest: (op) => (counts[op] = (counts[op] ?? 0) + 1) });
parentPort!.postMessage({ kind: 'ready', endpoint: dynamo.endpoint, table: dynamo.table });
parentPort!.on('message', async (m: string) => {
  if (m !== 'stop') return;
  await dynamo.stop();
  parentPort!.postMessage({ kind: 'stopped', counts });
});
