import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { waitMs } from '../lib/pacing/timer-ms.js';

/** A Lambda handler as the SQS event source mapping calls it. */
export type SqsLambdaHandler = (
  event: { Records: SqsLambdaRecord[] },
  context: { getRemainingTimeInMillis(): number; awsRequestId: string; functionName: string },
) => Promise<{ batchItemFailures?: { itemIdentifier: string }[] } | void>;

export interface SqsLambdaRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<
    string,
    { stringValue?: string; dataType: string; stringListValues: string[]; binaryListValues: string[] }
  >;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface EventSourceMappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region?: string;
  /** One handler per concurrent consumer (each its own module instance, like separate Lambda containers). */
  handlers: SqsLambdaHandler[];
  batchSize?: number;
  /** Lambda function timeout: the handler's deadline; past it the invocation counts as failed. */
  timeoutMs?: number;
  /** Long-poll wait per receive. */
  waitTimeSeconds?: number;
  onInvocation?: (info: InvocationInfo) => void;
}

export interface InvocationInfo {
  consumer: number;
  records: number;
  failed: number;
  outcome: 'ok' | 'partial' | 'error' | 'timeout';
  durationMs: number;
  error?: string;
}

export interface EventSourceMapping {
  stats(): {
    invocations: number;
    records: number;
    deleted: number;
    failedRecords: number;
    errors: number;
    timeouts: number;
    inFlight: number;
  };
  /** Stop polling and wait for in-flight invocations to finish (drain). */
  stop(): Promise<void>;
}

/**
 * A faithful-enough stand-in for Lambda's SQS event source mapping, for the local pipeline, the
 * integration tests and the benchmark: N pollers (= `maximumConcurrency`), each receiving up to
 * `batchSize` messages with all attributes, invoking its handler with a deadline, and then doing what
 * Lambda does with the answer (AWS Lambda Developer Guide, "Handling errors for an SQS event source"):
 * - `batchItemFailures` listed → every other record deleted, the listed ones left to reappear;
 * - an identifier that is not in the batch, a thrown error or a timeout → nothing deleted.
 * Receive counts and redrive to the DLQ are the emulator's own, as in SQS.
 */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const batchSize = options.batchSize ?? 10;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const region = options.region ?? 'us-east-1';
  const stats = { invocations: 0, records: 0, deleted: 0, failedRecords: 0, errors: 0, timeouts: 0, inFlight: 0 };
  let stopping = false;

  const poll = async (consumer: number, handler: SqsLambdaHandler) => {
    while (!stopping) {
      let messages;
      try {
        const out = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = out.Messages ?? [];
      } catch {
        if (stopping) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (messages.length === 0) continue;
      const records: SqsLambdaRecord[] = messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: { ...(m.Attributes as Record<string, string>) },
        messageAttributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
            k,
            {
              stringValue: v.StringValue,
              dataType: v.DataType ?? 'String',
              stringListValues: [],
              binaryListValues: [],
            },
          ]),
        ),
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: options.queueArn,
        awsRegion: region,
      }));
      stats.invocations += 1;
      stats.records += records.length;
      stats.inFlight += 1;
      const started = Date.now();
      const deadline = started + timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      let outcome: InvocationInfo['outcome'] = 'ok';
      let toDelete: SqsLambdaRecord[] = [];
      let error: string | undefined;
      try {
        const result = await Promise.race([
          handler(
            { Records: records },
            {
              getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
              awsRequestId: randomUUID(),
              functionName: 'block-contacts',
            },
          ),
          new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), waitMs(timeoutMs));
          }),
        ]);
        if (result === 'timeout') {
          outcome = 'timeout';
          stats.timeouts += 1;
        } else {
          const failures = result?.batchItemFailures || [];
          const ids = new Set(records.map((r) => r.messageId));
          if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) {
            outcome = 'error';
            error = 'invalid batchItemFailures';
          } else {
            const failed = new Set(failures.map((f) => f.itemIdentifier));
            toDelete = records.filter((r) => !failed.has(r.messageId));
            stats.failedRecords += failed.size;
            outcome = failed.size > 0 ? 'partial' : 'ok';
          }
        }
      } catch (e) {
        outcome = 'error';
        error = e instanceof Error ? e.message : String(e);
        stats.errors += 1;
      } finally {
        clearTimeout(timer);
        stats.inFlight -= 1;
      }
      for (let i = 0; i < toDelete.length; i += 10) {
        const chunk = toDelete.slice(i, i + 10);
        try {
          await options.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
            }),
          );
          stats.deleted += chunk.length;
        } catch {
          // As in Lambda: a failed delete means the messages reappear after their visibility timeout.
        }
      }
      options.onInvocation?.({
        consumer,
        records: records.length,
        failed: records.length - toDelete.length,
        outcome,
        durationMs: Date.now() - started,
        ...(error ? { error } : {}),
      });
    }
  };

  const loops = options.handlers.map((h, i) => poll(i, h));
  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
