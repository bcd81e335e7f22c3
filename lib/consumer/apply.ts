import type { SqsClientLike } from '../queue/sqs.js';
import type { ConsumerConfig } from '../config.js';
import {
  changeVisibility,
  deleteMessage,
  type OutgoingMessage,
  sendOrDeadLetter,
  undeliveredError,
} from '../queue/sqs.js';
import type { LedgerHooks } from './ledger-hooks.js';
import type { SettleStep } from './settle.js';
import type { Log, Outcome } from './types.js';

export interface ApplyDeps {
  config: ConsumerConfig;
  sqs: SqsClientLike;
  logger: Log;
  count: (outcome: Outcome, n?: number) => void;
  ledger?: LedgerHooks;
}

export interface AppliedRecord {
  /** Report the record failed (`batchItemFailures`): SQS keeps it. */
  failed: boolean;
  /** Deletes started in the background; the batch waits for them before returning. */
  deletes: Promise<void>[];
}

/**
 * Carries out a record's settle steps in order. `queueUrl` is the record's own queue (re-queued copies go back
 * to it, so a bulk record stays on the bulk queue). A send that fails throws: the caller keeps the record.
 */
export async function applySteps(
  steps: readonly SettleStep[],
  record: { receiptHandle: string },
  queueUrl: string | undefined,
  deps: ApplyDeps,
): Promise<AppliedRecord> {
  const out: AppliedRecord = { failed: false, deletes: [] };
  for (const step of steps) {
    switch (step.kind) {
      case 'count':
        deps.count(step.outcome, step.n);
        break;
      case 'log':
        deps.logger[step.level](step.message, step.fields);
        break;
      case 'dead_letter': {
        const dlq = deadLetterQueueFor(deps.config, queueUrl);
        await send(deps, dlq, dlq, step.messages);
        break;
      }
      case 'requeue': {
        const target = queueUrl ?? deps.config.queues.blockQueueUrl;
        if (!target) throw new Error('no queue to re-queue to (BLOCK_QUEUE_URL unset)');
        await send(deps, target, deadLetterQueueOrUndefined(deps.config, queueUrl), step.messages);
        break;
      }
      case 'delete':
        if (queueUrl) out.deletes.push(deleteMessage(deps.sqs, queueUrl, record.receiptHandle).catch(() => undefined));
        break;
      case 'backoff':
        if (queueUrl)
          await changeVisibility(deps.sqs, queueUrl, record.receiptHandle, step.visibilitySeconds).catch(
            () => undefined,
          );
        out.failed = true;
        break;
      case 'ledger_dead_lettered':
        await deps.ledger?.recordDeadLettered(step.blocks, step.reason);
        break;
    }
  }
  return out;
}

/** The DLQ for a record's queue: a bulk record (import, backfill) goes beside the bulk queue, so the live DLQ alarm stays for live opt-outs. */
export function deadLetterQueueFor(config: ConsumerConfig, sourceQueueUrl?: string): string {
  const { bulkQueueUrl, bulkDeadLetterQueueUrl } = config.queues;
  if (bulkDeadLetterQueueUrl && bulkQueueUrl && sourceQueueUrl === bulkQueueUrl) return bulkDeadLetterQueueUrl;
  if (!config.queues.deadLetterQueueUrl) throw new Error('DEAD_LETTER_QUEUE_URL is not set; cannot dead-letter');
  return config.queues.deadLetterQueueUrl;
}

function deadLetterQueueOrUndefined(config: ConsumerConfig, sourceQueueUrl?: string): string | undefined {
  try {
    return deadLetterQueueFor(config, sourceQueueUrl);
  } catch {
    return undefined;
  }
}

/**
 * Send a step's messages; one the queue refuses for good (lib/queue/sqs.ts `sendOrDeadLetter`) is dead-lettered
 * alone with its reason instead of costing the record every retry. Anything neither sent nor dead-lettered
 * throws (QueueError): the record stays on its queue.
 */
async function send(
  deps: ApplyDeps,
  queueUrl: string,
  deadLetterQueueUrl: string | undefined,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  const report = await sendOrDeadLetter(deps.sqs, queueUrl, deadLetterQueueUrl, messages);
  if (report.deadLettered.length > 0) {
    // A dead letter re-sent in ASCII was counted when it was planned; a re-queued copy was not.
    if (queueUrl !== deadLetterQueueUrl) deps.count('dead_lettered', report.deadLettered.length);
    deps.logger.error('SQS refused a message; dead-lettered it alone', {
      outcome: 'dead_lettered',
      reason: 'queue_rejected',
      codes: [...new Set(report.deadLettered.map((f) => f.code))],
      n: report.deadLettered.length,
    });
  }
  const error = undeliveredError(report, messages.length);
  if (error) throw error;
}
