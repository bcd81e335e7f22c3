import type { SQSClient } from '@aws-sdk/client-sqs';
import { type Env, loadPolicyConfig } from '../lib/config.js';
import {
  deadLetterAttribute,
  deleteDeadLetter,
  deleteLoop,
  latestTask,
  type Peeked,
  peekDeadLetters,
  redriveLoop,
  returnDeadLetter,
  startMoveTask,
  takeDeadLetter,
} from '../lib/dlq/loops.js';
import { blockReasonOf, recipientsOf } from '../lib/dlq/retryable.js';
import { maskContact, normaliseContact } from '../lib/contact.js';
import { encodeMessage } from '../lib/queue/message.js';
import { sendMessages } from '../lib/queue/sqs.js';
import { type Reason, ReasonSchema } from '../lib/types.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlags, parseFlagsAndOperands } from './shared/parse-command.js';
import { plural, table, writeJson, writeLine } from './shared/output.js';
import { didYouMean } from './shared/suggest.js';
import {
  createQueueClient,
  describeAwsError,
  NO_QUEUE_MESSAGE,
  QUEUE_HELP,
  QUEUE_OPTIONS,
  type QueueFlags,
  type QueueTarget,
  readQueueArn,
  readQueueDepth,
  requireBlockQueueUrl,
  resolveDeadLetterQueueUrl,
  resolveQueueTarget,
} from './shared/queues.js';

export const HELP = `Usage: hood-blocker dlq <list|redrive|resolve|purge> [options]

  list      dead letters grouped by reason, with counts, how many are retryable, and up to 3 samples
            each. Reading does not delete: messages are hidden for a moment while read, then visible again.
  redrive   move dead letters back to the block queue for another try. Only retryable ones move: a dead
            letter the consumer could only reject again (the webhook's invalid_contact or
            ambiguous_recipient record, a malformed message) stays where it is, with its reason, and is
            counted.
  resolve   settle one ambiguous_recipient dead letter: block the recipient(s) you name (queued on the
            block queue), then delete the dead letter. Asks first.
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

resolve options (hood-blocker dlq resolve <message id> --block CONTACT [--block CONTACT …]):
  --block CONTACT     a recipient to block; repeat for several. When the dead letter holds the provider's
                      event, only its recipients are accepted
  --reason R          block reason (default: the event's kind, complaint/hard_bounce/suppressed)
  --yes               do not ask

purge options:
  --reason R          only messages dead-lettered with this reason; default: all
  --yes               do not ask (scripts); without it the count and reasons are shown and "yes" is asked
                      for on stdin (no answer: nothing is deleted)

Common options:
  --bulk              the bulk lane: its dead-letter queue, redriven to the bulk queue
  --json              one JSON object on stdout
  -h, --help          this help

${QUEUE_HELP}

How redrive moves messages: against AWS without --reason, an SQS message move task (StartMessageMoveTask,
rate-capped; it keeps message attributes). With --reason, or for the local pipeline, hood-blocker reads,
filters, sends each body unchanged to the block queue (attribute redriven_from_reason) and deletes it from
the dead-letter queue, at the same rate cap.

Reasons: invalid_contact, malformed_message, unrecognised_event (the message itself is wrong: fix the
producer; not retryable), ambiguous_recipient (several recipients, none named: "dlq resolve"),
hood_rejected (Hood said 400), retries_exhausted (Hood was down too long), redrive_policy (no reason
attribute: SQS moved it after maxReceiveCount receives).

Exit codes: 0 done · 1 a queue call failed, or an answer other than "yes" · 2 usage`;

/** Messages without a `reason` attribute were moved by SQS's redrive policy, not by the consumer. */
const DEFAULT_LIST_MAX = 1000;
const DEFAULT_RATE_PER_SECOND = 2;
const MAX_MOVE_TASK_RATE = 500;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    writeLine(io.stdout, HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') return list(rest, io);
  if (sub === 'redrive') return redrive(rest, io);
  if (sub === 'purge') return purge(rest, io);
  if (sub === 'resolve') return resolve(rest, io);
  throw new UsageError(
    `unknown subcommand "${sub}"${didYouMean(sub, ['list', 'redrive', 'resolve', 'purge'])}: use "dlq list", "dlq redrive", "dlq resolve" or "dlq purge"`,
  );
}

