import { unwrapQueueBody } from '../envelopes/sqs.js';
import { isRecord } from '../providers/shared/map.js';
import { mapQueueBody, type MappingPolicy } from '../mapping/index.js';
import type { Reason } from '../types.js';

/**
 * Whether redriving a dead letter can do anything: the consumer reads a redriven body with the same
 * mapping as any other (`mapQueueBody`). A body it can only reject again (the webhook's own
 * `invalid_contact` or `ambiguous_recipient` record, a malformed message) would come back as a new dead
 * letter under a new reason, `malformed_message`, and the diagnosis would be lost; such dead letters stay
 * where they are, with their reason, and `dlq redrive` counts them instead. Pure: table-tested.
 */
export type Retryability =
  | { retryable: true }
  | {
      retryable: false;
      /** One line for `dlq list` and `dlq redrive`: why it can never succeed, and what to do instead. */
      why: string;
    };

export function retryability(body: string, reason: string, policy: MappingPolicy): Retryability {
  const decisions = mapQueueBody(body, policy);
  if (decisions.some((d) => d.action !== 'reject')) return { retryable: true };
  if (reason === 'ambiguous_recipient') {
    return {
      retryable: false,
      why: 'no single recipient to block: settle it with "dlq resolve <message id> --block CONTACT"',
    };
  }
  if (reason === 'resubscribed') {
    // An opt-in (lib/consumer/opt-in.ts) is never a block: a person decides in Hood, then removes it.
    return {
      retryable: false,
      why: "a blocked contact opted back in: unblock them in Hood's UI if they asked for it (docs/operate.md), then purge it",
    };
  }
  const again = decisions[0]?.action === 'reject' ? decisions[0].reason : 'malformed_message';
  return {
    retryable: false,
    why: `the consumer would reject it again (${again}): fix the producer and send it anew, or purge it`,
  };
}

/**
 * The recipients a dead letter names, when its body holds the provider's own event (an SES notification
 * on the queue, through SNS or raw; a Resend event): `dlq resolve` only blocks one of these. The webhook's
 * compact record of an ambiguous event names none: undefined then.
 */
export function recipientsOf(body: string): string[] | undefined {
  const unwrapped = unwrapQueueBody(body);
  if (unwrapped.kind !== 'aws') return undefined;
  let payload = unwrapped.payload;
  // An SNS envelope (non-raw delivery) carries the SES notification as a JSON string.
  if (isRecord(payload) && typeof payload.Message === 'string') {
    try {
      payload = JSON.parse(payload.Message);
    } catch {
      return undefined;
    }
  }
  if (isRecord(payload) && isRecord(payload.detail)) payload = payload.detail;
  if (!isRecord(payload)) return undefined;
  const found: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string' && value.trim() !== '' && !found.includes(value.trim())) found.push(value.trim());
  };
  const complaint = payload.complaint;
  if (isRecord(complaint) && Array.isArray(complaint.complainedRecipients)) {
    for (const r of complaint.complainedRecipients) if (isRecord(r)) add(r.emailAddress);
  }
  const bounce = payload.bounce;
  if (isRecord(bounce) && Array.isArray(bounce.bouncedRecipients)) {
    for (const r of bounce.bouncedRecipients) if (isRecord(r)) add(r.emailAddress);
  }
  if (found.length === 0 && isRecord(payload.mail) && Array.isArray(payload.mail.destination))
    payload.mail.destination.forEach(add);
  if (found.length === 0 && isRecord(payload.data) && Array.isArray(payload.data.to)) payload.data.to.forEach(add);
  return found.length === 0 ? undefined : found;
}

/**
 * The block reason an ambiguous dead letter stands for: the event's kind, as its body or detail names it
 * (SES "complaint", Resend "email.bounced"/"suppressed"); undefined when neither says (the operator passes
 * --reason then).
 */
export function blockReasonOf(body: string, detail: string | undefined): Reason | undefined {
  const text = `${body} ${detail ?? ''}`.toLowerCase();
  if (/complain/u.test(text)) return 'complaint';
  if (/suppress/u.test(text)) return 'suppressed';
  if (/bounce/u.test(text)) return 'hard_bounce';
  return undefined;
}
