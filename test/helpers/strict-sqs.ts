import type { SendMessageBatchCommand, SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';

/**
 * An SQS client double at the network edge that refuses exactly what real SQS refuses in a SendMessageBatch
 * (Amazon SQS API Reference, SendMessage and SendMessageBatch), and fails the WHOLE call for one bad entry, as
 * real SQS does:
 * - a character outside `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF` in a body or a String
 *   attribute value (U+FFFE, U+FFFF, a lone surrogate, a C0 control) → `InvalidMessageContents`;
 * - an empty String attribute value, more than 10 attributes → `InvalidParameterValue`;
 * - one message, or the batch together, over 256 KiB (body + attribute names, types and values) →
 *   `InvalidParameterValue` / `BatchRequestTooLong`; more than 10 entries → `TooManyEntriesInBatchRequest`.
 * Unlike the local emulator, it accepts characters beyond U+FFFF (as real SQS does). What it accepts is kept
 * in memory per queue URL, or handed to `delegate` (a real client for fauxqs), so both rule sets apply.
 */

const MAX_BYTES = 262_144;

/** Real SQS's character set, judged by code point (a lone surrogate is not a code point it takes). */
export function sqsRefuses(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const ok =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) return true;
  }
  return false;
}

class SqsClientFault extends Error {
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function entryBytes(e: SendMessageBatchRequestEntry): number {
  let n = Buffer.byteLength(e.MessageBody ?? '', 'utf8');
  for (const [name, v] of Object.entries(e.MessageAttributes ?? {}))
    n += Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '', 'utf8');
  return n;
}

/** Throws as real SQS answers a batch it refuses; returns nothing when it would accept every entry. */
export function checkBatchLikeSqs(entries: readonly SendMessageBatchRequestEntry[]): void {
  if (entries.length > 10)
    throw new SqsClientFault('TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.');
  let total = 0;
  for (const e of entries) {
    if (sqsRefuses(e.MessageBody ?? ''))
      throw new SqsClientFault('InvalidMessageContents', 'Invalid binary character in the message body.');
    const attributes = Object.entries(e.MessageAttributes ?? {});
    if (attributes.length > 10)
      throw new SqsClientFault('InvalidParameterValue', 'Number of message attributes exceeds 10.');
    for (const [, v] of attributes) {
      if (v.DataType === 'String' && (v.StringValue === undefined || v.StringValue === ''))
        throw new SqsClientFault('InvalidParameterValue', 'Message attribute value must not be empty.');
      if (sqsRefuses(v.StringValue ?? ''))
        throw new SqsClientFault('InvalidMessageContents', 'Invalid binary character in a message attribute value.');
    }
    const bytes = entryBytes(e);
    if (bytes > MAX_BYTES)
      throw new SqsClientFault('InvalidParameterValue', `Message must be shorter than ${MAX_BYTES} bytes.`);
    total += bytes;
  }
  if (total > MAX_BYTES)
    throw new SqsClientFault('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_BYTES} bytes.`);
}

export interface StrictSqs {
  client: SQSClient;
  /** Entries accepted, per queue URL (only without a delegate). */
  accepted: Map<string, SendMessageBatchRequestEntry[]>;
  /** SendMessageBatch calls refused as a whole. */
  refusedCalls(): number;
  calls(): number;
}

export function strictSqs(delegate?: SQSClient): StrictSqs {
  const accepted = new Map<string, SendMessageBatchRequestEntry[]>();
  let refused = 0;
  let calls = 0;
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      if (command.constructor.name !== 'SendMessageBatchCommand') {
        if (delegate) return delegate.send(command as never);
        throw new Error(`strictSqs: ${command.constructor.name} is not modelled`);
      }
      calls += 1;
      const input = (command as SendMessageBatchCommand).input;
      const entries = input.Entries ?? [];
      try {
        checkBatchLikeSqs(entries);
      } catch (error) {
        refused += 1;
        throw error;
      }
      if (delegate) return delegate.send(command as never);
      const list = accepted.get(input.QueueUrl!) ?? [];
      list.push(...entries);
      accepted.set(input.QueueUrl!, list);
      return {
        Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
        Failed: [],
      };
    },
    destroy: () => undefined,
  };
  return { client: client as unknown as SQSClient, accepted, refusedCalls: () => refused, calls: () => calls };
}
