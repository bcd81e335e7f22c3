/**
 * fauxqs in its own worker thread for `bench/webhook-queue.ts`, so the emulator's work does not share the
 * event loop with the webhook being measured (as SQS does not share the Lambda's CPU). Plain JavaScript:
 * the worker runs without a TypeScript loader.
 */
import { parentPort } from 'node:worker_threads';
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: 0, logger: false, defaultRegion: 'us-east-1' });
const endpoint = `http://127.0.0.1:${server.port}`;
parentPort.postMessage({ kind: 'ready', endpoint });
parentPort.on('message', async (m) => {
  if (m.kind === 'create') {
    const q = server.createQueue(m.name);
    parentPort.postMessage({ kind: 'created', url: `${endpoint}${new URL(q.queueUrl).pathname}` });
  }
  if (m.kind === 'stop') {
    await server.stop();
    parentPort.close();
  }
});
