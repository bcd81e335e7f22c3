import type { MessageAttributeValue, SendMessageBatchRequestEntry, SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import type { QueueConfig } from '../config.js';
import { QueueError } from '../errors.js';
import { waitMs, wholeSeconds } from '../pacing/timer-ms.js';

/** What the queue helpers below need of a client: the SDK's `SQSClient`, or the Lambdas' lazy one. */
export type SqsClientLike = Pick<SQSClient, 'send' | 'destroy'>;

let sdk: Promise<typeof import('@aws-sdk/client-sqs')> | undefined;

/**
 * The SQS SDK, loaded at its first use rather than at import. In the Lambda bundles it is a chunk of its own
 * (about 40 % of what a cold start imported): the consumer starts loading it when an invocation begins, so
 * it loads while the ledger and Hood answer the batch's first calls, and the import itself stays lean.
 */
export function loadSqsSdk(): Promise<typeof import('@aws-sdk/client-sqs')> {
  sdk ??= import('@aws-sdk/client-sqs').catch((error: unknown) => {
    sdk = undefined;
    throw error;
  });
  return sdk;
}

/** The options every SQS client in the project is built with (see `createSqsClient`). */
export function sqsClientOptions(config: SqsClientTarget): SQSClientConfig {
  // The SDK reads AWS_ENDPOINT_URL_SQS itself; passing it explicitly keeps config.ts the only env reader.
  return {
    ...(config.region ? { region: config.region } : {}),
    ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}),
    ...(config.localCredentials ? { credentials: config.localCredentials } : {}),
    maxAttempts: 3,
  };
}

export interface SqsClientTarget {
  region?: string | undefined;
  sqsEndpoint?: string | undefined;
  localCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
}

/**
 * The Lambdas' SQS client: the SDK's `SQSClient` with the options of `createSqsClient` (lib/queue/sqs-sdk.ts),
 * built when the first request is sent (the SDK is loaded then, see `loadSqsSdk`).
 */
export function createLazySqsClient(config: SqsClientTarget): SqsClientLike {
  let client: Promise<SQSClient> | undefined;
  const get = () => {
    client ??= loadSqsSdk().then(({ SQSClient: Client }) => new Client(sqsClientOptions(config)));
    return client;
  };
  const send = ((command: Parameters<SQSClient['send']>[0], options?: Parameters<SQSClient['send']>[1]) =>
    get().then((c) => c.send(command as never, options as never))) as SQSClient['send'];
  return {
    send,
    destroy() {
      void client?.then((c) => c.destroy()).catch(() => undefined);
    },
  };
}

/** One message to put on a queue. Attribute values are strings (SQS `String` data type). */
export interface OutgoingMessage {
  body: string;
  attributes?: Record<string, string | undefined>;
  /** 0–900 s (SQS maximum). */
  delaySeconds?: number;
}

/** SQS limits (SQS Developer Guide, "Quotas related to messages"). */
export const SQS_BATCH_SIZE = 10;
export const SQS_MAX_DELAY_SECONDS = 900;
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
export const SQS_MAX_ATTRIBUTES = 10;

/**
 * Queue URL for a Lambda record's `eventSourceARN` (`arn:aws:sqs:<region>:<account>:<name>`). With a
 * custom endpoint (local emulator) the URL is `<endpoint>/<account>/<name>`, which fauxqs and
 * LocalStack route by path; otherwise the regional AWS endpoint.
 */
