import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config.js';
import { applySteps } from '../../../lib/consumer/apply.js';
import type { SettleStep } from '../../../lib/consumer/settle.js';
import { encodeMessage } from '../../../lib/queue/message.js';
import { strictSqs } from '../../helpers/strict-sqs.js';

/**
 * Issue 19 item 5, the consumer's sends: a re-queued copy SQS refuses for good is dead-lettered alone with
 * its reason, so the record's other copies stay sent and the record is not retried for it forever.
 */
const BLOCK = 'http://127.0.0.1:1/000000000000/block';
const DLQ = 'http://127.0.0.1:1/000000000000/dlq';
const config = loadConsumerConfig({ HOOD_API_TOKEN: 't', BLOCK_QUEUE_URL: BLOCK, DEAD_LETTER_QUEUE_URL: DLQ });

/** Real SQS's rules, and one more character it refuses whatever the encoder does (a whole-batch client fault). */
function refusing(poison: string) {
  const strict = strictSqs();
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      if ((command.input.Entries ?? []).some((e) => e.MessageBody?.includes(poison))) {
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

describe('consumer sends SQS refuses', () => {
  it('dead-letters a refused re-queued copy alone and keeps the others re-queued', async () => {
    // Prepare
    const sqs = refusing('\u00f6');
    const counted: Record<string, number> = {};
    const logs: string[] = [];
    const steps: SettleStep[] = [
      {
        kind: 'requeue',
        messages: [
          {
            body: encodeMessage({ contact: 'jane@example.com', reason: 'complaint', source: 'ses' }),
            attributes: { correlation_id: 'c-1', attempts: '0' },
          },
          {
            body: encodeMessage({ contact: 'j\u00f6rg@example.com', reason: 'complaint', source: 'ses' }),
            attributes: { correlation_id: 'c-1', attempts: '0' },
          },
        ],
      },
    ];
    const deps = {
      config,
      sqs: sqs.client,
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (m: string) => void logs.push(m),
      },
      count: (outcome: string, n = 1) => void (counted[outcome] = (counted[outcome] ?? 0) + n),
    };

    // Act
    const applied = await applySteps(steps, { receiptHandle: 'r-1' }, BLOCK, deps);

    // Assess
    const dead = sqs.accepted.get(DLQ)!;
    expect(applied.failed).toBe(false);
    expect(sqs.accepted.get(BLOCK)!.map((e) => JSON.parse(e.MessageBody!).contact)).toEqual(['jane@example.com']);
    expect(dead.map((e) => JSON.parse(e.MessageBody!).contact)).toEqual(['j\u00f6rg@example.com']);
    expect(dead[0]!.MessageAttributes?.reason?.StringValue).toBe('queue_rejected');
    expect(counted).toEqual({ dead_lettered: 1 });
    expect(logs).toEqual(['SQS refused a message; dead-lettered it alone']);
  });

  it('dead-letters a record body with an emoji and a Hood detail cut through another, as real SQS takes them', async () => {
    // Prepare: a record from real SQS (emoji allowed), its detail's 1,024-character cut falling inside an emoji.
    const sqs = strictSqs();
    const body = JSON.stringify({ contact: 'x@', description: 'bounce \u{1F4E7}' });
    const steps: SettleStep[] = [
      {
        kind: 'dead_letter',
        messages: [{ body, attributes: { reason: 'hood_rejected', detail: `${'y'.repeat(1023)}\u{1F4E7}` } }],
      },
    ];
    const deps = {
      config,
      sqs: sqs.client,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      count: () => undefined,
    };

    // Act
    await applySteps(steps, { receiptHandle: 'r-1' }, BLOCK, deps);

    // Assess
    const [dead] = sqs.accepted.get(DLQ)!;
    expect(JSON.parse(dead!.MessageBody!)).toEqual(JSON.parse(body));
    expect(sqs.refusedCalls()).toBe(0);
  });
});
