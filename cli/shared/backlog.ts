import { readQueueDepth, type SqsClientLike } from '../../lib/queue/sqs.js';
import { describeAwsError, type QueueTarget } from './queues.js';

/**
 * What already waits on the queue a backfill or an import adds to (visible, in flight, delayed): the
 * consumer works in order of arrival, so the ETA counts it. Read before anything is sent, it doubles as
 * the preflight: a missing queue, missing credentials or a stopped local pipeline is named here. Only a
 * denied GetQueueAttributes is tolerated (a producer role may be allowed SendMessage alone): undefined,
 * and the ETA leaves out what is already waiting.
 */
export async function readBacklog(
  sqs: SqsClientLike,
  queueUrl: string,
  target: QueueTarget,
): Promise<number | undefined> {
  try {
    const depth = await readQueueDepth(sqs, queueUrl);
    return depth.visible + depth.inFlight + depth.delayed;
  } catch (error) {
    if (error instanceof Error && /AccessDenied|UnauthorizedOperation/iu.test(error.name)) return undefined;
    throw new Error(`cannot use the queue ${queueUrl}: ${describeAwsError(error, target)}`);
  }
}
