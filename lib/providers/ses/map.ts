import type { Decision } from '../../types.js';
import {
  block,
  dedupe,
  detail,
  eventIdOf,
  ignore,
  isoFrom,
  isRecord,
  isSystemFeedbackType,
  type JsonRecord,
  list,
  optIn,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import type { MappingPolicy, QueueNative } from '../types.js';

/**
 * Amazon SES, both producers:
 * - identity feedback notifications, discriminated by `notificationType` (Bounce | Complaint | Delivery);
 * - event publishing (configuration sets), discriminated by `eventType`, which adds Subscription,
 *   DeliveryDelay, Send, Reject, Open, Click, Rendering Failure.
 * "If you set up event publishing, this field is named eventType" (SESDG notification-contents.md),
 * so the two keys are read as one.
 *
 * Reason labels follow the event type: a Permanent bounce is `hard_bounce` for every subtype, including
 * `Suppressed` and `OnAccountSuppressionList` (SES did not even try because the address is already on a
 * suppression list). The decision table (§0) lists those as Permanent subtypes that block, and
 * fixtures/expected.json labels the equivalent Mailgun event (failed/permanent, reason suppress-bounce,
 * "Not delivering to previously bounced address") `hard_bounce`. `suppressed` is kept for events that are
 * not bounces at all (SendGrid `dropped`, Mandrill `reject`, Resend `email.suppressed`, …).
 */
const SOURCE = 'ses';

// SESDG event-publishing-retrieving-sns-contents.md: event types that say nothing about consent.
const NOT_OPT_OUT: ReadonlyMap<string, string> = new Map([
  ['Delivery', 'delivery'],
  ['DeliveryDelay', 'delivery_delay'],
  ['Send', 'send'],
  ['Open', 'open'],
  ['Click', 'click'],
  // "Reject": SES refused the message (virus) before any delivery attempt: nothing about the recipient.
  ['Reject', 'rejected_by_ses'],
  ['Rendering Failure', 'rendering_failure'],
  // SES receiving (inbound mail) notifications share the topic in some setups.
  ['Received', 'inbound_email'],
  // Sent once when an SNS topic is attached to an identity (SESDG monitor-sending-using-notifications).
  ['AmazonSnsSubscriptionSucceeded', 'ses_subscription_test'],
]);

/** True when `value` looks like an SES notification or published event (used for transport detection). */
export function isSesEvent(value: unknown): value is JsonRecord {
  if (!isRecord(value)) return false;
  const kind = value.notificationType ?? value.eventType;
  if (typeof kind !== 'string') return false;
  return isRecord(value.mail) || NOT_OPT_OUT.has(kind) || ['Bounce', 'Complaint', 'Subscription'].includes(kind);
}

export function mapSes(payload: unknown, _policy?: MappingPolicy): Decision[] {
  if (!isRecord(payload)) return [reject('unrecognised_event', SOURCE, 'an SES event is a JSON object')];
  const kind = text(payload.notificationType) ?? text(payload.eventType);
  if (kind === undefined)
    return [reject('unrecognised_event', SOURCE, 'neither notificationType nor eventType is set')];
  const mail = isRecord(payload.mail) ? payload.mail : {};
  switch (kind) {
    case 'Bounce':
      return dedupe(mapBounce(payload.bounce, mail));
    case 'Complaint':
      return dedupe(mapComplaint(payload.complaint, mail));
    case 'Subscription':
      return dedupe(mapSubscription(payload.subscription, mail));
    default:
      return [
        ignore(
          NOT_OPT_OUT.get(kind) ?? 'not_an_opt_out_event',
          SOURCE,
          detail(`SES ${kind}`),
          eventIdOf(mail.messageId),
        ),
      ];
  }
}

function mapBounce(bounce: unknown, mail: JsonRecord): Decision[] {
  if (!isRecord(bounce))
    return [
      reject('unrecognised_event', SOURCE, 'Bounce event without a bounce object', {
        eventId: eventIdOf(mail.messageId),
      }),
    ];
  const type = trimmed(bounce.bounceType);
  const subType = trimmed(bounce.bounceSubType);
  const eventId = eventIdOf(bounce.feedbackId, mail.messageId);
  const kind = `${type ?? '?'}/${subType ?? '?'}`;
  // https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html#bounce-types: Transient "you might
  // be able to send email to that recipient in the future"; Undetermined: SES could not tell.
  // Transient/MailboxFull ("the recipient's inbox is full") is the one mailbox-level soft bounce: reported
  // as the count-only soft_bounce (SOFT_BOUNCE_POLICY), keyed by the sent message (mail.messageId).
  // Transient/General also covers out-of-office auto-replies, so it never counts; MessageTooLarge,
  // ContentRejected and AttachmentRejected are about the message.
  if (type === 'Transient' && subType === 'MailboxFull') {
    const occurredAt = isoFrom(bounce.timestamp) ?? isoFrom(mail.timestamp);
    const messageId = eventIdOf(mail.messageId) ?? eventId;
    const softRecipients = list(bounce.bouncedRecipients);
    if (softRecipients.length === 0)
      return [ignore('transient_bounce', SOURCE, detail(kind, 'no bouncedRecipients'), eventId)];
    return softRecipients.map((r) =>
      block(isRecord(r) ? r.emailAddress : undefined, 'soft_bounce', SOURCE, {
        description: detail(kind, isRecord(r) ? (trimmed(r.diagnosticCode) ?? trimmed(r.status)) : undefined),
        eventId: messageId,
        occurredAt,
      }),
    );
  }
  if (type === 'Transient') return [ignore('transient_bounce', SOURCE, detail(kind), eventId)];
  if (type === 'Undetermined') return [ignore('undetermined_bounce', SOURCE, detail(kind), eventId)];
  // Permanent (any subtype: General, NoEmail, Suppressed, OnAccountSuppressionList): "you should remove the
  // recipient's email address from your mailing list" (same page). A new bounce type must reach a human
  // (dead letter), neither block nor vanish.
  if (type !== 'Permanent')
    return [reject('unrecognised_event', SOURCE, detail('unknown bounceType', type), { eventId })];
  const occurredAt = isoFrom(bounce.timestamp) ?? isoFrom(mail.timestamp);
  // "A bounce notification may pertain to a single recipient or to multiple recipients": iterate
  // bouncedRecipients, never mail.destination (which lists every original recipient).
  const recipients = list(bounce.bouncedRecipients);
  if (recipients.length === 0)
    return [reject('invalid_contact', SOURCE, 'Permanent bounce without bouncedRecipients', { eventId })];
  return recipients.map((r) => {
    const rec = isRecord(r) ? r : {};
    const description = detail(`Permanent/${subType ?? 'General'}`, trimmed(rec.diagnosticCode) ?? trimmed(rec.status));
    return block(rec.emailAddress, 'hard_bounce', SOURCE, { description, eventId, occurredAt });
  });
}

function mapComplaint(complaint: unknown, mail: JsonRecord): Decision[] {
  if (!isRecord(complaint))
    return [
      reject('unrecognised_event', SOURCE, 'Complaint event without a complaint object', {
        eventId: eventIdOf(mail.messageId),
      }),
    ];
  const eventId = eventIdOf(complaint.feedbackId, mail.messageId);
  const feedbackType = trimmed(complaint.complaintFeedbackType);
  // https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html#complaint-object: the feedback
  // type comes from the ISP's report (IANA MARF). "not-spam": the reporter says the mail is NOT spam;
  // "auth-failure" and "virus" are the receiving system's reports about the sender or the content, not
  // the recipient's action (shared.ts isSystemFeedbackType).
  if (feedbackType?.toLowerCase() === 'not-spam')
    return [ignore('not_spam_feedback', SOURCE, 'complaintFeedbackType not-spam', eventId)];
  if (isSystemFeedbackType(feedbackType))
    return [ignore('not_a_recipient_complaint', SOURCE, detail('complaintFeedbackType', feedbackType), eventId)];
  const occurredAt = isoFrom(complaint.timestamp) ?? isoFrom(complaint.arrivalDate) ?? isoFrom(mail.timestamp);
  const recipients = list(complaint.complainedRecipients);
  if (recipients.length === 0)
    return [reject('invalid_contact', SOURCE, 'Complaint without complainedRecipients', { eventId })];
  const description = detail(
    'complaint',
    [feedbackType, trimmed(complaint.complaintSubType), trimmed(complaint.userAgent)]
      .filter((p) => p !== undefined)
      .join(', ') || undefined,
  );
  // complainedRecipients "may have submitted the complaint" (notification-contents.html#complaint-object):
  // with several listed, SES does not know which one did. One named recipient blocks; several are
  // dead-lettered for a person to decide, never all blocked.
  if (recipients.length > 1) {
    return [
      reject(
        'ambiguous_recipient',
        SOURCE,
        detail(`complaint names ${recipients.length} recipients; SES cannot tell which one complained`, description),
        { eventId },
      ),
    ];
  }
  return recipients.map((r) =>
    block(isRecord(r) ? r.emailAddress : undefined, 'complaint', SOURCE, { description, eventId, occurredAt }),
  );
}

function topicStatuses(prefs: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isRecord(prefs)) return out;
  for (const t of list(prefs.topicSubscriptionStatus)) {
    if (!isRecord(t)) continue;
    const name = text(t.topicName);
    const status = text(t.subscriptionStatus);
    if (name !== undefined && status !== undefined) out.set(name, status);
  }
  return out;
}

