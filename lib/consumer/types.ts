import type { CallOptions, CreateResult } from '../hood/client.js';
import type { BlockDecision } from '../types.js';

/** The subset of a Lambda SQS record the consumer reads. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string; SentTimestamp?: string; ApproximateFirstReceiveTimestamp?: string };
  messageAttributes?: Record<string, { stringValue?: string | undefined; dataType?: string } | undefined>;
  eventSourceARN?: string;
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export type LogFields = Record<string, unknown>;
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Outcome counters, published as CloudWatch metrics (EMF) by the handler. */
export type Outcome =
  | 'blocked'
  | 'already_blocked'
  | 'deduplicated'
  | 'ignored'
  | 'dead_lettered'
  | 'retried'
  | 'rate_limited'
  | 'unauthorized'
  | 'deferred'
  | 'ledger_unavailable'
  /** Someone opted back in (lib/consumer/opt-in.ts): a human decides whether to unblock them in Hood. */
  | 'resubscribed';

export interface HoodCreator {
  createBlockedContact(request: { contact: string; description: string }, options?: CallOptions): Promise<CreateResult>;
}

export type RetryKind = 'rate_limited' | 'unavailable' | 'unauthorized' | 'deferred' | 'ledger_unavailable';

/** What happened to one contact of a record: the input of the settle step. */
export type ContactResult =
  | {
      kind: 'done';
      outcome: 'blocked' | 'already_blocked' | 'deduplicated' | 'ignored';
      hoodId?: string;
      reason?: string;
      detail?: string;
    }
  | { kind: 'dead_letter'; reason: string; detail?: string; traceId?: string }
  | { kind: 'retry'; retry: RetryKind; delaySeconds: number; detail?: string };

/** One contact of a record and its result. */
export interface ContactOutcome {
  block: BlockDecision;
  result: ContactResult;
}
