import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { loadPolicyConfig } from '../lib/config.js';
import { maskContact } from '../lib/contact.js';
import { sendMessages } from '../lib/queue/sqs.js';
import { waitMs } from '../lib/pacing/timer-ms.js';
import { mapQueueBody, type MappingPolicy } from '../lib/sources/index.js';
import { type CliIo, parseArgs, UsageError } from './main.js';
import { plural, table, writeJson, writeLine } from './shared/output.js';
import { didYouMean } from './shared/suggest.js';
import {
  createQueueClient,
  describeAwsError,
  NO_QUEUE_MESSAGE,
  QUEUE_HELP,
  QUEUE_OPTIONS,
  type QueueTarget,
  readQueueArn,
  readQueueDepth,
  requireBlockQueueUrl,
  resolveDeadLetterQueueUrl,
  resolveQueueTarget,
} from './shared/queues.js';

export const HELP = `Usage: hood-blocker dlq <list|redrive|purge> [options]

  list      dead letters grouped by reason, with counts and up to 3 samples each. Reading does not delete:
            messages are hidden for a moment while read, then made visible again.
  redrive   move dead letters back to the block queue for another try.
  purge     delete dead letters for good (asks first). The opt-outs in them are then lost: fix and
            redrive what can be fixed before purging the rest.

list options:
  --show-contacts     show contacts in full (default: masked, j***@e***.com)
  --max N             read at most N messages (default 1000)

redrive options:
  --reason R          only messages dead-lettered with this reason (see "dlq list"); default: all
  --rate N            messages per second, at most (default 2, below Hood's 150/min)
  --max N             move at most N messages (uses the copy loop below, not a move task)
  --wait              AWS move task: wait until it has finished, reporting progress

purge options:
  --reason R          only messages dead-lettered with this reason; default: all
  --yes               do not ask (scripts); without it the count and reasons are shown and "yes" is asked
                      for on stdin (no answer: nothing is deleted)

Common options:
  --json              one JSON object on stdout
  -h, --help          this help

${QUEUE_HELP}

How redrive moves messages: against AWS without --reason, an SQS message move task (StartMessageMoveTask,
rate-capped; it keeps message attributes). With --reason, or for the local pipeline, hood-blocker reads,
filters, sends each body unchanged to the block queue (attribute redriven_from_reason) and deletes it from
the dead-letter queue, at the same rate cap.

Reasons: invalid_contact, malformed_message, unrecognised_event (the message itself is wrong: fix the
producer, redriving repeats the failure), hood_rejected (Hood said 400), retries_exhausted (Hood was down
too long), redrive_policy (no reason attribute: SQS moved it after maxReceiveCount receives).

Exit codes: 0 done · 1 a queue call failed · 2 usage`;

/** Messages without a `reason` attribute were moved by SQS's redrive policy, not by the consumer. */
export const NO_REASON_LABEL = 'redrive_policy';
const SAMPLES_PER_REASON = 3;
const DEFAULT_LIST_MAX = 1000;
const DEFAULT_RATE_PER_SECOND = 2;
const MAX_MOVE_TASK_RATE = 500;
// Long enough to read a large DLQ in one pass; the messages are released explicitly at the end anyway,
// so this only matters if the CLI dies mid-way (they come back on their own after it).
const LIST_VISIBILITY_SECONDS = 60;
// Non-matching messages are held invisible while a filtered redrive runs, so that receives move on to
// other messages; 15 min bounds how long they stay hidden if the CLI is killed.
const REDRIVE_HOLD_SECONDS = 900;
const RECEIVE_WAIT_SECONDS = 1;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    writeLine(io.stdout, HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') return list(rest, io);
  if (sub === 'redrive') return redrive(rest, io);
  if (sub === 'purge') return purge(rest, io);
  throw new UsageError(`unknown subcommand "${sub}"${didYouMean(sub, ['list', 'redrive', 'purge'])}: use "dlq list", "dlq redrive" or "dlq purge"`);
}