/**
 * SES list management (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html#event-publishing-retrieving-sns-contents-subscription-object):
 * `subscription` carries `contactList`, `timestamp`, `source` and the old and new topic preferences, and no
 * field naming the contact; the only one SES gives is `mail.destination`, every recipient of the message
 * the unsubscribe link or List-Unsubscribe header came with (To, Cc and Bcc). With one destination that is
 * the contact; with several, SES does not say which of them changed their preferences, and blocking them
 * all would block people who did not opt out: a person decides (`ambiguous_recipient`).
 * `newTopicPreferences.unsubscribeAll` is a global opt-out. A topic that changes to OptOut without
 * unsubscribeAll is scoped like a SendGrid ASM group: reported as `group_unsubscribe`, which blocks only
 * when BLOCK_REASONS includes it (research §9.2: a product decision). A change that only opts in (a
 * re-subscription) is never a block: it is ignored as `subscription_opt_in`.
 * The event id is the sent message's id (Subscription events have no feedbackId): never a destination,
 * whose raw form may be `"Jane Doe" <Jane.Doe@Example.com>`.
 */
function mapSubscription(subscription: unknown, mail: JsonRecord): Decision[] {
  const messageId = eventIdOf(mail.messageId);
  if (!isRecord(subscription))
    return [
      reject('unrecognised_event', SOURCE, 'Subscription event without a subscription object', { eventId: messageId }),
    ];
  const next = isRecord(subscription.newTopicPreferences) ? subscription.newTopicPreferences : {};
  const previous = isRecord(subscription.oldTopicPreferences) ? subscription.oldTopicPreferences : {};
  const where = [
    trimmed(subscription.source),
    trimmed(subscription.contactList) && `list ${trimmed(subscription.contactList)}`,
  ]
    .filter((p) => p !== undefined)
    .join(', ');
  let reason: 'unsubscribe' | 'group_unsubscribe';
  let what: string;
  if (next.unsubscribeAll === true) {
    reason = 'unsubscribe';
    what = 'unsubscribeAll';
  } else {
    const before = topicStatuses(previous);
    const after = topicStatuses(next);
    const optedOut = [...after]
      .filter(([name, status]) => status === 'OptOut' && before.get(name) !== 'OptOut')
      .map(([name]) => name);
    if (optedOut.length === 0) {
      const optedIn =
        previous.unsubscribeAll === true ||
        [...after].some(([name, status]) => status === 'OptIn' && before.get(name) !== 'OptIn');
      if (optedIn) {
        // Never a block. With one destination it names who opted back in (for a human to unblock in Hood);
        // with several SES does not say which one, so it stays a plain ignore.
        const why = detail('re-subscription: no unsubscribeAll and no topic changed to OptOut', where || undefined);
        const only = list(mail.destination);
        if (only.length !== 1) return [ignore('subscription_opt_in', SOURCE, why, messageId)];
        const at = isoFrom(subscription.timestamp) ?? isoFrom(mail.timestamp);
        return [optIn(only[0], 'subscription_opt_in', SOURCE, why, { eventId: messageId, occurredAt: at })];
      }
      return [
        ignore(
          'subscription_without_opt_out',
          SOURCE,
          detail('no unsubscribeAll and no topic changed to OptOut', where || undefined),
          messageId,
        ),
      ];
    }
    reason = 'group_unsubscribe';
    what = `topic opt-out ${optedOut.join(', ')}`;
  }
  const description = detail(what, where || undefined);
  const occurredAt = isoFrom(subscription.timestamp) ?? isoFrom(mail.timestamp);
  const destinations = list(mail.destination);
  if (destinations.length === 0)
    return [reject('invalid_contact', SOURCE, 'Subscription event without mail.destination', { eventId: messageId })];
  if (destinations.length > 1) {
    return [
      reject(
        'ambiguous_recipient',
        SOURCE,
        detail(`${reason} on a message to ${destinations.length} recipients; SES does not say which one`, description),
        { eventId: messageId },
      ),
    ];
  }
  return [block(destinations[0], reason, SOURCE, { description, eventId: messageId, occurredAt })];
}

/** SES notifications and published events, raw on the queue or carried by SNS. */
export const queueNative: QueueNative = { detect: isSesEvent, map: mapSes };
