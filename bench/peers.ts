/**
 * Peers for the benchmark's throughput table, on the same Hood stand-in and the same messages as our consumers:
 * - `naive`: a consumer with no pacing at all — each SQS batch becomes Hood calls side by side; an answer other
 *   than 201 leaves the message on the queue (it comes back after the visibility timeout, as with
 *   `ReportBatchItemFailures`).
 * - `fixed-rate`: what a managed HTTP target with an integer per-second limit allows under 150/min (EventBridge
 *   API destinations: `InvocationRateLimitPerSecond` is a whole number, so 2/s), one call per 500 ms of Hood's
 *   time whatever the answers; a 429 is retried later (EventBridge retries with back-off), modelled as the end of
 *   the line.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClientFor } from '../dev/emulator.js';

export type PeerKind = 'naive' | 'fixed-rate';

export interface Peer {
  /** Stops sending; resolves when the last call has been answered. */
  stop(): Promise<{ peakHeap: number }>;
}

interface PeerOptions {
  hoodUrl: string;
  token: string;
  queues: Parameters<typeof sqsClientFor>[0] & { blockQueueUrl: string };
  /** Naive consumers running side by side (like Lambda's concurrency). */
  consumers: number;
  /** Hood's time ÷ this is the benchmark's (the fixed-rate sender's 500 ms shrink with it). */
  scale: number;
}

async function post(o: PeerOptions, contact: string): Promise<number> {
  const res = await fetch(`${o.hoodUrl}/blocked-contacts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contact, description: 'peer' }),
  }).catch(() => undefined);
  await res?.arrayBuffer().catch(() => undefined);
  return res?.status ?? 0;
}

export function startPeer(kind: PeerKind, o: PeerOptions): Peer {
  let stopped = false;
  const sqs = sqsClientFor(o.queues);
  const receive = async () =>
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: o.queues.blockQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
    ).Messages ?? [];
  const remove = async (done: { MessageId?: string; ReceiptHandle?: string }[]) => {
    if (done.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: o.queues.blockQueueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
  };
  const contactOf = (body: string | undefined) => (JSON.parse(body ?? '{}') as { contact: string }).contact;
  let running: Promise<unknown>;
  if (kind === 'naive') {
    running = Promise.all(
      Array.from({ length: o.consumers }, async () => {
        while (!stopped) {
          const batch = await receive();
          const answers = await Promise.all(batch.map(async (m) => ({ m, status: await post(o, contactOf(m.Body)) })));
          await remove(answers.filter((a) => a.status === 201).map((a) => a.m));
        }
      }),
    );
  } else {
    running = (async () => {
      const line: { m: { MessageId?: string; ReceiptHandle?: string }; contact: string }[] = [];
      const gapMs = 500 / o.scale;
      const t0 = Date.now();
      const calls: Promise<void>[] = [];
      for (let i = 0; !stopped; i += 1) {
        if (line.length < 20) for (const m of await receive()) line.push({ m, contact: contactOf(m.Body) });
        const due = t0 + i * gapMs;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, Math.ceil(due - Date.now())));
        const next = line.shift();
        if (!next) continue;
        calls.push(
          post(o, next.contact).then(async (status) => {
            if (status === 201) await remove([next.m]);
            else line.push(next);
          }),
        );
      }
      await Promise.all(calls);
    })();
  }
  return {
    async stop() {
      stopped = true;
      await running.catch(() => undefined);
      sqs.destroy();
      return { peakHeap: 0 };
    },
  };
}