interface DeadLetterSample {
  messageId: string;
  contacts: string[];
  detail: string | null;
  traceId: string | null;
  deadLetteredAt: string | null;
  source: string | null;
  correlationId: string | null;
  receiveCount: string | null;
}

interface ReasonGroup {
  reason: string;
  count: number;
  samples: DeadLetterSample[];
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      ...QUEUE_OPTIONS,
      'show-contacts': { type: 'boolean' },
      max: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  const max = positiveInt(values.max, '--max') ?? DEFAULT_LIST_MAX;
  const target = await resolveQueueTarget(values, io.env);
  if (target === undefined) throw new UsageError(NO_QUEUE_MESSAGE);
  const sqs = createQueueClient(target);
  try {
    const dlqUrl = await withAwsErrors(() => resolveDeadLetterQueueUrl(sqs, target), target);
    const depth = await withAwsErrors(() => readQueueDepth(sqs, dlqUrl), target);
    const approximateTotal = depth.visible + depth.inFlight + depth.delayed;
    const policy = loadPolicyConfig(io.env);
    let peeked: Peeked;
    try {
      peeked = await peekDeadLetters(sqs, dlqUrl, { max, policy, showContacts: values['show-contacts'] === true });
    } catch (error) {
      throw new Error(`reading ${dlqUrl} failed: ${describeAwsError(error, target)}`);
    }
    const { listed, groups: sorted } = peeked;
    const result = { queueUrl: dlqUrl, approximateTotal, listed, complete: listed >= approximateTotal, groups: sorted };
    if (values.json) {
      writeJson(io.stdout, result);
      return 0;
    }
    const out = (line = '') => writeLine(io.stdout, line);
    out(`Dead-letter queue ${dlqUrl} (${target.description}): ${plural(approximateTotal, 'message')}.`);
    if (listed === 0) {
      out('Nothing to look at.');
      return 0;
    }
    if (!result.complete) out(`Read ${listed} of them${listed >= max ? ` (--max ${max})` : ''}; counts below cover those.`);
    for (const group of sorted) {
      out();
      out(`${group.reason}: ${group.count}`);
      for (const s of group.samples) {
        out(
          `  - ${s.contacts.length > 0 ? s.contacts.slice(0, 2).join(', ') + (s.contacts.length > 2 ? ` (+${s.contacts.length - 2})` : '') : '(no contact found in the body)'}`,
        );
        const rows: [string, string][] = [];
        if (s.detail) rows.push(['detail', s.detail]);
        if (s.source) rows.push(['source', s.source]);
        if (s.traceId) rows.push(['trace_id', s.traceId]);
        if (s.deadLetteredAt) rows.push(['dead-lettered', s.deadLetteredAt]);
        if (s.correlationId) rows.push(['correlation', s.correlationId]);
        rows.push(['message', s.messageId]);
        out(table(rows, '      '));
      }
    }
    out();
    if (values['show-contacts'] !== true) out('Contacts are masked; --show-contacts shows them.');
    out('Replay: hood-blocker dlq redrive [--reason R] (same queue flags). Fix the cause first: a redriven message that fails the same way comes back here.');
    return 0;
  } finally {
    sqs.destroy();
  }
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
export async function peekDeadLetters(sqs: SQSClient, dlqUrl: string, options: { max: number; policy: MappingPolicy; showContacts?: boolean }): Promise<Peeked> {
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
      const group = groups.get(reason) ?? { reason, count: 0, samples: [] };
      groups.set(reason, group);
      group.count += 1;
      if (group.samples.length < SAMPLES_PER_REASON) group.samples.push(sample(message, options.policy, options.showContacts === true));
      return seen.size < options.max;
    });
  } finally {
    // Hand the messages back at once instead of leaving them hidden for the visibility timeout.
    await release(sqs, dlqUrl, [...seen.values()]);
  }
  return { listed: seen.size, groups: [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)) };
}

