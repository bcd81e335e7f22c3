/**
 * dynalite (the local DynamoDB) in its own worker thread for the benchmark, so its work does not share the
 * event loop with the SQS emulator (as DynamoDB and SQS do not share a machine in AWS). Counts requests by
 * operation (`X-Amz-Target`) for the benchmark's report.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { startLocalDynamo } from '../dev/dynalite.js';

const dynamo = await startLocalDynamo({ table: 'ledger' });
const counts: Record<string, number> = {};
// A counting pass-through in front of dynalite (dynalite's own server is not ours to instrument).
const target = new URL(dynamo.endpoint);
const proxy = createServer((req, res) => {
  const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? 'unknown';
  counts[op] = (counts[op] ?? 0) + 1;
  const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
proxy.keepAliveTimeout = 60_000;
await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
const port = (proxy.address() as AddressInfo).port;
parentPort!.postMessage({ kind: 'ready', endpoint: `http://127.0.0.1:${port}`, table: dynamo.table });
parentPort!.on('message', async (m: string) => {
  if (m === 'counts') parentPort!.postMessage({ kind: 'counts', counts });
  if (m !== 'stop') return;
  proxy.close();
  proxy.closeAllConnections();
  await dynamo.stop();
  parentPort!.postMessage({ kind: 'stopped', counts });
});
