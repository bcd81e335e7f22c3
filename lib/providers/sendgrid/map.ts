import type { Decision } from '../../types.js';
import {
  block,
  dedupe,
  detail,
  eachEvent,
  eventIdOf,
  ignore,
  isoFromUnix,
  isRecord,
  type JsonRecord,
  optIn,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import { classifySmtp } from '../shared/smtp.js';
import type { MappingPolicy } from '../types.js';

/**
 * SendGrid Event Webhook (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event):
 * the body is a JSON array of
 * events `{email, timestamp (unix s), event, sg_event_id, sg_message_id, …}`; contact = `email`.
 * Decisions are made on `event` (and, for bounces, `type`), never on the SMTP text in `reason`/`status`.
 */
const SOURCE = 'sendgrid';

// "dropped" reasons (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event#delivery-events)
// naming an address SendGrid already suppresses (its Bounces, Unsubscribes,
// Spam Reports and Invalid Emails lists). "Invalid SMTPAPI header", "Spam Content",
// "Recipient List over Package Quota" are about the message or the account, not the recipient.
const SUPPRESSED_DROP_REASONS = new Set([
  'bounced address',
  'unsubscribed address',
  'spam reporting address',
  'invalid',
]);

// Bounce and block classifications
// (https://www.twilio.com/docs/sendgrid/ui/analytics-and-reporting/bounce-and-block-classifications):
// these four name a cause on the sender's side (server trouble, content, sender reputation, volume).
const SENDER_SIDE_CLASSIFICATIONS = new Set(['technical', 'content', 'reputation', 'frequency or volume']);

// Delivery and engagement events that say nothing about consent (event.md).
const NOT_OPT_OUT = new Set(['processed', 'deferred', 'delivered', 'open', 'click']);

export function mapSendgrid(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapEvent));
}

function mapEvent(event: unknown): Decision[] {
  if (!isRecord(event) || typeof event.event !== 'string')
    return [reject('unrecognised_event', SOURCE, 'not a SendGrid event (no "event" field)')];
  const eventId = eventIdOf(event.sg_event_id);
  const extras = { eventId, occurredAt: isoFromUnix(event.timestamp) };
  const name = event.event;
  switch (name) {
    case 'bounce':
      return [mapBounce(event, extras)];
    case 'dropped': {
      const reason = trimmed(event.reason);
      if (reason !== undefined && SUPPRESSED_DROP_REASONS.has(reason.toLowerCase())) {
        return [block(event.email, 'suppressed', SOURCE, { ...extras, description: detail('dropped', reason) })];
      }
      return [ignore('dropped_not_suppressed', SOURCE, detail('dropped', reason), eventId)];
    }
    // Engagement events (…/tracking-events/event#engagement-events): "spamreport: Recipient marked message
    // as spam" and "unsubscribe: Recipient clicked on the 'Opt Out of All Emails' link" are the recipient's own action.
    case 'spamreport':
      return [block(event.email, 'complaint', SOURCE, { ...extras, description: 'spam report' })];
    case 'unsubscribe':
      // event.md: "Recipient clicked on the 'Opt Out of All Emails' link".
      return [block(event.email, 'unsubscribe', SOURCE, { ...extras, description: 'opted out of all emails' })];
    case 'group_unsubscribe':
      // Scoped to one ASM unsubscribe group: blocks only if BLOCK_REASONS includes group_unsubscribe.
      return [
        block(event.email, 'group_unsubscribe', SOURCE, {
          ...extras,
          description: detail('unsubscribe group', text(event.asm_group_id)),
        }),
      ];
    case 'group_resubscribe':
      // "group_resubscribe: Recipient resubscribes to a specific group": never a block; it reaches a human,
      // who may unblock the address in Hood (Hood's API cannot unblock).
      return [
        optIn(event.email, 'group_resubscribe', SOURCE, detail('unsubscribe group', text(event.asm_group_id)), extras),
      ];
    default:
      return [ignore(NOT_OPT_OUT.has(name) ? name : 'not_an_opt_out_event', SOURCE, detail(`event=${name}`), eventId)];
  }
}

/**
 * `bounce` events (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event#delivery-events):
 * "type - indicates whether the bounce event was a hard bounce (type=bounce) or block (type=blocked)"; a
 * block is "temporary". A hard bounce blocks unless SendGrid's `bounce_classification` or the SMTP status
 * puts the cause on the sender's side (reputation, content, volume, technical; an X.7 policy code): those
 * are permanent for this message, not for the address. Older payloads have neither: SendGrid's verdict
 * stands. A full mailbox is a soft bounce (count-only), whichever type carries it.
 */
function mapBounce(
  event: JsonRecord,
  extras: { eventId: string | undefined; occurredAt: string | undefined },
): Decision {
  const type = trimmed(event.type)?.toLowerCase() ?? 'bounce';
  const classification = trimmed(event.bounce_classification)?.toLowerCase();
  const reply = { enhanced: trimmed(event.status), text: trimmed(event.reason) };
  const verdict = classifySmtp(reply);
  const description = detail(
    type === 'bounce' ? 'bounce' : `bounce type=${type}`,
    trimmed(event.reason),
    trimmed(event.status),
    classification && `classified ${trimmed(event.bounce_classification)}`,
  );
  const senderSide =
    (classification !== undefined && SENDER_SIDE_CLASSIFICATIONS.has(classification)) || verdict === 'other';
  if (!senderSide && verdict === 'mailbox') {
    // Keyed by the sent message: soft bounces count once per distinct message.
    return block(event.email, 'soft_bounce', SOURCE, {
      ...extras,
      eventId: eventIdOf(event.sg_message_id, event.sg_event_id),
      description,
    });
  }
  if (type === 'blocked') return ignore('blocked_bounce', SOURCE, description, extras.eventId);
  if (type !== 'bounce') return ignore('not_a_hard_bounce', SOURCE, detail(`bounce type=${type}`), extras.eventId);
  if (senderSide) return ignore('not_recipient_address', SOURCE, description, extras.eventId);
  return block(event.email, 'hard_bounce', SOURCE, {
    ...extras,
    description: detail('bounce', trimmed(event.reason), trimmed(event.status)),
  });
}
