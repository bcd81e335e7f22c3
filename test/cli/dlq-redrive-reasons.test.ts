import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { loadPolicyConfig } from '../../lib/config.js';
import { blockReasonOf, recipientsOf, retryability } from '../../lib/dlq/retryable.js';
import { encodeMessage, encodeRejected } from '../../lib/queue/message.js';
import { deadLetterAttributes, sendMessages } from '../../lib/queue/sqs.js';
import { mapQueueBody } from '../../lib/mapping/index.js';
import type { RejectDecision, RejectReason } from '../../lib/types.js';
import { attribute, receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir, writeStateFor } from './helpers.js';

// Redrive keeps the diagnosis: a webhook dead letter (the ingress's compact record of a rejected event) can
// never succeed on the block queue, so `dlq redrive` leaves it where it is, with its reason, and counts it;
// `dlq resolve` settles an ambiguous_recipient one by the operator's pick.

const WEBHOOK_REASONS: readonly RejectReason[] = [
  'invalid_contact',
  'ambiguous_recipient',
  'unrecognised_event',
  'malformed_message',
];
const POLICY = loadPolicyConfig({});

/** What the webhook ingress puts on the dead-letter queue for a rejected event (lib/webhook/ingress.ts). */
function webhookDeadLetter(d: RejectDecision) {
  return {
    body: encodeRejected(d),
    attributes: deadLetterAttributes({
      reason: d.reason,
      detail: d.detail,
      source: d.source,
      correlationId: `corr-${d.reason}`,
    }),
  };
}

const REJECTS: RejectDecision[] = [
  {
    action: 'reject',
    reason: 'invalid_contact',
    source: 'twilio',
    contact: '12345',
    detail: 'short code, not a phone number',
    eventId: 'SM1',
  },
  {
    action: 'reject',
    reason: 'ambiguous_recipient',
    source: 'resend',
    detail: 'bounce on a message to 2 recipients; Resend does not say which one',
    eventId: 'msg_2',
  },
  {
    action: 'reject',
    reason: 'unrecognised_event',
    source: 'sparkpost',
    detail: 'unknown event type',
    eventId: 'ev-3',
  },
  { action: 'reject', reason: 'malformed_message', source: 'generic', detail: 'body is not JSON' },
];
const RETRYABLE = encodeMessage({ contact: 'retry.me@example.com', reason: 'hard_bounce', source: 'ses' });

/** A raw SES complaint naming two recipients (SES notification contents, "complaint object"). */
const SES_COMPLAINT_TWO = JSON.stringify({
  notificationType: 'Complaint',
  complaint: {
    complainedRecipients: [{ emailAddress: 'ann@example.com' }, { emailAddress: 'ben@example.com' }],
    timestamp: '2026-12-01T10:00:00.000Z',
    feedbackId: 'feedback-1',
  },
  mail: {
    messageId: 'ses-msg-1',
    timestamp: '2026-12-01T09:59:00.000Z',
    source: 'news@sender.example',
    destination: ['ann@example.com', 'ben@example.com'],
  },
});

let queues: LocalQueues;
let sqs: SQSClient;
let dir: ReturnType<typeof tempDir>;
const local = () => ['--local', '--state-dir', join(dir.path, '.hood-blocker')];

beforeEach(async () => {
  queues = await startLocalQueues();
  sqs = sqsClientFor(queues);
  dir = tempDir();
  writeStateFor(join(dir.path, '.hood-blocker'), queues);
});

afterEach(async () => {
  sqs.destroy();
  await queues.stop();
  dir.remove();
});

describe('dlq redrive keeps the diagnosis of webhook dead letters', () => {
  it.each(WEBHOOK_REASONS)(
    'leaves a webhook %s dead letter where it is, with its reason, and counts it as skipped',
    async (reason) => {
      // Prepare
      const reject = REJECTS.find((r) => r.reason === reason)!;
      await sendMessages(sqs, queues.deadLetterQueueUrl, [
        webhookDeadLetter(reject),
        { body: RETRYABLE, attributes: deadLetterAttributes({ reason: 'retries_exhausted' }) },
      ]);

      // Act
      const result = await runCli(['dlq', 'redrive', '--rate', '100', ...local(), '--json']);

      // Assess
      expect(JSON.parse(result.stdout)).toMatchObject({
        moved: 1,
        unretryable: 1,
        unretryableByReason: { [reason]: 1 },
      });
      expect((await receiveAll(sqs, queues.blockQueueUrl)).map((m) => m.Body)).toEqual([RETRYABLE]);
      const kept = await receiveAll(sqs, queues.deadLetterQueueUrl);
      expect(kept.map((m) => [m.Body, attribute(m, 'reason')])).toEqual([[encodeRejected(reject), reason]]);
    },
  );

  it('says how many it skipped and why, in words', async () => {
    // Prepare
    await sendMessages(sqs, queues.deadLetterQueueUrl, REJECTS.map(webhookDeadLetter));

    // Act
    const result = await runCli(['dlq', 'redrive', '--rate', '100', ...local()]);

    // Assess
    expect(result.stdout).toMatch(
      /Skipped 4 dead letters that can never succeed \(.*ambiguous_recipient.*\): kept with their reason/u,
    );
  });

  it('dlq list says which dead letters are retryable and how to settle an ambiguous one', async () => {
    // Prepare
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      webhookDeadLetter(REJECTS[1]!),
      { body: RETRYABLE, attributes: deadLetterAttributes({ reason: 'retries_exhausted' }) },
    ]);

    // Act
    const text = await runCli(['dlq', 'list', ...local()]);
    const json = await runCli(['dlq', 'list', ...local(), '--json']);

    // Assess
    expect(text.stdout).toMatch(/^ambiguous_recipient: 1 \(not retryable\)$/mu);
    expect(text.stdout).toMatch(/^retries_exhausted: 1 \(retryable\)$/mu);
    expect(text.stdout).toContain('dlq resolve');
    const groups = (
      JSON.parse(json.stdout) as { groups: { reason: string; retryable: number; samples: { retryable: boolean }[] }[] }
    ).groups;
    expect(groups.map((g) => [g.reason, g.retryable, g.samples[0]!.retryable]).sort()).toEqual([
      ['ambiguous_recipient', 0, false],
      ['retries_exhausted', 1, true],
    ]);
  });
});

