import type { Decision, Reason } from '../../types.js';
import {
  block,
  dedupe,
  detail,
  eachEvent,
  eventIdOf,
  ignore,
  isoFrom,
  isRecord,
  type JsonRecord,
  list,
  reject,
  trimmed,
} from '../shared/map.js';
import type { MappingPolicy } from '../types.js';

/**
 * Resend webhooks, delivered by Svix (resend-node
 * src/webhooks/interfaces/webhook-event.interface.ts): `{type, created_at, data}`.
 * - email.* events: contact = the one entry of `data.to[]` (which may be `Name <addr>`); with several, none:
 *   a person decides (`ambiguous_recipient`, see `fanOut`).
 *   `email.bounced` = "permanently rejected" (resend.com/docs/webhooks/emails/bounced); soft bounces arrive as
 *   `email.delivery_delayed`. Newer payloads add `bounce.type` with SES's vocabulary (Permanent, Transient,
 *   Undetermined: Resend sends through SES); an explicit Transient/Undetermined is not blocked, a missing
 *   type (2023 captures carry only `bounce.message`) is. `email.suppressed`: Resend did not send because the
 *   address is on its suppression list → `suppressed`.
 * - `suppression.added` (`data.email`, `origin` bounce|complaint|manual): labelled by origin.
 * - `contact.created`/`contact.updated` with `data.unsubscribed: true`: an audience unsubscribe.
 */
const SOURCE = 'resend';

const NOT_OPT_OUT: ReadonlyMap<string, string> = new Map([
  ['email.sent', 'sent'],
  ['email.scheduled', 'scheduled'],
  ['email.delivered', 'delivered'],
  ['email.delivery_delayed', 'delivery_delayed'],
  ['email.opened', 'opened'],
  ['email.clicked', 'clicked'],
  ['email.received', 'inbound_email'],
  // A send that failed on Resend's side (invalid API use, quota): nothing about the recipient.
  ['email.failed', 'send_failed'],
  ['suppression.removed', 'suppression_removed'],
  ['contact.deleted', 'contact_deleted'],
]);

export function mapResend(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapEvent));
}

function recipients(data: JsonRecord): unknown[] {
  return typeof data.to === 'string' ? [data.to] : list(data.to);
}

function mapEvent(event: unknown): Decision[] {
  if (!isRecord(event)) return [reject('unrecognised_event', SOURCE, 'a Resend webhook body is a JSON object')];
  const type = trimmed(event.type);
  if (type === undefined) return [reject('unrecognised_event', SOURCE, 'not a Resend event (no "type")')];
  const data = isRecord(event.data) ? event.data : {};
  const occurredAt = isoFrom(event.created_at) ?? isoFrom(data.created_at);
  switch (type) {
    case 'email.bounced': {
      const eventId = eventIdOf(data.email_id);
      const bounce = isRecord(data.bounce) ? data.bounce : {};
      const kind = trimmed(bounce.type);
      const sub = trimmed(bounce.subType);
      // Same vocabulary as SES (https://resend.com/docs/dashboard/emails/email-bounces): Transient/MailboxFull
      // is the count-only soft_bounce (keyed by email_id, the sent message); other Transient subtypes
      // (General includes auto-replies) never count.
      if (kind?.toLowerCase() === 'transient' && sub?.toLowerCase() === 'mailboxfull') {
        return fanOut(data, 'soft_bounce', {
          description: detail(`Transient/${sub}`, trimmed(bounce.message)),
          eventId,
          occurredAt,
        });
      }
      if (kind?.toLowerCase() === 'transient')
        return [ignore('transient_bounce', SOURCE, detail(`Transient/${sub ?? '?'}`), eventId)];
      if (kind?.toLowerCase() === 'undetermined')
        return [ignore('undetermined_bounce', SOURCE, detail(`Undetermined/${sub ?? '?'}`), eventId)];
      const description = detail(kind ? `bounced ${kind}/${sub ?? '?'}` : 'bounced', trimmed(bounce.message));
      return fanOut(data, 'hard_bounce', { description, eventId, occurredAt });
    }
    case 'email.complained':
      // The event carries the message's `to`, not who complained (resend.com/docs/dashboard/webhooks/event-types)
      // and nothing naming anyone: with several recipients `fanOut` leaves it to a person (ambiguous_recipient).
      return fanOut(data, 'complaint', {
        description: 'spam complaint',
        eventId: eventIdOf(data.email_id),
        occurredAt,
      });
    case 'email.suppressed': {
      const suppressed = isRecord(data.suppressed) ? data.suppressed : {};
      return fanOut(data, 'suppressed', {
        description: detail('suppressed', trimmed(suppressed.type), trimmed(suppressed.message)),
        eventId: eventIdOf(data.email_id),
        occurredAt,
      });
    }
    case 'suppression.added': {
      const origin = trimmed(data.origin);
      // origin manual: the account added it itself (the company's own suppression).
      const reason: Reason =
        origin === 'bounce'
          ? 'hard_bounce'
          : origin === 'complaint'
            ? 'complaint'
            : origin === 'manual'
              ? 'manual'
              : 'suppressed';
      return [
        block(data.email, reason, SOURCE, {
          description: detail('added to suppression list', origin && `origin ${origin}`),
          eventId: eventIdOf(data.id),
          occurredAt,
        }),
      ];
    }
    case 'contact.created':
    case 'contact.updated':
      if (data.unsubscribed !== true)
        return [ignore('contact_subscribed', SOURCE, detail(`${type} without unsubscribed=true`), eventIdOf(data.id))];
      return [
        block(data.email, 'unsubscribe', SOURCE, {
          description: detail('audience unsubscribe', trimmed(data.audience_id)),
          eventId: eventIdOf(data.id),
          occurredAt,
        }),
      ];
    default:
      return [
        ignore(
          NOT_OPT_OUT.get(type) ?? 'not_an_opt_out_event',
          SOURCE,
          detail(`type=${type}`),
          eventIdOf(data.email_id, data.id),
        ),
      ];
  }
}

/**
 * The recipients an event is about. `data.to` is the whole message's recipient list, not who bounced,
 * complained or was suppressed (resend.com/docs/webhooks/emails/bounced): with one recipient that is the one.
 * With several, Resend does not say which one, and the bounce or suppression `message` is text the receiving
 * server (or anyone who can make it reply) wrote: an address it quotes never picks whom to block, a block
 * that cannot be undone. Blocking every recipient would block people who did not bounce: a person decides
 * (`ambiguous_recipient`), as for complaints.
 */
function fanOut(
  data: JsonRecord,
  reason: Reason,
  extras: { description?: string | undefined; eventId?: string | undefined; occurredAt?: string | undefined },
): Decision[] {
  const to = recipients(data);
  if (to.length === 0)
    return [
      reject('invalid_contact', SOURCE, detail('event has no data.to recipients', extras.description), {
        eventId: extras.eventId,
      }),
    ];
  if (to.length === 1) return [block(to[0], reason, SOURCE, extras)];
  return [
    reject(
      'ambiguous_recipient',
      SOURCE,
      detail(`${reason} on a message to ${to.length} recipients; Resend does not say which one`, extras.description),
      { eventId: extras.eventId },
    ),
  ];
}
