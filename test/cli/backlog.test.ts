import { describe, expect, it } from 'vitest';
import { readBacklog } from '../../cli/shared/backlog.js';
import type { QueueTarget } from '../../cli/shared/queues.js';
import type { SqsClientLike } from '../../lib/queue/sqs.js';

// What already waits on the queue, for the ETA of enqueue and import; the read is their preflight too.

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/hood-blocker-bulk';
const target: QueueTarget = {
  description: 'queue URL from the command line',
  mode: 'url',
  local: false,
  region: 'eu-west-1',
  endpoint: undefined,
  blockQueueUrl: QUEUE_URL,
  deadLetterQueueUrl: undefined,
};

/** SQS at the network edge: GetQueueAttributes answers these attributes, or fails with this error. */
function sqsAnswering(answer: Record<string, string> | Error): SqsClientLike {
  return {
    send: (async () => {
      if (answer instanceof Error) throw answer;
      return { Attributes: answer };
    }) as unknown as SqsClientLike['send'],
    destroy: () => undefined,
  };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('readBacklog', () => {
  it('counts the visible, in-flight and delayed messages', async () => {
    // Prepare
    const sqs = sqsAnswering({
      ApproximateNumberOfMessages: '7',
      ApproximateNumberOfMessagesNotVisible: '2',
      ApproximateNumberOfMessagesDelayed: '1',
    });

    // Act
    const backlog = await readBacklog(sqs, QUEUE_URL, target);

    // Assess
    expect(backlog).toBe(10);
  });

  it.each(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'])(
    'is unknown (undefined), not a failure, when GetQueueAttributes is denied (%s)',
    async (name) => {
      // Prepare
      const sqs = sqsAnswering(awsError(name, 'not authorized to perform sqs:GetQueueAttributes'));

      // Act
      const backlog = await readBacklog(sqs, QUEUE_URL, target);

      // Assess
      expect(backlog).toBeUndefined();
    },
  );

  it('names the queue and the cause when the queue cannot be used', async () => {
    // Prepare
    const sqs = sqsAnswering(awsError('QueueDoesNotExist', 'The specified queue does not exist.'));

    // Act
    const backlog = readBacklog(sqs, QUEUE_URL, target);

    // Assess
    await expect(backlog).rejects.toThrow(
      `cannot use the queue ${QUEUE_URL}: the queue does not exist (The specified queue does not exist.)`,
    );
  });
});
