import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { maskContact } from '../contact.js';
import { waitMs } from '../pacing/timer-ms.js';
import { sendMessages } from '../queue/sqs.js';
import { mapQueueBody, type MappingPolicy } from '../mapping/index.js';
import { retryability } from './retryable.js';

/**
 * The dead-letter queue's loops: peek (list, check), copy back to the block queue (redrive), delete
 * (purge). Each receives until the queue comes back empty and hands what it did not act on straight back.
 * `hood-blocker dlq` parses the flags and prints; everything that talks to SQS is here.
 */
export const NO_REASON_LABEL = 'redrive_policy';
const SAMPLES_PER_REASON = 3;
// Long enough to read a large DLQ in one pass; the messages are released explicitly at the end anyway,
// so this only matters if the CLI dies mid-way (they come back on their own after it).
const LIST_VISIBILITY_SECONDS = 60;
// Non-matching messages are held invisible while a filtered redrive runs, so that receives move on to
// other messages; 15 min bounds how long they stay hidden if the CLI is killed.
const REDRIVE_HOLD_SECONDS = 900;
const RECEIVE_WAIT_SECONDS = 1;

export interface DeadLetterSample {
  messageId: string;
  contacts: string[];
  detail: string | null;
  traceId: string | null;
  deadLetteredAt: string | null;
  source: string | null;
  correlationId: string | null;
  receiveCount: string | null;
  /** Whether `dlq redrive` would move it (the consumer can read it); else why not. */
  retryable: boolean;
  notRetryableBecause: string | null;
}

export interface ReasonGroup {
  reason: string;
  count: number;
  /** How many of them `dlq redrive` would move; the rest can never succeed and stay. */
  retryable: number;
  samples: DeadLetterSample[];
}

export interface Peeked {
  listed: number;
  /** Largest count first. */
  groups: ReasonGroup[];
}

/**
 * Reads up to `max` dead letters and hands them straight back (visibility 0), grouped by the reason the
 * consumer attached. Reading does not delete; `dlq list` and `check` both use it.
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  options: { max: number; policy: MappingPolicy; showContacts?: boolean },
): Promise<Peeked> {
  const groups = new Map<string, ReasonGroup>();
  const seen = new Map<string, string>();
  try {
    await receiveUntilEmpty(sqs, dlqUrl, LIST_VISIBILITY_SECONDS, (message) => {
      if (seen.has(message.MessageId!)) {
        seen.set(message.MessageId!, message.ReceiptHandle!);
        return seen.size < options.max;
      }
      seen.set(message.MessageId!, message.ReceiptHandle!);
      const reason = attribute(message, 'reason') ?? NO_REASON_LABEL;
      const group = groups.get(reason) ?? { reason, count: 0, retryable: 0, samples: [] };
      groups.set(reason, group);
      group.count += 1;
      const verdict = retryability(message.Body ?? '', reason, options.policy);
      if (verdict.retryable) group.retryable += 1;
      if (group.samples.length < SAMPLES_PER_REASON)
        group.samples.push(sample(message, options.policy, options.showContacts === true, verdict));
      return seen.size < options.max;
    });
  } finally {
    // Hand the messages back at once instead of leaving them hidden for the visibility timeout.
    await release(sqs, dlqUrl, [...seen.values()]);
  }
  return {
    listed: seen.size,
    groups: [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
  };
}

export async function deleteLoop(
  sqs: SQSClient,
  dlqUrl: string,
  reason: string | undefined,
): Promise<{ deleted: number; arrivedDuring: number; error?: string }> {
  const started = Date.now();
  const held = new Map<string, string>();
  let deleted = 0;
  let arrivedDuring = 0;
  const isCandidate = (m: Message) =>
    Number(m.Attributes?.SentTimestamp ?? 0) <= started &&
    (reason === undefined || (attribute(m, 'reason') ?? NO_REASON_LABEL) === reason);
  try {
    await receiveUntilEmpty(
      sqs,
      dlqUrl,
      REDRIVE_HOLD_SECONDS,
      (m) => {
        if (!isCandidate(m)) {
          if (!held.has(m.MessageId!) && Number(m.Attributes?.SentTimestamp ?? 0) > started) arrivedDuring += 1;
          held.set(m.MessageId!, m.ReceiptHandle!);
        }
        return true;
      },
      async (batch) => {
        const chunk = batch.filter(isCandidate);
        if (chunk.length === 0) return true;
        const out = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlqUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
        deleted += out.Successful?.length ?? 0;
        return true;
      },
    );
    return { deleted, arrivedDuring };
  } catch (error) {
    return { deleted, arrivedDuring, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await release(sqs, dlqUrl, [...held.values()]);
  }
}

/**
 * AWS: one StartMessageMoveTask with a rate cap; SQS moves the messages server-side (and keeps going if
 * the CLI exits). 'unsupported' when a custom endpoint (an emulator) does not implement move tasks; any
 * other failure is thrown as the SDK reported it.
 */