export function queueUrlFromArn(
  arn: string,
  config: Pick<QueueConfig, 'sqsEndpoint' | 'blockQueueUrl' | 'deadLetterQueueUrl'> & Partial<Pick<QueueConfig, 'bulkQueueUrl'>>,
): string | undefined {
  const m = /^arn:aws[\w-]*:sqs:([\w-]+):(\d+|[\w-]+):(.+)$/u.exec(arn);
  if (!m) return undefined;
  const [, region, account, name] = m;
  // A record from the bulk queue is re-queued to the bulk queue: imports never jump the live queue.
  for (const known of [config.blockQueueUrl, config.bulkQueueUrl, config.deadLetterQueueUrl]) {
    if (known && known.endsWith(`/${account}/${name}`)) return known;
  }
  if (config.sqsEndpoint) return `${config.sqsEndpoint.replace(/\/+$/u, '')}/${account}/${name}`;
  const suffix = region!.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${suffix}/${account}/${name}`;
}

function toAttributes(attrs: OutgoingMessage['attributes']): Record<string, MessageAttributeValue> | undefined {
  if (!attrs) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  let n = 0;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === '' || n >= SQS_MAX_ATTRIBUTES) continue;
    // SQS attribute values must be valid XML characters; keep them short and printable.
    // eslint-disable-next-line no-control-regex
    out[k] = { DataType: 'String', StringValue: v.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/gu, ' ').slice(0, 1024) };
    n += 1;
  }
  return n > 0 ? out : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, waitMs(ms)));

export interface SendOptions {
  /** Tries per batch, the first included (default 4). */
  attempts?: number;
  /** First backoff between tries of a batch, doubled each time (default 100 ms). */
  backoffMs?: number;
  /**
   * Batches in flight at once (default 1: callers that want order keep it). The webhook sends a body at
   * the size limit (27,000 contacts = 2,700 batches) with several at once so that it is queued in a
   * small fraction of its timeout.
   */
  concurrency?: number;
}

/** Send one batch of ≤ 10, retrying only the entries SQS reports as failed; returns how many are still unsent. */
async function sendBatch(
  client: SqsClientLike,
  queueUrl: string,
  batch: readonly OutgoingMessage[],
  attempts: number,
  backoffMs: number,
): Promise<{ unsent: number; error: string; senderFault?: string }> {
  let pending: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({
    Id: String(i),
    MessageBody: m.body,
    MessageAttributes: toAttributes(m.attributes),
    DelaySeconds: m.delaySeconds === undefined ? undefined : wholeSeconds(m.delaySeconds, SQS_MAX_DELAY_SECONDS),
  }));
  let lastError = '';
  for (let attempt = 1; pending.length > 0 && attempt <= attempts; attempt += 1) {
    try {
      const { SendMessageBatchCommand } = await loadSqsSdk();
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      // Sender faults (malformed entry) will never succeed: stop retrying and report them.
      const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
      if (senderFault) {
        return { unsent: (out.Failed ?? []).length, error: senderFault.Code ?? 'unknown', senderFault: `${senderFault.Code ?? 'unknown'} ${senderFault.Message ?? ''}`.trim() };
      }
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      lastError = (out.Failed ?? []).map((f) => f.Code).join(', ');
      pending = pending.filter((e) => failed.has(e.Id));
    } catch (error) {
      lastError = error instanceof Error ? error.name : 'unknown error';
    }
    if (pending.length > 0 && attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
  }
  return { unsent: pending.length, error: lastError };
}

/**
 * Send messages in batches of 10 (SendMessageBatch), `concurrency` batches at once, retrying entries SQS
 * reports as failed (throttling, internal errors) with a short backoff. Once a batch has failed for good,
 * no new batch starts; when anything is missing, throws a QueueError naming how many could not be sent
 * (unsent + not attempted), so callers answer 5xx / keep the source message instead of losing it.
 */
export async function sendMessages(client: SqsClientLike, queueUrl: string, messages: readonly OutgoingMessage[], options: SendOptions = {}): Promise<void> {
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 100;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const batches: OutgoingMessage[][] = [];
  for (let start = 0; start < messages.length; start += SQS_BATCH_SIZE) batches.push(messages.slice(start, start + SQS_BATCH_SIZE));
  let next = 0;
  let unsent = 0;
  let lastError = '';
  let senderFault: string | undefined;
  const worker = async () => {
    // After a batch has failed for good the request will be retried as a whole: start no new batch (an
    // outage must not cost attempts × backoff for each of 2,700 batches), but let those in flight finish.
    while (next < batches.length && unsent === 0) {
      const batch = batches[next]!;
      next += 1;
      const result = await sendBatch(client, queueUrl, batch, attempts, backoffMs);
      if (result.unsent > 0) {
        unsent += result.unsent;
        lastError = result.error;
        senderFault ??= result.senderFault;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  if (senderFault !== undefined) throw new QueueError('queue_send_rejected', `SQS rejected a message: ${senderFault}`);
  if (unsent > 0) {
    const notTried = batches.slice(next).reduce((n, b) => n + b.length, 0);
    throw new QueueError('queue_unavailable', `${unsent + notTried} of ${messages.length} message(s) could not be sent to the queue (${lastError})`);
  }
}

/** Dead-letter attributes: the reason is what `dlq list` groups by; all values are safe to log. */
export interface DeadLetterInfo {
  reason: string;
  detail?: string;
  traceId?: string;
  source?: string;
  sourceMessageId?: string;
  correlationId?: string;
  receiveCount?: number;
}

export function deadLetterAttributes(info: DeadLetterInfo): Record<string, string | undefined> {
  return {
    reason: info.reason,
    detail: info.detail?.slice(0, 500),
    trace_id: info.traceId,
    source: info.source,
    source_message_id: info.sourceMessageId,
    correlation_id: info.correlationId,
    receive_count: info.receiveCount === undefined ? undefined : String(info.receiveCount),
    dead_lettered_at: new Date().toISOString(),
  };
}

/** Put a message on the DLQ with its reason attached (throws QueueError when it could not). */
export async function deadLetter(client: SqsClientLike, dlqUrl: string, body: string, info: DeadLetterInfo): Promise<void> {
  await sendMessages(client, dlqUrl, [{ body, attributes: deadLetterAttributes(info) }]);
}

/** Put many messages on the DLQ, each with its reason, in batches of 10 (throws QueueError when any could not). */
export async function deadLetterMany(
  client: SqsClientLike,
  dlqUrl: string,
  items: ReadonlyArray<{ body: string; info: DeadLetterInfo }>,
  options: SendOptions = {},
): Promise<void> {
  await sendMessages(
    client,
    dlqUrl,
    items.map((item) => ({ body: item.body, attributes: deadLetterAttributes(item.info) })),
    options,
  );
}

export async function deleteMessage(client: SqsClientLike, queueUrl: string, receiptHandle: string): Promise<void> {
  try {
    const { DeleteMessageCommand } = await loadSqsSdk();
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
  } catch (error) {
    throw new QueueError('queue_delete_failed', `could not delete a message (${error instanceof Error ? error.name : 'unknown'})`, { cause: error });
  }
}

export async function changeVisibility(client: SqsClientLike, queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
  try {
    const { ChangeMessageVisibilityCommand } = await loadSqsSdk();
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: wholeSeconds(seconds, SQS_MAX_VISIBILITY_SECONDS),
      }),
    );
  } catch (error) {
    throw new QueueError('queue_visibility_failed', `could not change visibility (${error instanceof Error ? error.name : 'unknown'})`, { cause: error });
  }
}

export interface QueueDepth {
  /** Waiting to be received. */
  visible: number;
  /** Received and not yet deleted (being processed, or backing off after a failure). */
  inFlight: number;
  /** Sent with a delay (re-queued after a 429, or held while the token is rejected). */
  delayed: number;
}

export async function readQueueDepth(sqs: SqsClientLike, queueUrl: string): Promise<QueueDepth> {
  const { GetQueueAttributesCommand } = await loadSqsSdk();
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const n = (name: string) => Number(out.Attributes?.[name as keyof typeof out.Attributes] ?? 0) || 0;
  return {
    visible: n('ApproximateNumberOfMessages'),
    inFlight: n('ApproximateNumberOfMessagesNotVisible'),
    delayed: n('ApproximateNumberOfMessagesDelayed'),
  };
}
