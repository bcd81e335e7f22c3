import type {
  MessageAttributeValue,
  SendMessageBatchRequestEntry,
  SQSClient,
  SQSClientConfig,
} from '@aws-sdk/client-sqs';
import type { QueueConfig } from '../config.js';
import { QueueError } from '../errors.js';
import { waitMs, wholeSeconds } from '../pacing/timer-ms.js';
import { asciiText, cutToBytes, encodeAttribute, messageBytes, portableText, SQS_MAX_MESSAGE_BYTES } from './encode.js';

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
  config: Pick<QueueConfig, 'sqsEndpoint' | 'blockQueueUrl' | 'deadLetterQueueUrl'> &
    Partial<Pick<QueueConfig, 'bulkQueueUrl'>>,
): string | undefined {
  const m = /^arn:aws[\w-]*:sqs:([\w-]+):(\d+|[\w-]+):(.+)$/u.exec(arn);
  if (!m) return undefined;
  const [, region, account, name] = m;
  // A record from the bulk queue is re-queued to the bulk queue: imports never jump the live queue.
  for (const known of [config.blockQueueUrl, config.bulkQueueUrl, config.deadLetterQueueUrl]) {
    if (known?.endsWith(`/${account}/${name}`)) return known;
  }
  if (config.sqsEndpoint) return `${config.sqsEndpoint.replace(/\/+$/u, '')}/${account}/${name}`;
  const suffix = region!.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${suffix}/${account}/${name}`;
}

/** An attribute value's longest form: `detail` carries a few hundred characters at most. */
const SQS_MAX_ATTRIBUTE_CHARS = 1024;

/** Attribute values through the one encoder (lib/queue/encode.ts): empty and absent ones left out, 10 at most. */
function encodeAttributes(attrs: OutgoingMessage['attributes']): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === '' || n >= SQS_MAX_ATTRIBUTES) continue;
    out[name] = encodeAttribute(value, SQS_MAX_ATTRIBUTE_CHARS);
    n += 1;
  }
  return out;
}

function toMessageAttributes(
  attrs: Readonly<Record<string, string>>,
): Record<string, MessageAttributeValue> | undefined {
  const names = Object.keys(attrs);
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [name, { DataType: 'String', StringValue: attrs[name]! }]));
}

/** Why one message was not sent. */
export interface SendFailure {
  /** Its index in the messages given to `sendMessageReport`. */
  index: number;
  /** SQS's code (`InvalidMessageContents`, `InternalError`, …), `message_too_large` or `not_attempted`. */
  code: string;
  /** SQS's own words, bounded (they quote no message content). */
  detail: string;
  /** Sending it again cannot help: SQS refused this entry itself, or it is over the size limit. */
  permanent: boolean;
}

export interface SendReport {
  /** How many of the messages SQS accepted. */
  sent: number;
  failures: SendFailure[];
}

/** One message ready for SendMessageBatch: encoded, sized. */
interface PreparedEntry {
  index: number;
  entry: SendMessageBatchRequestEntry;
  bytes: number;
}

/**
 * A message as an entry: body and attributes through the one encoder. Over the size limit, attributes are
 * dropped longest first (a dead letter keeps its body rather than its detail); a body that alone is over it
 * cannot be sent.
 */
function prepare(message: OutgoingMessage, index: number): PreparedEntry | SendFailure {
  const body = portableText(message.body);
  const attributes = encodeAttributes(message.attributes);
  let bytes = messageBytes(body, attributes);
  while (bytes > SQS_MAX_MESSAGE_BYTES && Object.keys(attributes).length > 0) {
    const longest = Object.keys(attributes).sort((a, b) => attributes[b]!.length - attributes[a]!.length)[0]!;
    delete attributes[longest];
    bytes = messageBytes(body, attributes);
  }
  if (bytes > SQS_MAX_MESSAGE_BYTES) {
    return {
      index,
      code: 'message_too_large',
      detail: `${bytes} bytes; SQS takes ${SQS_MAX_MESSAGE_BYTES}`,
      permanent: true,
    };
  }
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: body,
    MessageAttributes: toMessageAttributes(attributes),
    DelaySeconds:
      message.delaySeconds === undefined ? undefined : wholeSeconds(message.delaySeconds, SQS_MAX_DELAY_SECONDS),
  };
  return { index, entry, bytes };
}

/** Batches of at most 10 entries and 256 KiB together (a longer SendMessageBatch fails as a whole). */
function packBatches(entries: readonly PreparedEntry[]): PreparedEntry[][] {
  const batches: PreparedEntry[][] = [];
  let current: PreparedEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length === SQS_BATCH_SIZE || (current.length > 0 && bytes + e.bytes > SQS_MAX_MESSAGE_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
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

interface ErrorShape {
  name?: string;
  message?: string;
  $fault?: string;
  $retryable?: { throttling?: boolean };
}

/** SQS blamed the request (HTTP 4xx), not itself or the network; throttling is not blame. */
function isClientFault(error: unknown): boolean {
  const e = error as ErrorShape;
  return e?.$fault === 'client' && e.$retryable?.throttling !== true && !/thrott/iu.test(e.name ?? '');
}

// What SQS answers when an entry's own content is refused (SQS API Reference, SendMessage and SendMessageBatch
// errors): a character outside its set, an attribute it cannot take, a message or batch over the size limit.
const CONTENT_ERRORS = [
  'InvalidMessageContents',
  'InvalidParameterValue',
  'InvalidAttributeName',
  'InvalidAttributeValue',
  'BatchRequestTooLong',
  'MessageTooLong',
];
const isContentError = (code: string) => CONTENT_ERRORS.some((name) => code.startsWith(name));

const errorCode = (error: unknown) => (error as ErrorShape | undefined)?.name ?? 'unknown error';
const errorDetail = (error: unknown) => encodeAttribute(String((error as ErrorShape | undefined)?.message ?? ''), 300);

interface BatchResult {
  sent: number;
  failures: SendFailure[];
  /** The batch could not be sent at all, after every try: SQS or the network is down (or we are denied). */
  outage: boolean;
}

/**
 * Send one batch, retrying only what failed for a reason that can pass (throttling, SQS internal errors, the
 * network), with backoff. An entry SQS refuses (`SenderFault`) fails alone at once. Real SQS fails a whole
 * SendMessageBatch for one entry it refuses: then every entry is sent alone, so that only that one fails.
 */
async function sendBatch(
  client: SqsClientLike,
  queueUrl: string,
  batch: readonly PreparedEntry[],
  attempts: number,
  backoffMs: number,
): Promise<BatchResult> {
  let pending = batch;
  const failures: SendFailure[] = [];
  let sent = 0;
  let last = { code: 'unknown', detail: '' };
  let threw = false;
  for (let attempt = 1; pending.length > 0 && attempt <= attempts; attempt += 1) {
    try {
      const { SendMessageBatchCommand } = await loadSqsSdk();
      const out = await client.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((p) => p.entry) }),
      );
      threw = false;
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      const retry: PreparedEntry[] = [];
      for (const p of pending) {
        const f = failed.get(p.entry.Id);
        if (!f) sent += 1;
        else if (f.SenderFault)
          failures.push({
            index: p.index,
            code: f.Code ?? 'unknown',
            detail: encodeAttribute(f.Message ?? '', 300),
            permanent: true,
          });
        else {
          retry.push(p);
          last = { code: f.Code ?? 'unknown', detail: encodeAttribute(f.Message ?? '', 300) };
        }
      }
      pending = retry;
    } catch (error) {
      if (pending.length > 1 && isClientFault(error)) {
        const alone = await Promise.all(pending.map((p) => sendBatch(client, queueUrl, [p], attempts, backoffMs)));
        return {
          sent: sent + alone.reduce((n, r) => n + r.sent, 0),
          failures: [...failures, ...alone.flatMap((r) => r.failures)],
          outage: alone.some((r) => r.outage),
        };
      }
      if (isClientFault(error) && isContentError(errorCode(error))) {
        failures.push(
          ...pending.map((p) => ({
            index: p.index,
            code: errorCode(error),
            detail: errorDetail(error),
            permanent: true,
          })),
        );
        return { sent, failures, outage: false };
      }
      threw = true;
      last = { code: errorCode(error), detail: errorDetail(error) };
    }
    if (pending.length > 0 && attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
  }
  failures.push(...pending.map((p) => ({ index: p.index, ...last, permanent: false })));
  return { sent, failures, outage: pending.length > 0 && threw };
}

/**
 * Send messages in batches (SendMessageBatch: 10 entries and 256 KiB at most), `concurrency` batches at once,
 * every body and attribute through the one encoder (lib/queue/encode.ts). A failed entry never stops the
 * other batches: each batch is sent and each entry's failure is reported. Only when a whole batch could
 * not be sent after every try (SQS or the network down) does no new batch start — an outage must not cost
 * attempts × backoff for each of 2,700 batches; those entries are reported `not_attempted`.
 */
export async function sendMessageReport(
  client: SqsClientLike,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  options: SendOptions = {},
): Promise<SendReport> {
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 100;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const failures: SendFailure[] = [];
  const entries: PreparedEntry[] = [];
  messages.forEach((m, i) => {
    const prepared = prepare(m, i);
    if ('entry' in prepared) entries.push(prepared);
    else failures.push(prepared);
  });
  const batches = packBatches(entries);
  let next = 0;
  let sent = 0;
  let outage = false;
  const worker = async () => {
    while (next < batches.length && !outage) {
      const batch = batches[next]!;
      next += 1;
      const result = await sendBatch(client, queueUrl, batch, attempts, backoffMs);
      sent += result.sent;
      failures.push(...result.failures);
      if (result.outage) outage = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  for (const batch of batches.slice(next)) {
    failures.push(
      ...batch.map((p) => ({
        index: p.index,
        code: 'not_attempted',
        detail: 'a batch before it could not be sent',
        permanent: false,
      })),
    );
  }
  failures.sort((a, b) => a.index - b.index);
  return { sent, failures };
}

/** A report's failures as the QueueError callers have always caught (undefined when all were sent). */
export function queueErrorOf(report: SendReport, total: number): QueueError | undefined {
  if (report.failures.length === 0) return undefined;
  const codes = [...new Set(report.failures.map((f) => f.code))].join(', ');
  const permanent = report.failures.find((f) => f.permanent);
  const reason = permanent ? 'queue_send_rejected' : 'queue_unavailable';
  const why = permanent ? `SQS rejected a message: ${permanent.code} ${permanent.detail}`.trim() : codes;
  return new QueueError(
    reason,
    `${report.failures.length} of ${total} message(s) could not be sent to the queue (${why})`,
  );
}

/**
 * `sendMessageReport`, throwing a QueueError naming how many could not be sent when any could not, so that
 * callers answer 5xx / keep the source message instead of losing it. Every batch was tried first.
 */
export async function sendMessages(
  client: SqsClientLike,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  options: SendOptions = {},
): Promise<void> {
  const error = queueErrorOf(await sendMessageReport(client, queueUrl, messages, options), messages.length);
  if (error) throw error;
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
    // Cut on characters, never inside a surrogate pair (the encoder would escape a lone half).
    detail: info.detail === undefined ? undefined : [...info.detail].slice(0, 500).join(''),
    trace_id: info.traceId,
    source: info.source,
    source_message_id: info.sourceMessageId,
    correlation_id: info.correlationId,
    receive_count: info.receiveCount === undefined ? undefined : String(info.receiveCount),
    dead_lettered_at: new Date().toISOString(),
  };
}

/** What became of messages sent with `sendOrDeadLetter`. */
export interface DeliveryReport {
  /** Accepted by the queue they were meant for. */
  sent: number;
  /** Refused by that queue and dead-lettered alone, with the reason (`queue_rejected`, `message_too_large`). */
  deadLettered: SendFailure[];
  /** Neither: the caller must keep its source (answer 5xx, leave the record on its queue). */
  unsent: SendFailure[];
}

/**
 * The dead letter of a message its queue refused: the body in printable ASCII (exact for JSON, so `dlq redrive`
 * can still replay it; the character that was refused cannot be refused again), cut to fit when it is too
 * large; its attributes, with the reason it could not be sent (and the reason it already had, if any).
 */
export function refusedDeadLetter(
  message: OutgoingMessage,
  failure: SendFailure,
  now: number = Date.now(),
): OutgoingMessage {
  const tooLarge = failure.code === 'message_too_large';
  const attributes: Record<string, string | undefined> = {
    ...message.attributes,
    reason: tooLarge ? 'message_too_large' : 'queue_rejected',
    detail: `${failure.code}: ${failure.detail}`.slice(0, 500),
    original_reason: message.attributes?.reason,
    dead_lettered_at: new Date(now).toISOString(),
  };
  const room = SQS_MAX_MESSAGE_BYTES - messageBytes('', encodeAttributes(attributes));
  return { body: cutToBytes(asciiText(message.body), room), attributes };
}

/**
 * Send messages to `queueUrl`; each one it refuses for good (a character, the size) is dead-lettered alone on
 * `deadLetterQueueUrl` with its reason, so one entry never costs the others, nor a retry of all of them.
 * What could be neither sent nor dead-lettered is returned in `unsent`.
 */
export async function sendOrDeadLetter(
  client: SqsClientLike,
  queueUrl: string,
  deadLetterQueueUrl: string | undefined,
  messages: readonly OutgoingMessage[],
  options: SendOptions = {},
): Promise<DeliveryReport> {
  const report = await sendMessageReport(client, queueUrl, messages, options);
  const refused = report.failures.filter((f) => f.permanent);
  if (refused.length === 0 || deadLetterQueueUrl === undefined)
    return { sent: report.sent, deadLettered: [], unsent: report.failures };
  const fallback = await sendMessageReport(
    client,
    deadLetterQueueUrl,
    refused.map((f) => refusedDeadLetter(messages[f.index]!, f)),
    options,
  );
  const notDead = new Set(fallback.failures.map((f) => f.index));
  return {
    sent: report.sent,
    deadLettered: refused.filter((_, i) => !notDead.has(i)),
    unsent: [...report.failures.filter((f) => !f.permanent), ...refused.filter((_, i) => notDead.has(i))].sort(
      (a, b) => a.index - b.index,
    ),
  };
}

/** A DeliveryReport's unsent messages as a QueueError (undefined when there are none). */
export function undeliveredError(report: DeliveryReport, total: number): QueueError | undefined {
  return queueErrorOf({ sent: report.sent, failures: report.unsent }, total);
}

/** Put a message on the DLQ with its reason attached (throws QueueError when it could not). */
export async function deadLetter(
  client: SqsClientLike,
  dlqUrl: string,
  body: string,
  info: DeadLetterInfo,
): Promise<void> {
  await deadLetterMany(client, dlqUrl, [{ body, info }]);
}

/**
 * Put many messages on the DLQ, each with its reason, in batches (throws QueueError when any could not). One
 * the DLQ refuses is dead-lettered again in ASCII with reason `queue_rejected` (see `sendOrDeadLetter`).
 */
export async function deadLetterMany(
  client: SqsClientLike,
  dlqUrl: string,
  items: ReadonlyArray<{ body: string; info: DeadLetterInfo }>,
  options: SendOptions = {},
): Promise<DeliveryReport> {
  const report = await sendOrDeadLetter(
    client,
    dlqUrl,
    dlqUrl,
    items.map((item) => ({ body: item.body, attributes: deadLetterAttributes(item.info) })),
    options,
  );
  const error = undeliveredError(report, items.length);
  if (error) throw error;
  return report;
}

export async function deleteMessage(client: SqsClientLike, queueUrl: string, receiptHandle: string): Promise<void> {
  try {
    const { DeleteMessageCommand } = await loadSqsSdk();
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
  } catch (error) {
    throw new QueueError(
      'queue_delete_failed',
      `could not delete a message (${error instanceof Error ? error.name : 'unknown'})`,
      { cause: error },
    );
  }
}

export async function changeVisibility(
  client: SqsClientLike,
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): Promise<void> {
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
    throw new QueueError(
      'queue_visibility_failed',
      `could not change visibility (${error instanceof Error ? error.name : 'unknown'})`,
      { cause: error },
    );
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
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const n = (name: string) => Number(out.Attributes?.[name as keyof typeof out.Attributes] ?? 0) || 0;
  return {
    visible: n('ApproximateNumberOfMessages'),
    inFlight: n('ApproximateNumberOfMessagesNotVisible'),
    delayed: n('ApproximateNumberOfMessagesDelayed'),
  };
}
