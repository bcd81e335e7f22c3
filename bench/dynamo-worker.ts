/**
 * dynalite (the local DynamoDB) in its own worker thread for the benchmark, so its work does not share the
 * event loop with the SQS emulator (as DynamoDB and SQS do not share a machine in AWS). Counts requests by
 * operation (`X-Amz-Target`) and by item kind (the rate budget's `rate#` item or the contact ledger) for the
 * benchmark's report, on dynalite's own server (no extra hop).
 *
 * A conditional write refused with `ReturnValuesOnConditionCheckFailure: ALL_OLD` gets the item with the failure, as
 * DynamoDB returns it (dynalite does not; fetched here, not counted), so the rate budget's requests are what AWS
 * would see; `workerData.plainDynalite` turns that off.
 *
 * `workerData.latencyMs = [min, max]`: every request waits a uniform random time in that range before dynalite
 * handles it — DynamoDB's own round trip from a Lambda in the same region is single-digit milliseconds, and a
 * bench on dynalite without it credits tuning that saves nothing in AWS (or hides what costs time there).
 */
import { EventEmitter } from 'node:events';
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { LOCAL_CREDENTIALS } from '../lib/config.js';
import { createDynamoClient } from '../lib/ledger/client.js';
import { ensureLedgerTable } from '../lib/ledger/table.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
interface DynaliteServer {
  listeners(event: 'request'): Listener[];
  removeAllListeners(event: 'request'): void;
  on(event: 'request', listener: Listener): void;
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  address(): AddressInfo;
  close(callback: () => void): void;
}