async function redrive(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      ...QUEUE_OPTIONS,
      reason: { type: 'string' },
      rate: { type: 'string' },
      max: { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  const rate = parseRate(values.rate);
  const max = positiveInt(values.max, '--max');
  const reason = values.reason?.trim();
  if (reason === '') throw new UsageError('--reason needs a reason label (see "hood-blocker dlq list")');
  const target = await resolveQueueTarget(values, io.env);
  if (target === undefined) throw new UsageError(NO_QUEUE_MESSAGE);
  const blockQueueUrl = requireBlockQueueUrl(target);
  const sqs = createQueueClient(target);
  try {
    const dlqUrl = await withAwsErrors(() => resolveDeadLetterQueueUrl(sqs, target), target);
    if (reason === undefined && max === undefined && !target.local) {
      const moved = await tryMoveTask(sqs, target, dlqUrl, rate, values.wait === true, io, values.json === true);
      if (moved !== 'unsupported') return moved;
    }
    const result = await redriveLoop(sqs, target, { dlqUrl, blockQueueUrl, reason, rate, max });
    const summary = { mode: 'copy', dlqUrl, blockQueueUrl, reason: reason ?? null, ratePerSecond: rate, ...result };
    if (values.json) writeJson(io.stdout, summary);
    else {
      const what = reason ? `with reason ${reason}` : 'of every reason';
      writeLine(io.stdout, `Moved ${plural(result.moved, 'dead letter')} ${what} from ${dlqUrl} to ${blockQueueUrl} (at most ${rate}/s).`);
      if (reason && result.skipped > 0) writeLine(io.stdout, `Left ${result.skipped} with other reasons where they were.`);
      if (result.arrivedDuring > 0) {
        writeLine(
          io.stdout,
          `${plural(result.arrivedDuring, 'message')} arrived in the dead-letter queue while this ran (likely redriven ones failing again): left there; see "dlq list".`,
        );
      }
      if (result.notDeleted > 0) {
        writeLine(io.stdout, `${plural(result.notDeleted, 'message')} reached the block queue but could not be deleted from the dead-letter queue: they may be redriven twice (safe; at worst Hood is asked twice for the same contact).`);
      }
      if (result.error) writeLine(io.stderr, `hood-blocker dlq redrive: stopped early: ${result.error}`);
      if (result.interrupted) writeLine(io.stderr, 'hood-blocker dlq redrive: interrupted; the rest is still in the dead-letter queue.');
    }
    return result.error ? 1 : 0;
  } finally {
    sqs.destroy();
  }
}

/**
 * Deletes what was dead-lettered before the purge began (optionally one reason only), by receive and
 * delete rather than SQS PurgeQueue: PurgeQueue also deletes messages that arrive during its minute,
 * dead letters the operator was never shown.
 */
async function purge(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      ...QUEUE_OPTIONS,
      reason: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  const reason = values.reason?.trim();
  if (reason === '') throw new UsageError('--reason needs a reason label (see "hood-blocker dlq list")');
  const target = await resolveQueueTarget(values, io.env);
  if (target === undefined) throw new UsageError(NO_QUEUE_MESSAGE);
  const sqs = createQueueClient(target);
  try {
    const dlqUrl = await withAwsErrors(() => resolveDeadLetterQueueUrl(sqs, target), target);
    const peeked = await withAwsErrors(() => peekDeadLetters(sqs, dlqUrl, { max: DEFAULT_LIST_MAX, policy: loadPolicyConfig(io.env) }), target);
    const matching = peeked.groups.filter((g) => reason === undefined || g.reason === reason);
    const count = matching.reduce((n, g) => n + g.count, 0);
    const what = `${plural(count, 'dead letter')}${reason ? ` with reason ${reason}` : ''}`;
    const summary = (deleted: number, cancelled: boolean) => ({
      queueUrl: dlqUrl,
      reason: reason ?? null,
      found: count,
      byReason: Object.fromEntries(matching.map((g) => [g.reason, g.count])),
      deleted,
      cancelled,
    });
    if (count === 0) {
      if (values.json) writeJson(io.stdout, summary(0, false));
      else writeLine(io.stdout, `Nothing to purge: no ${reason ? `dead letters with reason ${reason}` : 'dead letters'} in ${dlqUrl}.`);
      return 0;
    }
    if (values.yes !== true) {
      // The question goes to stderr so that --json keeps stdout to the one JSON document.
      writeLine(io.stderr, `About to delete ${what} from ${dlqUrl} (${target.description}):`);
      writeLine(io.stderr, table(matching.map((g) => [g.reason, String(g.count)] as const)));
      writeLine(io.stderr, 'The opt-outs in them are lost for good ("dlq redrive" gives them another try instead).');
      io.stderr.write('Type "yes" to delete them: ');
      const answer = await readAnswer(io.stdin);
      if (answer?.trim().toLowerCase() !== 'yes') {
        if (values.json) writeJson(io.stdout, summary(0, true));
        else writeLine(io.stdout, 'Cancelled: nothing was deleted.');
        return 1;
      }
    }
    const result = await deleteLoop(sqs, dlqUrl, reason);
    if (values.json) writeJson(io.stdout, { ...summary(result.deleted, false), ...(result.error ? { error: result.error } : {}) });
    else {
      writeLine(io.stdout, `Deleted ${plural(result.deleted, 'dead letter')}${reason ? ` with reason ${reason}` : ''} from ${dlqUrl}.`);
      if (result.arrivedDuring > 0) writeLine(io.stdout, `${plural(result.arrivedDuring, 'message')} dead-lettered while this ran: kept (see "dlq list").`);
      if (result.error) writeLine(io.stderr, `hood-blocker dlq purge: stopped early: ${result.error}`);
    }
    return result.error ? 1 : 0;
  } finally {
    sqs.destroy();
  }
}

async function deleteLoop(sqs: SQSClient, dlqUrl: string, reason: string | undefined): Promise<{ deleted: number; arrivedDuring: number; error?: string }> {
  const started = Date.now();
  const held = new Map<string, string>();
  let deleted = 0;
  let arrivedDuring = 0;
  const isCandidate = (m: Message) => Number(m.Attributes?.SentTimestamp ?? 0) <= started && (reason === undefined || (attribute(m, 'reason') ?? NO_REASON_LABEL) === reason);
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
        const out = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }));
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