async function list(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, io, HELP, {
    ...QUEUE_OPTIONS,
    bulk: { type: 'boolean' },
    'show-contacts': { type: 'boolean' },
    max: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const max = positiveInt(values.max, '--max') ?? DEFAULT_LIST_MAX;
  const target = await laneTarget(values, io.env);
  return withDeadLetterQueue(target, async (sqs, dlqUrl) => {
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
    if (!result.complete)
      out(`Read ${listed} of them${listed >= max ? ` (--max ${max})` : ''}; counts below cover those.`);
    for (const group of sorted) {
      out();
      const notRetryable = group.count - group.retryable;
      out(
        `${group.reason}: ${group.count}${notRetryable === 0 ? ' (retryable)' : group.retryable === 0 ? ' (not retryable)' : ` (${group.retryable} retryable, ${notRetryable} not)`}`,
      );
      for (const s of group.samples) {
        out(
          `  - ${s.contacts.length > 0 ? s.contacts.slice(0, 2).join(', ') + (s.contacts.length > 2 ? ` (+${s.contacts.length - 2})` : '') : '(no contact found in the body)'}`,
        );
        const rows: [string, string][] = [];
        if (s.detail) rows.push(['detail', s.detail]);
        if (!s.retryable && s.notRetryableBecause) rows.push(['redrive', `not retryable: ${s.notRetryableBecause}`]);
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
    out(
      'Replay: hood-blocker dlq redrive [--reason R] (same queue flags); it moves the retryable ones only. Fix the cause first: a redriven message that fails the same way comes back here.',
    );
    if (sorted.some((g) => g.reason === 'ambiguous_recipient'))
      out('Settle ambiguous_recipient: hood-blocker dlq resolve <message id> --block CONTACT');
    return 0;
  });
}

async function redrive(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, io, HELP, {
    ...QUEUE_OPTIONS,
    bulk: { type: 'boolean' },
    reason: { type: 'string' },
    rate: { type: 'string' },
    max: { type: 'string' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const rate = parseRate(values.rate);
  const max = positiveInt(values.max, '--max');
  const reason = reasonFilter(values.reason);
  const target = await laneTarget(values, io.env);
  const blockQueueUrl = requireBlockQueueUrl(target);
  return withDeadLetterQueue(target, async (sqs, dlqUrl) => {
    const policy = loadPolicyConfig(io.env);
    if (reason === undefined && max === undefined && !target.local) {
      // A move task moves everything: only when every dead letter is retryable (all read, none rejected again).
      const depth = await withAwsErrors(() => readQueueDepth(sqs, dlqUrl), target);
      const peeked = await withAwsErrors(() => peekDeadLetters(sqs, dlqUrl, { max: DEFAULT_LIST_MAX, policy }), target);
      const allRetryable = peeked.listed >= depth.visible && peeked.groups.every((g) => g.retryable === g.count);
      if (allRetryable) {
        const moved = await tryMoveTask(sqs, target, dlqUrl, rate, values.wait === true, io, values.json === true);
        if (moved !== 'unsupported') return moved;
      }
    }
    const result = await redriveLoop(sqs, {
      dlqUrl,
      blockQueueUrl,
      reason,
      rate,
      max,
      policy,
      describeError: (error) => describeAwsError(error, target),
    });
    const summary = { mode: 'copy', dlqUrl, blockQueueUrl, reason: reason ?? null, ratePerSecond: rate, ...result };
    if (values.json) writeJson(io.stdout, summary);
    else {
      const what = reason ? `with reason ${reason}` : 'of every reason';
      writeLine(
        io.stdout,
        `Moved ${plural(result.moved, 'dead letter')} ${what} from ${dlqUrl} to ${blockQueueUrl} (at most ${rate}/s).`,
      );
      if (reason && result.skipped > 0)
        writeLine(io.stdout, `Left ${result.skipped} with other reasons where they were.`);
      if (result.unretryable > 0) {
        const by = Object.entries(result.unretryableByReason)
          .map(([r, n]) => `${n} ${r}`)
          .join(', ');
        writeLine(
          io.stdout,
          `Skipped ${plural(result.unretryable, 'dead letter')} that can never succeed (${by}): kept with their reason; see "dlq list".`,
        );
      }
      if (result.arrivedDuring > 0) {
        writeLine(
          io.stdout,
          `${plural(result.arrivedDuring, 'message')} arrived in the dead-letter queue while this ran (likely redriven ones failing again): left there; see "dlq list".`,
        );
      }
      if (result.notDeleted > 0) {
        writeLine(
          io.stdout,
          `${plural(result.notDeleted, 'message')} reached the block queue but could not be deleted from the dead-letter queue: they may be redriven twice (safe; at worst Hood is asked twice for the same contact).`,
        );
      }
      if (result.error) writeLine(io.stderr, `hood-blocker dlq redrive: stopped early: ${result.error}`);
      if (result.interrupted)
        writeLine(io.stderr, 'hood-blocker dlq redrive: interrupted; the rest is still in the dead-letter queue.');
    }
    return result.error ? 1 : 0;
  });
}

/**
 * Deletes what was dead-lettered before the purge began (optionally one reason only), by receive and
 * delete rather than SQS PurgeQueue: PurgeQueue also deletes messages that arrive during its minute,
 * dead letters the operator was never shown.
 */
async function purge(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, io, HELP, {
    ...QUEUE_OPTIONS,
    bulk: { type: 'boolean' },
    reason: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const reason = reasonFilter(values.reason);
  const target = await laneTarget(values, io.env);
  return withDeadLetterQueue(target, async (sqs, dlqUrl) => {
    const peeked = await withAwsErrors(
      () => peekDeadLetters(sqs, dlqUrl, { max: DEFAULT_LIST_MAX, policy: loadPolicyConfig(io.env) }),
      target,
    );
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
      else
        writeLine(
          io.stdout,
          `Nothing to purge: no ${reason ? `dead letters with reason ${reason}` : 'dead letters'} in ${dlqUrl}.`,
        );
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
    if (values.json)
      writeJson(io.stdout, { ...summary(result.deleted, false), ...(result.error ? { error: result.error } : {}) });
    else {
      writeLine(
        io.stdout,
        `Deleted ${plural(result.deleted, 'dead letter')}${reason ? ` with reason ${reason}` : ''} from ${dlqUrl}.`,
      );
      if (result.arrivedDuring > 0)
        writeLine(
          io.stdout,
          `${plural(result.arrivedDuring, 'message')} dead-lettered while this ran: kept (see "dlq list").`,
        );
      if (result.error) writeLine(io.stderr, `hood-blocker dlq purge: stopped early: ${result.error}`);
    }
    return result.error ? 1 : 0;
  });
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
  const destinationArn =
    target.blockQueueArn ?? (await withAwsErrors(() => readQueueArn(sqs, target.blockQueueUrl!), target));
  const perSecond = Math.max(1, Math.min(MAX_MOVE_TASK_RATE, Math.floor(rate)));
  let taskHandle: string | undefined;
  try {
    const started = await startMoveTask(sqs, {
      sourceArn,
      destinationArn,
      perSecond,
      customEndpoint: Boolean(target.endpoint),
    });
    if (started === 'unsupported') return 'unsupported';
    taskHandle = started.taskHandle;
  } catch (error) {
    throw new Error(`StartMessageMoveTask failed: ${describeAwsError(error, target)}`);
  }
  let task = await latestTask(sqs, sourceArn);
  if (!json) {
    writeLine(io.stdout, `Started an SQS message move task from ${sourceArn} to ${destinationArn} at ${perSecond}/s.`);
    writeLine(
      io.stdout,
      `About ${task?.ApproximateNumberOfMessagesToMove ?? '?'} messages to move. Task handle: ${taskHandle ?? '?'}`,
    );
    if (!wait)
      writeLine(
        io.stdout,
        `It runs in AWS; follow it with --wait, or: aws sqs list-message-move-tasks --source-arn ${sourceArn}`,
      );
  }
  while (wait && task && task.Status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 5000));
    task = await latestTask(sqs, sourceArn);
    if (!json && task)
      writeLine(
        io.stdout,
        `  ${task.Status}: ${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? '?'} moved`,
      );
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

/**
 * The lane's dead-letter queue for one subcommand: a client for the lane's queues (destroyed after) and
 * the dead-letter queue's URL (given, or found through the block queue's redrive policy).
 */
async function withDeadLetterQueue<T>(
  target: QueueTarget,
  use: (sqs: SQSClient, dlqUrl: string) => Promise<T>,
): Promise<T> {
  const sqs = createQueueClient(target);
  try {
    const dlqUrl = await withAwsErrors(() => resolveDeadLetterQueueUrl(sqs, target), target);
    return await use(sqs, dlqUrl);
  } finally {
    sqs.destroy();
  }
}

/** `--reason R` of redrive and purge: only the dead letters of that reason; not given, all of them. */
function reasonFilter(value: string | undefined): string | undefined {
  const reason = value?.trim();
  if (reason === '') throw new UsageError('--reason needs a reason label (see "hood-blocker dlq list")');
  return reason;
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
  if (!(n > 0) || n > MAX_MOVE_TASK_RATE)
    throw new UsageError(
      `--rate "${value}" must be messages per second, above 0 and at most ${MAX_MOVE_TASK_RATE} (e.g. 2 or 2/s)`,
    );
  return n;
}

/** The queues a dlq command works on: the block lane's, or with --bulk the bulk lane's. */
async function laneTarget(flags: QueueFlags & { bulk?: boolean | undefined }, env: Env): Promise<QueueTarget> {
  const target = await resolveQueueTarget(flags, env);
  if (target === undefined) throw new UsageError(NO_QUEUE_MESSAGE);
  if (flags.bulk !== true) return target;
  if (target.bulkDeadLetterQueueUrl === undefined) {
    throw new UsageError(
      `no bulk dead-letter queue in ${target.description}: use --stack NAME or --local, or set BULK_DEAD_LETTER_QUEUE_URL`,
    );
  }
  return {
    ...target,
    blockQueueUrl: target.bulkQueueUrl,
    deadLetterQueueUrl: target.bulkDeadLetterQueueUrl,
    blockQueueArn: undefined,
    deadLetterQueueArn: undefined,
  };
}

/**
 * `dlq resolve <message id> --block CONTACT…`: an operator settles an ambiguous_recipient dead letter by
 * naming who opted out. The contacts go on the block queue as ordinary block requests (the consumer, the
 * ledger and the pacing treat them like any opt-out), and only then is the dead letter deleted: a failure
 * in between leaves it where it was.
 */
async function resolve(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, {
    ...QUEUE_OPTIONS,
    bulk: { type: 'boolean' },
    block: { type: 'string', multiple: true },
    reason: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(
      'expected one message id (see "hood-blocker dlq list"): dlq resolve <message id> --block CONTACT',
    );
  const messageId = positionals[0]!;
  const picked = (values.block ?? [])
    .flatMap((b) => b.split(','))
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (picked.length === 0) throw new UsageError('name the recipient(s) to block: --block CONTACT (repeat for several)');
  const contacts: string[] = [];
  for (const raw of picked) {
    const n = normaliseContact(raw);
    if (!n.ok)
      throw new UsageError(`--block ${maskContact(raw)}: not an email address or a phone number (${n.detail})`);
    if (!contacts.includes(n.contact)) contacts.push(n.contact);
  }
  let givenReason: Reason | undefined;
  if (values.reason !== undefined) {
    const parsed = ReasonSchema.safeParse(values.reason.trim());
    if (!parsed.success)
      throw new UsageError(
        `--reason "${values.reason}" is not a block reason${didYouMean(values.reason, ReasonSchema.options)}; one of: ${ReasonSchema.options.join(', ')}`,
      );
    givenReason = parsed.data;
  }
  const target = await laneTarget(values, io.env);
  const queueUrl = requireBlockQueueUrl(target);
  return withDeadLetterQueue(target, async (sqs, dlqUrl) => {
    const message = await withAwsErrors(() => takeDeadLetter(sqs, dlqUrl, messageId), target);
    if (message === undefined)
      throw new UsageError(
        `no dead letter ${messageId} in ${dlqUrl} (see "hood-blocker dlq list"; one being read elsewhere is hidden for a while)`,
        1,
      );
    let settled = false;
    try {
      const reasonAttr = deadLetterAttribute(message, 'reason');
      if (reasonAttr !== 'ambiguous_recipient') {
        throw new UsageError(
          `dead letter ${messageId} has reason ${reasonAttr ?? 'redrive_policy'}, not ambiguous_recipient: "dlq redrive" gives it another try`,
        );
      }
      const body = message.Body ?? '';
      const detail = deadLetterAttribute(message, 'detail');
      const recipients = recipientsOf(body)
        ?.map((r) => normaliseContact(r))
        .flatMap((r) => (r.ok ? [r.contact] : []));
      if (recipients !== undefined) {
        // Never block someone the event did not name: a typo would block a stranger, for good.
        const strangers = contacts.filter((c) => !recipients.includes(c));
        if (strangers.length > 0) {
          throw new UsageError(
            `${strangers.map(maskContact).join(', ')} ${strangers.length === 1 ? 'is' : 'are'} not among the event's recipients (${recipients.map(maskContact).join(', ')})`,
          );
        }
      }
      const reason = givenReason ?? blockReasonOf(body, detail);
      if (reason === undefined)
        throw new UsageError(
          'the dead letter does not say what kind of event it was: pass --reason (complaint, hard_bounce, …)',
        );
      const original = parseRecord(body);
      const source =
        deadLetterAttribute(message, 'source') ??
        (typeof original.source === 'string' ? original.source : 'dlq-resolve');
      const eventId = typeof original.eventId === 'string' ? original.eventId : undefined;
      if (values.yes !== true) {
        writeLine(
          io.stderr,
          `About to block ${contacts.map(maskContact).join(', ')} (${reason}, source ${source}) for dead letter ${messageId}:`,
        );
        if (detail) writeLine(io.stderr, `  ${detail}`);
        if (recipients === undefined)
          writeLine(
            io.stderr,
            "  The dead letter does not list the event's recipients: check them against the provider's record of the event.",
          );
        writeLine(io.stderr, 'A block in Hood cannot be undone.');
        io.stderr.write('Type "yes" to queue them and delete the dead letter: ');
        const answer = await readAnswer(io.stdin);
        if (answer?.trim().toLowerCase() !== 'yes') {
          if (values.json) writeJson(io.stdout, { messageId, queued: 0, cancelled: true });
          else writeLine(io.stdout, 'Cancelled: nothing was queued, the dead letter is still there.');
          return 1;
        }
      }
      const description = `resolved by an operator from dead letter ${messageId}${detail ? `: ${detail}` : ''}`;
      await withAwsErrors(
        () =>
          sendMessages(
            sqs,
            queueUrl,
            contacts.map((contact) => ({
              body: encodeMessage({
                contact,
                reason,
                source,
                description: [...description].slice(0, 2000).join(''),
                ...(eventId ? { eventId } : {}),
              }),
              attributes: { correlation_id: deadLetterAttribute(message, 'correlation_id'), resolved_from: messageId },
            })),
          ),
        target,
      );
      await withAwsErrors(() => deleteDeadLetter(sqs, dlqUrl, message), target);
      settled = true;
      if (values.json)
        writeJson(io.stdout, {
          messageId,
          queued: contacts.length,
          queueUrl,
          reason,
          contacts: contacts.map(maskContact),
          deleted: true,
        });
      else
        writeLine(
          io.stdout,
          `Queued ${plural(contacts.length, 'contact')} (${contacts.map(maskContact).join(', ')}) on ${queueUrl} and deleted dead letter ${messageId}.`,
        );
      return 0;
    } finally {
      if (!settled) await returnDeadLetter(sqs, dlqUrl, message);
    }
  });
}

function parseRecord(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
