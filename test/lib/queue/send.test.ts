import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  deadLetterAttributes,
  type OutgoingMessage,
  sendMessageReport,
  sendMessages,
  sendOrDeadLetter,
} from '../../../lib/queue/sqs.js';
import { sqsRefuses, strictSqs } from '../../helpers/strict-sqs.js';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/block';
const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq';

const messages = (n: number): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ body: JSON.stringify({ contact: `u${i}@example.com` }) }));

/** Real SQS's rules, plus one body SQS refuses whatever the encoder does (a whole-batch client fault, as real SQS). */
function poisoned(poison: (body: string) => boolean) {
  const strict = strictSqs();
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      if ((command.input.Entries ?? []).some((e) => poison(e.MessageBody ?? ''))) {
        throw Object.assign(new Error('Invalid binary character'), {
          name: 'InvalidMessageContents',
          $fault: 'client',
        });
      }
      return strict.client.send(command as never);
    },
    destroy: () => undefined,
  };
  return { client: client as unknown as SQSClient, accepted: strict.accepted };
}

describe('sending to SQS', () => {
  it('sends every other batch when one entry is refused, and reports that entry alone', async () => {
    // Prepare
    const sqs = poisoned((body) => body.includes('u870@'));

    // Act
    const report = await sendMessageReport(sqs.client, QUEUE, messages(1_000), { concurrency: 4, backoffMs: 0 });

    // Assess
    expect(report.sent).toBe(999);
    expect(report.failures).toEqual([
      { index: 870, code: 'InvalidMessageContents', detail: 'Invalid binary character', permanent: true },
    ]);
    expect(sqs.accepted.get(QUEUE)).toHaveLength(999);
  });

  it('dead-letters a refused entry alone, in ASCII, with the reason it could not be sent', async () => {
    // Prepare
    const sqs = poisoned((body) => body.includes('\u00e9'));
    const refused = {
      body: JSON.stringify({ contact: 'ren\u00e9@example.com' }),
      attributes: { correlation_id: 'c-1', source: 'sendgrid' },
    };

    // Act
    const report = await sendOrDeadLetter(sqs.client, QUEUE, DLQ, [...messages(15), refused], { backoffMs: 0 });

    // Assess
    const dead = sqs.accepted.get(DLQ)!;
    expect(report).toMatchObject({ sent: 15, unsent: [] });
    expect(report.deadLettered.map((f) => f.index)).toEqual([15]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.MessageBody).toBe('{"contact":"ren\\u00e9@example.com"}');
    expect(JSON.parse(dead[0]!.MessageBody!)).toEqual({ contact: 'ren\u00e9@example.com' });
    expect(dead[0]!.MessageAttributes).toMatchObject({
      reason: { StringValue: 'queue_rejected' },
      detail: { StringValue: 'InvalidMessageContents: Invalid binary character' },
      correlation_id: { StringValue: 'c-1' },
    });
  });

  it('packs batches by size as well as by count, so no SendMessageBatch is over 256 KiB', async () => {
    // Prepare: 10 bodies of 60 KB each fit one message each, never ten in one call.
    const sqs = strictSqs();
    const big = Array.from({ length: 10 }, (_, i) => ({
      body: JSON.stringify({ contact: `u${i}@example.com`, description: 'x'.repeat(60_000) }),
    }));

    // Act
    const report = await sendMessageReport(sqs.client, QUEUE, big, { backoffMs: 0 });

    // Assess
    expect(report).toEqual({ sent: 10, failures: [] });
    expect(sqs.refusedCalls()).toBe(0);
    expect(sqs.calls()).toBe(3);
  });

  it('dead-letters a message over the size limit, cut to fit, with reason message_too_large', async () => {
    // Prepare
    const sqs = strictSqs();
    const huge = { body: JSON.stringify({ contact: 'big@example.com', description: '\u00e9'.repeat(200_000) }) };

    // Act
    const report = await sendOrDeadLetter(sqs.client, QUEUE, DLQ, [huge], { backoffMs: 0 });

    // Assess
    const dead = sqs.accepted.get(DLQ)!;
    expect(report.deadLettered.map((f) => f.code)).toEqual(['message_too_large']);
    expect(dead[0]!.MessageAttributes?.reason?.StringValue).toBe('message_too_large');
    expect(dead[0]!.MessageBody!.startsWith('{"contact":"big@example.com","description":"\\u00e9')).toBe(true);
    expect(Buffer.byteLength(dead[0]!.MessageBody!)).toBeLessThanOrEqual(262_144);
  });

  it('sends a dead letter whose detail has an emoji across its 500-character cut (no lone surrogate)', async () => {
    // Prepare: Hood's or a provider's text, an emoji at characters 499–500.
    const sqs = strictSqs();
    const detail = `${'x'.repeat(499)}\u{1F4E7} and more`;

    // Act
    await sendMessages(sqs.client, DLQ, [
      { body: '{"contact":"x@"}', attributes: deadLetterAttributes({ reason: 'hood_rejected', detail }) },
    ]);

    // Assess
    const sent = sqs.accepted.get(DLQ)!;
    expect(sent).toHaveLength(1);
    expect(sqsRefuses(sent[0]!.MessageAttributes!.detail!.StringValue!)).toBe(false);
  });

  it('stops starting batches once SQS itself cannot be reached, and names the rest not attempted', async () => {
    // Prepare
    let calls = 0;
    const down = {
      send: async () => {
        calls += 1;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
      destroy: () => undefined,
    } as unknown as SQSClient;

    // Act
    const report = await sendMessageReport(down, QUEUE, messages(100), { attempts: 2, backoffMs: 0 });

    // Assess
    expect(calls).toBe(2);
    expect(report.sent).toBe(0);
    expect(report.failures.filter((f) => f.code === 'TimeoutError')).toHaveLength(10);
    expect(report.failures.filter((f) => f.code === 'not_attempted')).toHaveLength(90);
    expect(report.failures.every((f) => !f.permanent)).toBe(true);
  });
});
