import type { Decision } from '../../types.js';
import {
  block,
  detail,
  eventIdOf,
  ignore,
  isRecord,
  type JsonRecord,
  optOutKeyword,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import type { MappingPolicy, QueueNative } from '../types.js';

/**
 * AWS End User Messaging SMS (pinpoint-sms-voice-v2) / Amazon SNS SMS, two-way inbound messages
 * (https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-payload.html):
 * `{originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId, previousPublishedMessageId}`.
 * The sender (`originationNumber`) opted out when the whole trimmed body, upper-cased, is one of the policy
 * keywords (SMS_OPT_OUT_KEYWORDS; AWS's US/CA list is ARRET, CANCEL, END, OPT-OUT, OPTOUT, QUIT, REMOVE,
 * STOP, TD, UNSUBSCRIBE: keywords-required.html), or when AWS reports the matched `messageKeyword` as one.
 * Other keywords (JOIN, HELP) and ordinary text never block.
 */
const SOURCE = 'aws-sms';

export function isSmsInbound(value: unknown): value is JsonRecord {
  return (
    isRecord(value) &&
    Object.hasOwn(value, 'originationNumber') &&
    (Object.hasOwn(value, 'messageBody') || Object.hasOwn(value, 'messageKeyword'))
  );
}

/**
 * Delivery events of the same service (configuration-set event destinations: `eventType` TEXT_DELIVERED,
 * TEXT_BLOCKED, …; configuration-sets-event-types.html). What an opted-out destination reports there was
 * not confirmed (research §7.1), so they are ignored with their type rather than guessed at.
 */
export function isSmsDeliveryEvent(value: unknown): value is JsonRecord {
  return (
    isRecord(value) && typeof value.eventType === 'string' && /^(TEXT|VOICE|MEDIA)_[A-Z_]+$/u.test(value.eventType)
  );
}

export function mapAwsSms(payload: unknown, policy: MappingPolicy): Decision[] {
  if (isSmsDeliveryEvent(payload)) {
    return [ignore('sms_delivery_event', SOURCE, detail(text(payload.eventType)), eventIdOf(payload.messageId))];
  }
  if (!isSmsInbound(payload))
    return [reject('unrecognised_event', SOURCE, 'not an inbound SMS (originationNumber, messageBody)')];
  const eventId = eventIdOf(payload.inboundMessageId);
  // The sender's own STOP (https://docs.aws.amazon.com/sms-voice/latest/userguide/keywords-required.html);
  // HELP, JOIN and any other text never block.
  const keyword = optOutKeyword(payload.messageKeyword, policy) ?? optOutKeyword(payload.messageBody, policy);
  if (keyword === undefined) {
    return [
      ignore(
        'not_an_opt_out_keyword',
        SOURCE,
        detail('keyword', trimmed(payload.messageKeyword)?.slice(0, 30)),
        eventId,
      ),
    ];
  }
  // Only the matched keyword goes into the description: the rest of an SMS is personal text.
  const to = trimmed(payload.destinationNumber);
  return [
    block(payload.originationNumber, 'sms_opt_out', SOURCE, {
      description: detail(`inbound SMS "${keyword}"${to ? ` to ${to}` : ''}`),
      eventId,
    }),
  ];
}

/** End User Messaging SMS inbound messages and delivery events, carried by SNS. */
export const queueNative: QueueNative = {
  detect: (payload) => isSmsInbound(payload) || isSmsDeliveryEvent(payload),
  map: mapAwsSms,
};