/** One line from stdin; undefined when it ends first (a pipe, CI): no answer is never a yes. */
async function readAnswer(stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return undefined;
  } finally {
    rl.close();
  }
}

/**
 * AWS: one StartMessageMoveTask with a rate cap. SQS does the moving server-side (and survives the CLI
 * exiting). Returns 'unsupported' when the endpoint does not implement move tasks (an emulator).
 */
async function tryMoveTask(
  sqs: SQSClient,
  target: QueueTarget,
  dlqUrl: string,
  rate: number,
  wait: boolean,
  io: CliIo,
  json: boolean,
): Promise<number | 'unsupported'> {
  const sourceArn = target.deadLetterQueueArn ?? (await withAwsErrors(() => readQueueArn(sqs, dlqUrl), target));
  const destinationArn = target.blockQueueArn ?? (await withAwsErrors(() => readQueueArn(sqs, target.blockQueueUrl!), target));
  const perSecond = Math.max(1, Math.min(MAX_MOVE_TASK_RATE, Math.floor(rate)));
  let taskHandle: string | undefined;
  try {
    const out = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn, MaxNumberOfMessagesPerSecond: perSecond }));
    taskHandle = out.TaskHandle;
  } catch (error) {
    if (error instanceof Error && /InvalidAction|UnknownOperation|UnsupportedOperation|Unknown action|not supported/iu.test(`${error.name} ${error.message}`) && target.endpoint) {
      return 'unsupported';
    }
    throw new Error(`StartMessageMoveTask failed: ${describeAwsError(error, target)}`);
  }
  let task = await latestTask(sqs, sourceArn);
  if (!json) {
    writeLine(io.stdout, `Started an SQS message move task from ${sourceArn} to ${destinationArn} at ${perSecond}/s.`);
    writeLine(io.stdout, `About ${task?.ApproximateNumberOfMessagesToMove ?? '?'} messages to move. Task handle: ${taskHandle ?? '?'}`);
    if (!wait) writeLine(io.stdout, `It runs in AWS; follow it with --wait, or: aws sqs list-message-move-tasks --source-arn ${sourceArn}`);
  }
  while (wait && task && task.Status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 5000));
    task = await latestTask(sqs, sourceArn);
    if (!json && task) writeLine(io.stdout, `  ${task.Status}: ${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? '?'} moved`);
  }
  const failed = task?.Status === 'FAILED';
  if (json) {
    writeJson(io.stdout, {
      mode: 'move_task',
      taskHandle: taskHandle ?? null,
      sourceArn,
      destinationArn,
      ratePerSecond: perSecond,
      status: task?.Status ?? null,
      approximateToMove: task?.ApproximateNumberOfMessagesToMove ?? null,
      moved: task?.ApproximateNumberOfMessagesMoved ?? null,
      ...(failed ? { error: task?.FailureReason ?? 'failed' } : {}),
    });
  } else if (failed) {
    writeLine(io.stderr, `hood-blocker dlq redrive: the move task failed: ${task?.FailureReason ?? 'no reason given'}`);
  }
  return failed ? 1 : 0;
}

