import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scaleSqsSeconds } from './sqs-time-scale.js';

/**
 * A real HTTP proxy in front of the SQS emulator that fails chosen SQS actions on demand: the consumer
 * talks to SQS through it (AWS_ENDPOINT_URL_SQS), the event source mapping talks to the emulator
 * directly. SDK v3 speaks the AWS JSON protocol, so the action is the `X-Amz-Target` header
 * (`AmazonSQS.SendMessageBatch`, …). With a `timeScale` above 1 it also runs the consumer's SQS waits
 * (DelaySeconds, VisibilityTimeout) that many times faster, as the tests' Hood windows are.
 */
export interface SqsFaultProxy {
  endpoint: string;
  /** Fail the next `n` requests of `action` with a 500 InternalError (retryable on the SDK's side too). */
  failNext(action: string, n: number): void;
  /** How many requests of each action were failed / passed. */
  counts(): { failed: Record<string, number>; passed: Record<string, number> };
  close(): Promise<void>;
}

export async function startSqsFaultProxy(target: string, options: { timeScale?: number } = {}): Promise<SqsFaultProxy> {
  const timeScale = options.timeScale ?? 1;
  const pending = new Map<string, number>();
  const failed: Record<string, number> = {};
  const passed: Record<string, number> = {};
  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const server: Server = createServer(async (req, res) => {
    const raw = await read(req);
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./u, '') || 'unknown';
    const left = pending.get(action) ?? 0;
    if (left > 0) {
      pending.set(action, left - 1);
      failed[action] = (failed[action] ?? 0) + 1;
      res.writeHead(500, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': 'InternalError;Receiver',
      });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'injected fault' }));
      return;
    }
    passed[action] = (passed[action] ?? 0) + 1;
    const body = scaleSqsSeconds(action, raw, timeScale);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    try {
      const upstream = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      const h: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') h[k] = v;
      });
      res.writeHead(upstream.status, h);
      res.end(out);
    } catch {
      res.writeHead(502);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    failNext(action, n) {
      pending.set(action, (pending.get(action) ?? 0) + n);
    },
    counts: () => ({ failed: { ...failed }, passed: { ...passed } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
