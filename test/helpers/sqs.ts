import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueRecord } from '../../lib/consumer/process-batch.js';
import { type LocalQueues, sqsClientFor } from '../../dev/emulator.js';

export { sqsClientFor };

export async function sendBodies(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  attributes?: Record<string, string>,
): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageAttributes: attributes
            ? Object.fromEntries(
                Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
              )
            : undefined,
        })),
      }),
    );
  }
}

/** Receive up to `max` visible messages (short polls until none is left). */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  max = 1000,
  visibilityTimeout = 30,
): Promise<Message[]> {
  const out: Message[] = [];
  for (let empty = 0; out.length < max && empty < 2; ) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: visibilityTimeout,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const got = r.Messages ?? [];
    if (got.length === 0) empty += 1;
    out.push(...got);
  }
  return out;
}

/** A Lambda SQS record built from a real received message, as the event source mapping builds it. */
export function toRecord(message: Message, queueArn: string): QueueRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        { stringValue: v.StringValue, dataType: v.DataType ?? 'String' },
      ]),
    ),
    eventSourceARN: queueArn,
  };
}

export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const r = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(r.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(r.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

export function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/**
 * The consumer environment most unit tests start from: the embedded queues, a Hood nobody answers at
 * (tests pass a scripted creator) and limits loose enough that pacing never decides. Spread it, then add
 * what the test is about.
 */
export function localConsumerEnv(
  queues: Pick<LocalQueues, 'blockQueueUrl' | 'deadLetterQueueUrl' | 'endpoint' | 'region'>,
): Record<string, string> {
  return {
    HOOD_API_TOKEN: 'test-token',
    HOOD_API_URL: 'http://127.0.0.1:9/v1/hood',
    HOOD_RATE_LIMITS: '1000/1s',
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
  };
}