/** The newest move task of the queue; undefined when it cannot be read (the task itself runs regardless). */
async function latestTask(sqs: SQSClient, sourceArn: string) {
  try {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    return out.Results?.[0];
  } catch {
    return undefined;
  }
}

interface LoopResult {
  moved: number;
  /** Seen but not matching `--reason`: left in the dead-letter queue. */
  skipped: number;
  /** Dead-lettered after the redrive began (often a redriven message failing again): left where it is. */
  arrivedDuring: number;
  notDeleted: number;
  interrupted: boolean;
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
  target: QueueTarget,
  options: { dlqUrl: string; blockQueueUrl: string; reason: string | undefined; rate: number; max: number | undefined; signal?: AbortSignal },
): Promise<LoopResult> {
  const { dlqUrl, blockQueueUrl, reason, rate } = options;
  const held = new Map<string, string>();
  const result: LoopResult = { moved: 0, skipped: 0, arrivedDuring: 0, notDeleted: 0, interrupted: false };
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  // Ctrl-C stops between batches and still hands held messages back (instead of hiding them for 15 min).
  process.once('SIGINT', onSignal);
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  const started = Date.now();
  const batchLimit = Math.max(1, Math.min(10, Math.floor(rate)));
  // Only what was dead-lettered before the redrive began is moved. A redriven message that fails again
  // comes back as a new message; moving that one too would cycle it (and Hood calls) until stopped.
  const isCandidate = (m: Message) =>
    Number(m.Attributes?.SentTimestamp ?? 0) <= started && (reason === undefined || (attribute(m, 'reason') ?? NO_REASON_LABEL) === reason);
  try {
    await receiveUntilEmpty(
      sqs,
      dlqUrl,
      REDRIVE_HOLD_SECONDS,
      (message) => {
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
              new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }),
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
    result.error ??= `reading ${dlqUrl} failed: ${describeAwsError(error, target)}`;
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

function sample(message: Message, policy: MappingPolicy, showContacts: boolean): DeadLetterSample {
  return {
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

async function withAwsErrors<T>(fn: () => Promise<T>, target: QueueTarget): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new Error(describeAwsError(error, target));
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1`);
  return n;
}

/** `--rate 2`, `--rate 2/s`, `--rate 0.5/s`. */
function parseRate(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RATE_PER_SECOND;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/u.exec(value);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(n > 0) || n > MAX_MOVE_TASK_RATE) throw new UsageError(`--rate "${value}" must be messages per second, above 0 and at most ${MAX_MOVE_TASK_RATE} (e.g. 2 or 2/s)`);
  return n;
}
