import type { Decision, Reason } from '../../types.js';
import {
  block,
  dedupe,
  detail,
  eachEvent,
  eventIdOf,
  ignore,
  isoFrom,
  isoFromUnix,
  isRecord,
  reject,
  trimmed,
} from '../shared/map.js';
import { classifySmtp } from '../shared/smtp.js';
import type { MappingPolicy } from '../types.js';

/**
 * Brevo (Sendinblue) transactional and marketing webhooks: one JSON object
 * per POST, or an array when the webhook is `batched`. `{event, email, id, date, ts, ts_event, ts_epoch,
 * "message-id", reason?, tag, …}`; contact = `email`. Event names come snake_case in payloads
 * (hard_bounce) and camelCase in the webhook API (hardBounce); both are accepted.
 * Decided on `event` only: a `deferred` event whose reason reads "550 … User unknown" is still a deferral
 * (ANYMAIL test_deferred_event).
 */
const SOURCE = 'brevo';

const BLOCKING: ReadonlyMap<string, Reason> = new Map([
  ['hardbounce', 'hard_bounce'],
  // "Invalid email": Brevo found the address does not exist or cannot exist.
  ['invalidemail', 'hard_bounce'],
  ['invalid', 'hard_bounce'],
  ['spam', 'complaint'],
  ['complaint', 'complaint'],
  ['unsubscribed', 'unsubscribe'],
  ['unsubscribe', 'unsubscribe'],
  // "blocked": Brevo refused to send because the contact is on its blocklist (decision table: "per
  // policy") → `suppressed`, which BLOCK_REASONS can switch off.
  ['blocked', 'suppressed'],
]);

const NOT_OPT_OUT: ReadonlyMap<string, string> = new Map([
  ['softbounce', 'transient_bounce'],
  ['deferred', 'deferred'],
  ['request', 'request'],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['click', 'click'],
  ['opened', 'opened'],
  ['uniqueopened', 'opened'],
  ['proxyopen', 'opened'],
  ['uniqueproxyopen', 'opened'],
  ['error', 'error'],
]);

export function mapBrevo(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapEvent));
}

function mapEvent(event: unknown): Decision[] {
  if (!isRecord(event)) return [reject('unrecognised_event', SOURCE, 'a Brevo event is a JSON object')];
  const name = trimmed(event.event);
  if (name === undefined) return [reject('unrecognised_event', SOURCE, 'not a Brevo event (no "event" field)')];
  const key = name.toLowerCase().replace(/[_-]/gu, '');
  const eventId = eventIdOf(event['message-id'], event.messageId, event.uuid);
  const reason = BLOCKING.get(key);
  // ts_epoch is milliseconds, ts_event/ts seconds; `date` has no zone (Brevo account time), so it is last.
  const when = () =>
    isoFromUnix(event.ts_epoch) ?? isoFromUnix(event.ts_event) ?? isoFromUnix(event.ts) ?? isoFrom(event.date);
  // https://developers.brevo.com/docs/transactional-webhooks "soft_bounce": the receiving server refused
  // for now. It counts towards SOFT_BOUNCE_POLICY only when its reason says the mailbox is full or
  // disabled (RFC 3463 X.2.2 / 4.2.1, lib/providers/shared/smtp.ts); `deferred` is Brevo still retrying and never counts.
  if (key === 'softbounce' && classifySmtp({ text: trimmed(event.reason) }) === 'mailbox') {
    return [
      block(event.email, 'soft_bounce', SOURCE, {
        description: detail(name, trimmed(event.reason)),
        eventId,
        occurredAt: when(),
      }),
    ];
  }
  if (reason === undefined)
    return [
      ignore(
        NOT_OPT_OUT.get(key) ?? 'not_an_opt_out_event',
        SOURCE,
        detail(`event=${name}`, trimmed(event.reason)),
        eventId,
      ),
    ];
  const occurredAt = when();
  // Brevo reasons carry a leading space (" RecipientError: 550 …"): detail() trims.
  return [
    block(event.email, reason, SOURCE, { description: detail(name, trimmed(event.reason)), eventId, occurredAt }),
  ];
}