export async function startMoveTask(
  sqs: SQSClient,
  options: { sourceArn: string; destinationArn: string; perSecond: number; customEndpoint: boolean },
): Promise<{ taskHandle: string | undefined } | 'unsupported'> {
  try {
    const out = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: options.sourceArn,
        DestinationArn: options.destinationArn,
        MaxNumberOfMessagesPerSecond: options.perSecond,
      }),
    );
    return { taskHandle: out.TaskHandle };
  } catch (error) {
    if (
      error instanceof Error &&
      /InvalidAction|UnknownOperation|UnsupportedOperation|Unknown action|not supported/iu.test(
        `${error.name} ${error.message}`,
      ) &&
      options.customEndpoint
    ) {
      return 'unsupported';
    }
    throw error;
  }
}

/** The newest move task of the queue; undefined when it cannot be read (the task itself runs regardless). */
export async function latestTask(sqs: SQSClient, sourceArn: string) {
  try {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    return out.Results?.[0];
  } catch {
    return undefined;
  }
}

export interface LoopResult {
  moved: number;
  /** Seen but not matching `--reason`: left in the dead-letter queue. */
  skipped: number;
  /** Dead-lettered after the redrive began (often a redriven message failing again): left where it is. */
  arrivedDuring: number;
  notDeleted: number;
  interrupted: boolean;
  /** Could never succeed (the consumer would reject them again): left in the dead-letter queue with their reason. */
  unretryable: number;
  unretryableByReason: Record<string, number>;
  error?: string;
}

/**
 * Receive → filter by reason → send the body unchanged to the block queue → delete from the DLQ, paced.
 * The send happens before the delete, so a crash in between duplicates a message rather than losing it.
 * The copy carries `redriven_from_reason` and the original `correlation_id`, and deliberately not the
 * `attempts` counter: a redrive is an operator's decision to give the message a full set of tries.
 */
export async function redriveLoop(
  sqs: SQSClient,
  options: {
    dlqUrl: string;
    blockQueueUrl: string;
    reason: string | undefined;
    rate: number;
    max: number | undefined;
    signal?: AbortSignal;
    /** One line for a failed receive (the CLI names the queue target and what to fix). */
    describeError?: (error: unknown) => string;
    /**
     * The consumer's mapping policy: dead letters it could only reject again are left where they are, with
     * their reason, and counted (`unretryable`). Without it every matching message is moved.
     */
    policy?: MappingPolicy;
  },
): Promise<LoopResult> {
  const { dlqUrl, blockQueueUrl, reason, rate } = options;
  const held = new Map<string, string>();
  const result: LoopResult = {
    moved: 0,
    skipped: 0,
    arrivedDuring: 0,
    notDeleted: 0,
    interrupted: false,
    unretryable: 0,
    unretryableByReason: {},
  };
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  // Ctrl-C stops between batches and still hands held messages back (instead of hiding them for 15 min).
  process.once('SIGINT', onSignal);
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  const started = Date.now();
  const batchLimit = Math.max(1, Math.min(10, Math.floor(rate)));
  // Only what was dead-lettered before the redrive began is moved. A redriven message that fails again
  // comes back as a new message; moving that one too would cycle it (and Hood calls) until stopped.
  const matchesReason = (m: Message) =>
    Number(m.Attributes?.SentTimestamp ?? 0) <= started &&
    (reason === undefined || (attribute(m, 'reason') ?? NO_REASON_LABEL) === reason);
  const unretryable = new Set<string>();
  const isCandidate = (m: Message) => matchesReason(m) && !unretryable.has(m.MessageId!);
  try {
    await receiveUntilEmpty(
      sqs,
      dlqUrl,
      REDRIVE_HOLD_SECONDS,
      (message) => {
        const label = attribute(message, 'reason') ?? NO_REASON_LABEL;
        if (
          options.policy &&
          matchesReason(message) &&
          !retryability(message.Body ?? '', label, options.policy).retryable
        ) {
          if (!unretryable.has(message.MessageId!)) {
            unretryable.add(message.MessageId!);
            result.unretryable += 1;
            result.unretryableByReason[label] = (result.unretryableByReason[label] ?? 0) + 1;
          }
          held.set(message.MessageId!, message.ReceiptHandle!);
          return true;
        }
        if (!isCandidate(message)) {
          if (!held.has(message.MessageId!)) {
            if (Number(message.Attributes?.SentTimestamp ?? 0) > started) result.arrivedDuring += 1;
            else result.skipped += 1;
          }
          held.set(message.MessageId!, message.ReceiptHandle!);
        }
        return true;
      },
      async (batch) => {
        const matching = batch.filter(isCandidate);
        for (let i = 0; i < matching.length; ) {
          if (signal.aborted) {
            result.interrupted = true;
            for (const m of matching.slice(i)) held.set(m.MessageId!, m.ReceiptHandle!);
            return false;
          }
          const room = options.max === undefined ? batchLimit : Math.min(batchLimit, options.max - result.moved);
          if (room <= 0) {
            // --max reached: what was received beyond it goes back with the non-matching ones.
            for (const m of matching.slice(i)) held.set(m.MessageId!, m.ReceiptHandle!);
            return false;
          }
          const chunk = matching.slice(i, i + room);
          // Pace: the n-th message may leave no earlier than started + n / rate seconds.
          const due = started + ((result.moved + chunk.length - 1) / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, waitMs(due - Date.now())));
          try {
            await sendMessages(
              sqs,
              blockQueueUrl,
              chunk.map((m) => ({
                body: m.Body ?? '',
                attributes: {
                  correlation_id: attribute(m, 'correlation_id'),
                  redriven_from_reason: attribute(m, 'reason') ?? NO_REASON_LABEL,
                },
              })),
            );
          } catch (error) {
            result.error = `sending to ${blockQueueUrl} failed: ${error instanceof Error ? error.message : String(error)}`;
            for (const m of matching.slice(i)) held.set(m.MessageId!, m.ReceiptHandle!);
            return false;
          }
          result.moved += chunk.length;
          i += chunk.length;
          try {
            const out = await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: dlqUrl,
                Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
              }),
            );
            result.notDeleted += out.Failed?.length ?? 0;
          } catch {
            result.notDeleted += chunk.length;
          }
        }
        return options.max === undefined || result.moved < options.max;
      },
    );
  } catch (error) {
    result.error ??= `reading ${dlqUrl} failed: ${(options.describeError ?? errorMessage)(error)}`;
  } finally {
    process.removeListener('SIGINT', onSignal);
    await release(sqs, dlqUrl, [...held.values()]);
  }
  return result;
}

