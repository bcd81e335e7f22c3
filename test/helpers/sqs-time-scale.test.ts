import { describe, expect, it } from 'vitest';
import { scaledSeconds, scaleSqsSeconds } from './sqs-time-scale.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const parsed = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

describe('the tests’ SQS time scale', () => {
  it('divides a wait by the scale, keeping 0 as 0 and any asked-for wait at least 1 s', () => {
    // Act
    const scaled = [0, 1, 2, 15, 60, 900].map((s) => scaledSeconds(s, 10));

    // Assess
    expect(scaled).toEqual([0, 1, 1, 2, 6, 90]);
  });

  it('scales every entry’s DelaySeconds of a SendMessageBatch and leaves its bodies alone', () => {
    // Prepare
    const entries = [
      { Id: '0', MessageBody: '{"a":15}', DelaySeconds: 15 },
      { Id: '1', MessageBody: 'x' },
    ];
    const body = json({ QueueUrl: 'q', Entries: entries });

    // Act
    const out = parsed(scaleSqsSeconds('SendMessageBatch', body, 10));

    // Assess
    expect(out).toEqual({ QueueUrl: 'q', Entries: [{ ...entries[0], DelaySeconds: 2 }, entries[1]] });
  });

  it('scales the VisibilityTimeout of a ChangeMessageVisibility', () => {
    // Prepare
    const body = json({ ReceiptHandle: 'h', VisibilityTimeout: 40 });

    // Act
    const out = parsed(scaleSqsSeconds('ChangeMessageVisibility', body, 10));

    // Assess
    expect(out.VisibilityTimeout).toBe(4);
  });

  it('passes any other action, and a scale of 1, through byte for byte', () => {
    // Prepare
    const receive = json({ QueueUrl: 'q', VisibilityTimeout: 30, WaitTimeSeconds: 1 });
    const send = json({ QueueUrl: 'q', MessageBody: 'x', DelaySeconds: 15 });

    // Act
    const outs = [scaleSqsSeconds('ReceiveMessage', receive, 10), scaleSqsSeconds('SendMessage', send, 1)];

    // Assess
    expect(outs).toEqual([receive, send]);
  });
});
