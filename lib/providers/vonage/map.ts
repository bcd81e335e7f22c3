import { trimAscii } from '../../contact.js';
import type { Decision } from '../../types.js';
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
  optOutKeyword,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import type { MappingPolicy } from '../types.js';

/**
 * Vonage (Nexmo) SMS. Form, query string or JSON: the mapper gets a plain object.
 * - Inbound SMS API (developer.vonage.com/messaging/sms/guides/inbound-sms): `msisdn` (sender, international
 *   digits without "+"), `to`, `messageId`, `text`, `keyword`, `message-timestamp` (UTC "YYYY-MM-DD HH:MM:SS").
 *   Opt-out when the whole trimmed `text` is a policy keyword, exactly as for Twilio and AWS. Vonage's
 *   `keyword` is only the upper-cased first word ("STOP please" → STOP), so it is used only when there is
 *   no text at all.
 * - Messages API inbound (`channel:"sms"`, `from`, `text`, `message_uuid`): same rule; its status webhooks
 *   (`status`, no `text`) are ignored.
 * - Delivery receipts (`err-code`, `status`, `scts`): err-code 9 means the recipient `msisdn` has opted out
 *   ("messaging-opted-out-numbers", Opt-out Assist) → `suppressed`; every other receipt is ignored.
 */
const SOURCE = 'vonage';

/**
 * Vonage sends numbers in international format without the leading "+" (`msisdn`, Messages API `from`:
 * developer.vonage.com/en/messaging/sms/guides/inbound-sms). Only here may bare digits be read as
 * international; everywhere else a number without "+" is refused (it may be national).
 */
function international(raw: unknown): unknown {
  // ASCII white space only (`\s` and `trim()` also take a BOM or a no-break space, which must leave the number
  // invalid as anywhere else).
  const digits = typeof raw === 'string' ? trimAscii(raw) : '';
  return /^\d{8,15}$/u.test(digits) ? `+${digits}` : raw;
}
const OPTED_OUT_ERR_CODE = 9;

export function mapVonage(payload: unknown, policy: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, (event) => mapOne(event, policy)));
}

function mapOne(payload: unknown, policy: MappingPolicy): Decision[] {
  if (!isRecord(payload)) return [reject('unrecognised_event', SOURCE, 'a Vonage webhook is a set of fields')];
  if (Object.hasOwn(payload, 'err-code') || (Object.hasOwn(payload, 'scts') && Object.hasOwn(payload, 'status')))
    return mapReceipt(payload);
  if (Object.hasOwn(payload, 'msisdn'))
    return mapInbound(payload.msisdn, payload, eventIdOf(payload.messageId), policy);
  // Messages API status webhooks share channel/from/to with inbound messages but carry `status`, no text.
  if (payload.channel === 'sms' && Object.hasOwn(payload, 'status') && !Object.hasOwn(payload, 'text')) {
    return [ignore('delivery_receipt', SOURCE, detail(trimmed(payload.status)), eventIdOf(payload.message_uuid))];
  }
  if (payload.channel === 'sms' && Object.hasOwn(payload, 'from')) {
    const from = isRecord(payload.from) ? payload.from.number : payload.from;
    return mapInbound(from, payload, eventIdOf(payload.message_uuid), policy);
  }
  return [
    reject(
      'unrecognised_event',
      SOURCE,
      'neither an inbound SMS (msisdn/from + text) nor a delivery receipt (err-code)',
    ),
  ];
}

function mapInbound(
  sender: unknown,
  payload: JsonRecord,
  eventId: string | undefined,
  policy: MappingPolicy,
): Decision[] {
  const hasText = trimmed(payload.text) !== undefined;
  const keyword = hasText ? optOutKeyword(payload.text, policy) : optOutKeyword(payload.keyword, policy);
  if (keyword === undefined) return [ignore('not_an_opt_out_keyword', SOURCE, undefined, eventId)];
  const occurredAt = isoFrom(payload['message-timestamp'], true) ?? isoFrom(payload.timestamp, true);
  return [
    block(international(sender), 'sms_opt_out', SOURCE, {
      description: detail(`inbound SMS "${keyword}"`),
      eventId,
      occurredAt,
    }),
  ];
}

// Delivery receipts (https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts): only err-code 9,
// the recipient opted out (https://developer.vonage.com/en/opt-out-assist/guides/messaging-opted-out-numbers),
// is about the recipient's own action; absent subscribers, network errors, spam filters, quotas are not.
function mapReceipt(payload: JsonRecord): Decision[] {
  const eventId = eventIdOf(payload.messageId);
  const code = trimmed(payload['err-code']);
  const status = trimmed(payload.status);
  if (code !== undefined && /^\d+$/u.test(code) && Number(code) === OPTED_OUT_ERR_CODE) {
    return [
      block(international(payload.msisdn), 'suppressed', SOURCE, {
        description: detail('delivery receipt err-code 9: recipient opted out', status),
        eventId,
        occurredAt: isoFrom(payload['message-timestamp'], true),
      }),
    ];
  }
  return [
    ignore(
      'delivery_receipt',
      SOURCE,
      detail(status, code === undefined ? undefined : `err-code ${text(code)}`),
      eventId,
    ),
  ];
}
