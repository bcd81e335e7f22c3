import { maskContact, redactContacts } from '../contact.js';
import type { LedgerStory } from '../ledger/types.js';
import { deadLetterAttributes, type DeadLetterInfo } from '../queue/sqs.js';
import type { OptInMessage } from '../queue/opt-in.js';
import type { SettleStep } from './settle.js';

/**
 * Someone opted back in (lib/queue/opt-in.ts). Hood's API cannot unblock, so an opt-in from someone the
 * ledger holds as blocked must reach a human: it is dead-lettered with the reason `resubscribed` (listed by
 * `dlq list`, alarmed on through the `resubscribed` metric), and the operator unblocks the contact in Hood's
 * UI (docs/operate.md "Resubscribed"). An opt-in from someone never blocked is counted and ignored with a reason;
 * without a durable ledger (LEDGER_TABLE) it is counted and logged (and dead-lettered when the in-memory ledger
 * still remembers the block). Nothing here can produce a block: no step calls Hood.
 */

/**
 * What the ledger says about the person who opted in: `no_ledger` when the consumer has none, or only the
 * in-memory one (without LEDGER_TABLE), which cannot tell "never blocked" from "blocked before a cold start".
 */
export type OptInStanding = 'blocked' | 'never_blocked' | 'no_ledger';

export const RESUBSCRIBED_REASON = 'resubscribed';

/** Blocked, being blocked (a lease), or ever blocked according to the contact's history. */
export function standingOf(story: LedgerStory | undefined): Exclude<OptInStanding, 'no_ledger'> {
  if (story === undefined) return 'never_blocked';
  if (story.status !== 'not_blocked' || story.hoodId !== undefined) return 'blocked';
  return story.events.some((e) => e.outcome === 'blocked' || e.outcome === 'already_blocked')
    ? 'blocked'
    : 'never_blocked';
}

export interface OptInRecord {
  messageId: string;
  body: string;
  correlationId: string;
  receiveCount: number;
}

/** The steps that settle one opt-in message (pure: `now` stamps the dead letter). */
export function settleOptIn(
  decoded: { ok: true; message: OptInMessage } | { ok: false; why: string },
  standing: OptInStanding,
  record: OptInRecord,
  now: number,
): SettleStep[] {
  const ctx = { messageId: record.messageId, correlationId: record.correlationId, receiveCount: record.receiveCount };
  const base = {
    sourceMessageId: record.messageId,
    correlationId: record.correlationId,
    receiveCount: record.receiveCount,
  };
  const stamp = (info: DeadLetterInfo) => ({
    ...deadLetterAttributes(info),
    dead_lettered_at: new Date(now).toISOString(),
  });
  if (!decoded.ok) {
    return [
      {
        kind: 'dead_letter',
        messages: [
          { body: record.body, attributes: stamp({ reason: 'malformed_message', detail: decoded.why, ...base }) },
        ],
      },
      { kind: 'count', outcome: 'dead_lettered', n: 1 },
      {
        kind: 'log',
        level: 'warn',
        message: 'Dead-lettered',
        fields: { ...ctx, outcome: 'dead_lettered', reason: 'malformed_message', detail: decoded.why },
      },
    ];
  }
  const m = decoded.message;
  const fields = {
    ...ctx,
    source: redactContacts(m.source),
    signal: redactContacts(m.signal),
    contact: maskContact(m.optIn.contact),
  };
  if (standing === 'never_blocked') {
    return [
      { kind: 'count', outcome: 'ignored', n: 1 },
      {
        kind: 'log',
        level: 'info',
        message: 'Ignored: opt-in from someone never blocked',
        fields: { ...fields, outcome: 'ignored', reason: 'opt_in_not_blocked' },
      },
    ];
  }
  if (standing === 'no_ledger') {
    return [
      { kind: 'count', outcome: 'resubscribed', n: 1 },
      {
        kind: 'log',
        level: 'warn',
        message: 'Opt-in received; without LEDGER_TABLE it cannot be matched to a block: check Hood',
        fields: { ...fields, outcome: 'resubscribed' },
      },
    ];
  }
  const detail = `${m.signal} from ${m.source} after a block: unblock the contact in Hood's UI if they asked to hear from you again`;
  return [
    {
      kind: 'dead_letter',
      messages: [
        { body: record.body, attributes: stamp({ reason: RESUBSCRIBED_REASON, detail, source: m.source, ...base }) },
      ],
    },
    { kind: 'count', outcome: 'resubscribed', n: 1 },
    {
      kind: 'log',
      level: 'warn',
      message: 'Resubscribed: a blocked contact opted back in; unblock in Hood',
      fields: { ...fields, outcome: 'resubscribed', reason: RESUBSCRIBED_REASON },
    },
  ];
}
