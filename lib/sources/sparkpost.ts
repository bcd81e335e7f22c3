import type { Decision, Reason } from '../types.js';
import { block, dedupe, detail, eachEvent, eventIdOf, ignore, isoFrom, isRecord, reject, text, trimmed } from './shared.js';
import type { MappingPolicy } from './types.js';

/**
 * SparkPost webhooks (research/event-sources.md §7.5; SparkPost support-docs webhook-event-reference):
 * a JSON array of `{"msys":{"<group>_event":{type, rcpt_to, event_id, timestamp, …}}}`; a ping (sent when
 * the webhook is created or tested) is `[{"msys":{}}]`. Contact = `rcpt_to` (`raw_rcpt_to` unnormalised).
 * Bounces are decided on `bounce_class` (bounce-classification-codes): the Hard category 10 (Invalid
 * Recipient), 30 (Generic Bounce: No RCPT), 90 (Unsubscribe) → `hard_bounce`; 25 (Admin Failure: SparkPost's
 * policy or suppression list; "per policy" in the decision table) → `suppressed`; every soft, block and
 * undetermined class → ignore.
 */
const SOURCE = 'sparkpost';

const HARD_CLASSES = new Set(['10', '30', '90']);
const ADMIN_CLASS = '25';

export function mapSparkpost(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapEvent));
}

function mapEvent(entry: unknown): Decision[] {
  if (!isRecord(entry) || !isRecord(entry.msys)) return [reject('unrecognised_event', SOURCE, 'not a SparkPost event (no "msys" object)')];
  const groups = Object.values(entry.msys).filter(isRecord);
  if (groups.length === 0) return [ignore('ping', SOURCE, 'webhook test ping')];
  return groups.map((event) => {
    const type = trimmed(event.type);
    const eventId = eventIdOf(event.event_id);
    const extras = { eventId, occurredAt: isoFrom(event.timestamp) };
    const contact = event.rcpt_to ?? event.raw_rcpt_to;
    let reason: Reason | undefined;
    let description: string | undefined;
    switch (type) {
      case 'bounce':
      case 'out_of_band': {
        const bounceClass = trimmed(event.bounce_class);
        if (bounceClass !== undefined && HARD_CLASSES.has(bounceClass)) reason = 'hard_bounce';
        else if (bounceClass === ADMIN_CLASS) reason = 'suppressed';
        else return ignore('soft_bounce', SOURCE, detail(`${type} class ${bounceClass ?? 'missing'}`), eventId);
        description = detail(`${type} class ${bounceClass}`, trimmed(event.reason) ?? trimmed(event.raw_reason));
        break;
      }
      case 'spam_complaint': {
        // ARF feedback type "not-spam" says the opposite of a complaint (as for SES, research §2.3).
        const fbtype = trimmed(event.fbtype);
        if (fbtype?.toLowerCase() === 'not-spam') return ignore('not_spam_feedback', SOURCE, 'fbtype not-spam', eventId);
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
        // delay, delivery, injection, policy_rejection, open, click, generation_*, relay_*, …
        return ignore(type !== undefined && /^[a-z][a-z_]{0,39}$/u.test(type) ? type : 'not_an_opt_out_event', SOURCE, detail(`type=${text(event.type) ?? 'missing'}`), eventId);
    }
    return block(contact, reason, SOURCE, { ...extras, description });
  });
}