describe('retryability (the class)', () => {
  const rejectDecision = fc.record({
    action: fc.constant('reject' as const),
    reason: fc.constantFrom(...WEBHOOK_REASONS),
    source: fc.constantFrom('ses', 'sendgrid', 'twilio', 'resend', 'generic', 'mailgun'),
    detail: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
    contact: fc.option(fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })), { nil: undefined }),
    eventId: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
  });

  it('no webhook reject record is ever retryable: the consumer could only dead-letter it again', () => {
    fc.assert(
      fc.property(rejectDecision, (d) => {
        expect(retryability(encodeRejected(d), d.reason, POLICY).retryable).toBe(false);
      }),
    );
  });

  it('retryable exactly when the consumer mapping yields something other than a reject', () => {
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.constantFrom('hard_bounce', 'complaint', 'unsubscribe', 'manual', 'soft_bounce'),
        (contact, reason) => {
          const body = encodeMessage({ contact, reason, source: 'ses' });
          const readable = mapQueueBody(body, POLICY).some((d) => d.action !== 'reject');
          expect(retryability(body, 'retries_exhausted', POLICY).retryable).toBe(readable);
        },
      ),
    );
  });

  it.each([
    [SES_COMPLAINT_TWO, ['ann@example.com', 'ben@example.com']],
    [JSON.stringify({ Type: 'Notification', Message: SES_COMPLAINT_TWO }), ['ann@example.com', 'ben@example.com']],
    [encodeRejected(REJECTS[1]!), undefined],
  ])('recipientsOf %#', (body, expected) => {
    expect(recipientsOf(body)).toEqual(expected);
  });

  it.each([
    ['complaint names 2 recipients; SES cannot tell which one complained', 'complaint'],
    ['bounce on a message to 2 recipients; Resend does not say which one', 'hard_bounce'],
    ['suppressed on a message to 3 recipients', 'suppressed'],
    ['', undefined],
  ])('blockReasonOf(%s)', (detail, expected) => {
    expect(blockReasonOf('{}', detail)).toBe(expected);
  });
});

describe('dlq resolve', () => {
  async function ambiguous(body: string, detail: string): Promise<string> {
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      {
        body,
        attributes: deadLetterAttributes({
          reason: 'ambiguous_recipient',
          detail,
          source: 'ses',
          correlationId: 'corr-a',
        }),
      },
    ]);
    const [m] = await receiveAll(sqs, queues.deadLetterQueueUrl, 1, 0);
    return m!.MessageId!;
  }

  it('queues the picked recipient as a complaint and deletes the dead letter', async () => {
    // Prepare
    const id = await ambiguous(SES_COMPLAINT_TWO, 'complaint names 2 recipients; SES cannot tell which one complained');

    // Act
    const result = await runCli(['dlq', 'resolve', id, '--block', 'Ben@Example.com', '--yes', ...local()]);

    // Assess
    expect(result.code).toBe(0);
    const queued = await receiveAll(sqs, queues.blockQueueUrl);
    expect(queued.map((m) => JSON.parse(m.Body!) as Record<string, string>)).toMatchObject([
      { contact: 'ben@example.com', reason: 'complaint', source: 'ses' },
    ]);
    expect(mapQueueBody(queued[0]!.Body!, POLICY)).toMatchObject([{ action: 'block', contact: 'ben@example.com' }]);
    expect(await receiveAll(sqs, queues.deadLetterQueueUrl)).toEqual([]);
  });

  it('refuses a contact the event did not name, and keeps the dead letter', async () => {
    // Prepare
    const id = await ambiguous(SES_COMPLAINT_TWO, 'complaint names 2 recipients');

    // Act
    const result = await runCli(['dlq', 'resolve', id, '--block', 'stranger@example.com', '--yes', ...local()]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not among the event');
    expect(await receiveAll(sqs, queues.blockQueueUrl)).toEqual([]);
    expect(await receiveAll(sqs, queues.deadLetterQueueUrl)).toHaveLength(1);
  });

  it('asks first for a webhook record that lists no recipients, and does nothing without "yes"', async () => {
    // Prepare
    const id = await ambiguous(encodeRejected(REJECTS[1]!), REJECTS[1]!.detail!);

    // Act
    const result = await runCli(['dlq', 'resolve', id, '--block', 'ann@example.com', ...local()], {}, 'no\n');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not list the event');
    expect(await receiveAll(sqs, queues.deadLetterQueueUrl)).toHaveLength(1);
  });
});
