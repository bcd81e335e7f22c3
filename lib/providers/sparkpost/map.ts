import type { Decision, Reason } from '../../types.js';
import {
  block,
  capped,
  dedupe,
  detail,
  eachEvent,
  eventIdOf,
  ignore,
  isoFrom,
  isRecord,
  isSystemFeedbackType,
  type JsonRecord,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import type { MappingPolicy } from '../types.js';

/**
 * SparkPost webhooks (event reference
 * https://developers.sparkpost.com/api/webhooks/#header-event-types): a JSON array of
 * `{"msys":{"<group>_event":{type, rcpt_to, event_id, timestamp, …}}}`; a ping (sent when the webhook is
 * created or tested) is `[{"msys":{}}]`. Contact = `rcpt_to` (`raw_rcpt_to` unnormalised).
 *
 * Bounces are decided on `bounce_class` (https://support.sparkpost.com/docs/deliverability/bounce-classification-codes):
 * - 10 Invalid Recipient, 30 Generic Bounce: No RCPT (SparkPost's "Hard" category) → `hard_bounce`;
 * - 90 Unsubscribe ("the recipient has requested to be unsubscribed") → `unsubscribe`: the recipient's own action;
 * - 25 Admin Failure ("failed by SparkPost's configured policies") is a suppression only when the reason
 *   says the recipient address was suppressed; sending limits and other policies are about the sender;
 * - 22 Mailbox Full → `soft_bounce` (count-only, SOFT_BOUNCE_POLICY);
 * - every other soft, block, undetermined, auto-reply or challenge class → ignored.
 * `policy_rejection`, `generation_rejection` and `generation_failure` are refusals before delivery: only
 * those caused by the recipient being on a suppression list ("554 5.7.1 recipient address was suppressed
 * due to customer policy", https://support.sparkpost.com/docs/user-guide/using-suppression-lists) are
 * `suppressed`; the rest (rate limits, template errors, policy) stay ignored.
 */
const SOURCE = 'sparkpost';

const HARD_CLASSES = new Set(['10', '30']);
const UNSUBSCRIBE_CLASS = '90';
const ADMIN_CLASS = '25';
const MAILBOX_FULL_CLASS = '22';
const REJECTIONS = new Set(['policy_rejection', 'generation_rejection', 'generation_failure']);
// Customer-specific list ("customer policy") and SparkPost's global list ("system policy").
const SUPPRESSED_RE =
  /recipient address (?:was )?suppressed due to (?:customer|system) policy|\bon (?:the |a )?suppression list\b/iu;

export function mapSparkpost(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapEvent));
}

function isSuppression(event: JsonRecord): boolean {
  // Fixed phrases, no unbounded repetition: linear in the (capped) reason.
  return [trimmed(event.reason), trimmed(event.raw_reason)].some(
    (t) => t !== undefined && SUPPRESSED_RE.test(capped(t)),
  );
}

function mapEvent(entry: unknown): Decision[] {
  if (!isRecord(entry) || !isRecord(entry.msys))
    return [reject('unrecognised_event', SOURCE, 'not a SparkPost event (no "msys" object)')];
  const groups = Object.values(entry.msys).filter(isRecord);
  if (groups.length === 0) return [ignore('ping', SOURCE, 'webhook test ping')];
  return groups.map((event) => {
    const type = trimmed(event.type);
    const eventId = eventIdOf(event.event_id);
    const extras = { eventId, occurredAt: isoFrom(event.timestamp) };
    const contact = event.rcpt_to ?? event.raw_rcpt_to;
    const why = trimmed(event.reason) ?? trimmed(event.raw_reason);
    let reason: Reason | undefined;
    let description: string | undefined;
    switch (type) {
      case 'bounce':
      case 'out_of_band': {
        const bounceClass = trimmed(event.bounce_class);
        const label = `${type} class ${bounceClass ?? 'missing'}`;
        if (bounceClass !== undefined && HARD_CLASSES.has(bounceClass)) reason = 'hard_bounce';
        else if (bounceClass === UNSUBSCRIBE_CLASS) reason = 'unsubscribe';
        else if (bounceClass === ADMIN_CLASS) {
          if (!isSuppression(event)) return ignore('admin_failure', SOURCE, detail(label, why), eventId);
          reason = 'suppressed';
        } else if (bounceClass === MAILBOX_FULL_CLASS) {
          // The sent message's id: soft bounces count once per distinct message.
          return block(contact, 'soft_bounce', SOURCE, {
            ...extras,
            eventId: eventIdOf(event.message_id, event.event_id),
            description: detail(label, why),
          });
        } else return ignore('not_a_hard_bounce', SOURCE, detail(label), eventId);
        description = detail(label, why);
        break;
      }
      case 'spam_complaint': {
        // ARF feedback type "not-spam" says the opposite of a complaint (as for SES, research §2.3).
        const fbtype = trimmed(event.fbtype);
        if (fbtype?.toLowerCase() === 'not-spam')
          return ignore('not_spam_feedback', SOURCE, 'fbtype not-spam', eventId);
        // auth-failure / virus reports come from the receiving system, not from the recipient.
        if (isSystemFeedbackType(fbtype))
          return ignore('not_a_recipient_complaint', SOURCE, detail('fbtype', fbtype), eventId);
        reason = 'complaint';
        description = detail('spam complaint', fbtype);
        break;
      }
      case 'list_unsubscribe':
      case 'link_unsubscribe':
        reason = 'unsubscribe';
        description = type;
        break;
      default:
        if (type !== undefined && REJECTIONS.has(type) && isSuppression(event)) {
          reason = 'suppressed';
          description = detail(type, why);
          break;
        }
        // delay, delivery, injection, other rejections, open, click, relay_*, …
        return ignore(
          type !== undefined && /^[a-z][a-z_]{0,39}$/u.test(type) ? type : 'not_an_opt_out_event',
          SOURCE,
          detail(`type=${text(event.type) ?? 'missing'}`),
          eventId,
        );
    }
    return block(contact, reason, SOURCE, { ...extras, description });
  });
}
