import type { ConsumerConfig } from '../config.js';
import type { Lane } from '../pacing/budget.js';
import { queueUrlFromArn } from '../queue/sqs.js';

/**
 * Which lane a batch belongs to. One function serves two event source mappings (the live queue and the
 * bulk queue); Lambda never mixes them in one batch, and every record names its queue (`eventSourceARN`:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event).
 * A batch is `bulk` only when its records come from `BULK_QUEUE_URL`; anything else is live.
 */
export function batchLane(
  records: readonly { eventSourceARN?: string | undefined }[],
  queues: ConsumerConfig['queues'],
): Lane {
  if (!queues.bulkQueueUrl || records.length === 0) return 'live';
  const fromBulk = (arn: string | undefined) => queueUrlFromArn(arn ?? '', queues) === queues.bulkQueueUrl;
  // Defensive: a batch mixing queues (never sent by Lambda) is paced as live, the lane that can only be slower.
  return records.every((r) => fromBulk(r.eventSourceARN)) ? 'bulk' : 'live';
}

// The static shares' arithmetic lives with the rest of the budget's (lib/pacing/budget.ts).
export { BULK_STATIC_PERCENT, laneCallsPerWindow, type StaticLaneShare, staticLaneShares } from '../pacing/budget.js';