const plainDynalite = (workerData as { plainDynalite?: boolean } | null)?.plainDynalite === true;
const INTERNAL = 'x-bench-internal';
const [minMs, maxMs] = ((workerData as { latencyMs?: [number, number] } | null)?.latencyMs ?? [0, 0]) as [
  number,
  number,
];
const counts: Record<string, number> = {};
/** `workerData.traceFile`: one JSON line per rate-item request (when, which write, whose, the condition, the outcome). */
const traceFile = (workerData as { traceFile?: string } | null)?.traceFile;
const trace: string[] = [];
/** Conditional writes refused (`ConditionalCheckFailedException`), by the same key: never billed twice, only told. */
const refused: Record<string, number> = {};
const mod = (await import('dynalite')) as unknown as { default: (o: Record<string, number>) => DynaliteServer };
const server = mod.default({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
const handlers = server.listeners('request');
let endpoint = '';
server.removeAllListeners('request');
server.on('request', (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.headers[INTERNAL]) {
      replayTo(req, res, body);
      return;
    }
    // Counted by operation and by what it touches: the rate budget's item (`rate#`) or the contact ledger.
    const op =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() || 'unknown';
    const key = `${body.includes('"rate#') ? 'rate' : 'ledger'} ${op}${rateWrite(op, body)}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const sent = Date.now();
    res.end = ((...args: unknown[]) => {
      const text = String(args[0] ?? '');
      const traced = (answer: string) => {
        if (traceFile && key.startsWith('rate')) trace.push(traceLine(key, body, answer, sent, res.statusCode));
      };
      if (res.statusCode !== 400 || !text.includes('ConditionalCheckFailed')) {
        traced(text);
        return end(...args);
      }
      refused[key] = (refused[key] ?? 0) + 1;
      if (plainDynalite || !body.includes('"ReturnValuesOnConditionCheckFailure":"ALL_OLD"')) {
        traced(text);
        return end(...args);
      }
      void withItem(body, text).then((out) => {
        traced(out);
        res.setHeader('Content-Length', Buffer.byteLength(out));
        res.removeHeader('x-amz-crc32');
        end(out);
      });
      return res;
    }) as typeof res.end;
    const run = () => replayTo(req, res, body);
    if (maxMs > 0) setTimeout(run, minMs + Math.random() * (maxMs - minMs));
    else run();
  });
});
/** dynalite reads `headers`, `method`, `url` and the body's 'data' / 'end' events: hand it the body again. */
function replayTo(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const replay = Object.assign(new EventEmitter(), { headers: req.headers, method: req.method, url: req.url });
  for (const h of handlers) h(replay as unknown as IncomingMessage, res);
  replay.emit('data', body);
  replay.emit('end');
}

/** A refused write's error with the item as it is now (a strongly consistent read, neither counted nor delayed). */
async function withItem(body: Buffer, error: string): Promise<string> {
  const { TableName, Key } = JSON.parse(body.toString()) as { TableName: string; Key: unknown };
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.GetItem',
    authorization:
      'AWS4-HMAC-SHA256 Credential=bench/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    'x-amz-date': '20200101T000000Z',
    [INTERNAL]: '1',
  };
  const got = await new Promise<string>((done, fail) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done(Buffer.concat(parts).toString()));
    });
    req.on('error', fail);
    req.end(JSON.stringify({ TableName, Key, ConsistentRead: true }));
  });
  const item = (JSON.parse(got) as { Item?: unknown }).Item;
  return item === undefined ? error : JSON.stringify({ ...(JSON.parse(error) as object), Item: item });
}

function traceLine(key: string, body: Buffer, answer: string, sent: number, status: number): string {
  const req = JSON.parse(body.toString()) as {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, { N?: string }>;
  };
  const names = Object.entries(req.ExpressionAttributeNames ?? {})
    .filter(([k]) => k.startsWith('#n'))
    .map(([, v]) => v);
  const values = req.ExpressionAttributeValues ?? {};
  let v: number | undefined;
  let inFlight: number | undefined;
  let recent: number | undefined;
  try {
    type Entry = { M?: { s?: { N?: string }; d?: { N?: string }; e?: { N?: string } } };
    const out = JSON.parse(answer) as {
      Attributes?: { v?: { N?: string }; c?: { M?: Record<string, Entry> } };
      Item?: { v?: { N?: string }; c?: { M?: Record<string, Entry> } };
    };
    const item = out.Attributes ?? out.Item;
    v = Number(item?.v?.N);
    const entries = Object.values(item?.c?.M ?? {});
    const at = Date.now();
    inFlight = entries.filter((e) => e.M?.e === undefined && Number(e.M?.d?.N) > at).length;
    // Calls that end (or may end) within the last second: the 10/s window's count.
    recent = entries.filter((e) => e.M?.e === undefined || Number(e.M?.e?.N) > at - 1000).length;
  } catch {}
  return JSON.stringify({
    t: sent,
    done: Date.now(),
    key,
    ok: status === 200,
    who: names[0]?.split('.')[0],
    ids: names,
    cond: values[':v']?.N,
    n: values[':m']?.N,
    v,
    inFlight,
    recent,
  });
}

/** Which of the rate store's writes an UpdateItem on the rate item is (its update expression tells). */
function rateWrite(op: string, body: Buffer): string {
  if (op !== 'UpdateItem' || !body.includes('"rate#')) return '';
  const text = body.toString();
  if (text.includes('#v = #v + :m')) return ' (claim)';
  if (text.includes(':bump')) return ' (cap step back)';
  if (text.includes('#lw = :u')) return ' (live waiting)';
  return ' (ends)';
}

await new Promise<void>((resolve, reject) =>
  server.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
);
endpoint = `http://127.0.0.1:${server.address().port}`;
const client = createDynamoClient({ endpoint, region: 'us-east-1', localCredentials: LOCAL_CREDENTIALS });
await ensureLedgerTable(client, 'ledger');
client.destroy();
// The table's creation is not the benchmark's.
for (const op of Object.keys(counts)) delete counts[op];
for (const op of Object.keys(refused)) delete refused[op];
parentPort!.postMessage({ kind: 'ready', endpoint, table: 'ledger' });
parentPort!.on('message', async (m: string) => {
  if (m !== 'stop') return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (traceFile) (await import('node:fs')).writeFileSync(traceFile, `${trace.join('\n')}\n`);
  parentPort!.postMessage({ kind: 'stopped', counts, refused });
});