/**
 * Receives until a long poll comes back empty. `onMessage` sees every message (true = keep going);
 * `onBatch`, when given, then gets the batch (true = keep going). A message that reappears after its
 * visibility timeout is handed over again with its new receipt handle; callers dedupe by MessageId.
 */
async function receiveUntilEmpty(
  sqs: SQSClient,
  queueUrl: string,
  visibilitySeconds: number,
  onMessage: (message: Message) => boolean | Promise<boolean>,
  onBatch?: (batch: Message[]) => Promise<boolean>,
): Promise<void> {
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return;
    let more = true;
    for (const m of messages) {
      if (!(await onMessage(m))) more = false;
    }
    if (onBatch && !(await onBatch(messages))) return;
    if (!more) return;
  }
}

async function release(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const chunk = receiptHandles.slice(i, i + 10);
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
        }),
      );
    } catch {
      // Best effort: they become visible again on their own when the visibility timeout ends.
    }
  }
}

function sample(
  message: Message,
  policy: MappingPolicy,
  showContacts: boolean,
  verdict: ReturnType<typeof retryability>,
): DeadLetterSample {
  return {
    retryable: verdict.retryable,
    notRetryableBecause: verdict.retryable ? null : verdict.why,
    messageId: message.MessageId ?? '',
    contacts: contactsOf(message.Body ?? '', policy).map((c) => (showContacts ? c : maskContact(c))),
    detail: attribute(message, 'detail') ?? null,
    traceId: attribute(message, 'trace_id') ?? null,
    deadLetteredAt: attribute(message, 'dead_lettered_at') ?? null,
    source: attribute(message, 'source') ?? null,
    correlationId: attribute(message, 'correlation_id') ?? null,
    receiveCount: attribute(message, 'receive_count') ?? message.Attributes?.ApproximateReceiveCount ?? null,
  };
}

/** The contacts a body names, read with the consumer's own mapping (normalised message or AWS payload). */
function contactsOf(body: string, policy: MappingPolicy): string[] {
  const contacts: string[] = [];
  for (const d of mapQueueBody(body, policy)) {
    const contact = d.action === 'block' ? d.contact : d.action === 'reject' ? d.contact : undefined;
    if (contact !== undefined && contact !== '' && !contacts.includes(contact)) contacts.push(contact);
  }
  return contacts;
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One dead letter by its message id, received and held (hidden for the hold time) so that the caller can
 * act on it and delete it; every other message seen is handed back at once. Undefined when the queue holds
 * no such message (visible now).
 */
export async function takeDeadLetter(sqs: SQSClient, dlqUrl: string, messageId: string): Promise<Message | undefined> {
  const others = new Map<string, string>();
  let found: Message | undefined;
  try {
    await receiveUntilEmpty(sqs, dlqUrl, REDRIVE_HOLD_SECONDS, (message) => {
      if (message.MessageId === messageId) {
        found = message;
        return false;
      }
      others.set(message.MessageId!, message.ReceiptHandle!);
      return true;
    });
  } finally {
    await release(sqs, dlqUrl, [...others.values()]);
  }
  return found;
}

/** Hands a message taken with `takeDeadLetter` back (visible again at once). */
export async function returnDeadLetter(sqs: SQSClient, dlqUrl: string, message: Message): Promise<void> {
  await release(sqs, dlqUrl, [message.ReceiptHandle!]);
}

/** Deletes a message taken with `takeDeadLetter`. */
export async function deleteDeadLetter(sqs: SQSClient, dlqUrl: string, message: Message): Promise<void> {
  await sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: [{ Id: '0', ReceiptHandle: message.ReceiptHandle! }] }),
  );
}

/** The dead-letter attribute `name` of a received message (reason, detail, correlation_id, …). */
export function deadLetterAttribute(message: Message, name: string): string | undefined {
  return attribute(message, name);
}
