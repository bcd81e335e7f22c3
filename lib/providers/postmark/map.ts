import type { Decision, Reason } from '../../types.js';
import {
  block,
  dedupe,
  detail,
  eachEvent,
  eventIdOf,
  has,
  ignore,
  isoFrom,
  isRecord,
  type JsonRecord,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import { classifySmtp } from '../shared/smtp.js';
import type { MappingPolicy } from '../types.js';

/**
 * Postmark webhooks: one JSON object per POST, discriminated by `RecordType`.
 * - Bounce: classified by `Type` (the postmark.js enum in src/client/models/bounces/Bounce.ts). `TypeCode`
 *   is only a fallback when `Type` is absent: real and stub payloads carry inconsistent codes (the spatie
 *   SoftBounce stub has TypeCode 1 = HardBounce). `Inactive` is not used either: that stub sets it on a
 *   soft bounce. Contact = `Email`.
 * - The older bounce webhook, from before Postmark added `RecordType`: the same bounce fields (`ID`, `Type`,
 *   `TypeCode`, `Email`, `BouncedAt`, …) and nothing saying which record it is. It is decided on `TypeCode`
 *   by Postmark's bounce type table (https://postmarkapp.com/developer/api/bounce-api#bounce-types), the
 *   same rules as a Bounce record; a `Type` that names another type than its code is dead-lettered for a
 *   person, except the pairing Postmark's own spam complaint examples carry (SpamComplaint with 512).
 * - SpamComplaint: contact = `Email`.
 * - SubscriptionChange: blocks only when `SuppressSending` is true (false = reactivation); contact = `Recipient`;
 *   the label follows `SuppressionReason` ("If a recipient unsubscribes, they will be suppressed with the
 *   SuppressionReason of ManualSuppression", postmarkapp.com subscription-change-webhook).
 */
const SOURCE = 'postmark';

// Bounce types (https://postmarkapp.com/developer/api/bounce-api#bounce-types) that block at once:
// HardBounce "unable to deliver your message (ex: unknown user, mailbox not found)", BadEmailAddress "not a
// valid email address", Unsubscribe "Unsubscribe or Remove request" (the recipient's own reply),
// SpamComplaint "the subscriber explicitly marked this message as spam", ManuallyDeactivated "the email
// was manually deactivated" (by the account: `manual`). SpamNotification ("either blocked by the user,
// or classified as spam, bulk mail, or had rejected content") cannot be told from a filter's verdict on
// the content, so it never blocks; neither do Transient, SoftBounce, DnsError, AutoResponder, Blocked
// ("ISP block"), DMARCPolicy, Unknown and the rest.
const BLOCKING_BOUNCE_TYPES: ReadonlyMap<string, Reason> = new Map([
  ['HardBounce', 'hard_bounce'],
  ['BadEmailAddress', 'hard_bounce'],
  ['ManuallyDeactivated', 'manual'],
  ['Unsubscribe', 'unsubscribe'],
  ['SpamComplaint', 'complaint'],
]);

// Postmark's bounce type table (https://postmarkapp.com/developer/api/bounce-api#bounce-types; the same
// codes as the postmark.js Bounce.ts BounceType enum), for TypeCode.
const TYPE_BY_CODE: ReadonlyMap<string, string> = new Map([
  ['1', 'HardBounce'],
  ['2', 'Transient'],
  ['16', 'Unsubscribe'],
  ['32', 'Subscribe'],
  ['64', 'AutoResponder'],
  ['128', 'AddressChange'],
  ['256', 'DnsError'],
  ['512', 'SpamNotification'],
  ['1024', 'OpenRelayTest'],
  ['2048', 'Unknown'],
  ['4096', 'SoftBounce'],
  ['8192', 'VirusNotification'],
  ['16384', 'ChallengeVerification'],
  ['100000', 'BadEmailAddress'],
  ['100001', 'SpamComplaint'],
  ['100002', 'ManuallyDeactivated'],
  ['100003', 'Unconfirmed'],
  ['100006', 'Blocked'],
  ['100007', 'SMTPApiError'],
  ['100008', 'InboundError'],
  ['100009', 'DMARCPolicy'],
  ['100010', 'TemplateRenderingFailed'],
]);

const NOT_OPT_OUT_RECORDS: ReadonlyMap<string, string> = new Map([
  ['Delivery', 'delivery'],
  ['Open', 'open'],
  ['Click', 'click'],
  ['Inbound', 'inbound_email'],
]);

export function mapPostmark(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapOne));
}

function mapOne(payload: unknown): Decision[] {
  if (!isRecord(payload)) return [reject('unrecognised_event', SOURCE, 'a Postmark webhook body is a JSON object')];
  const record = trimmed(payload.RecordType);
  if (record === undefined && isLegacyBounce(payload)) return mapLegacyBounce(payload);
  if (record === undefined) return [reject('unrecognised_event', SOURCE, 'not a Postmark webhook (no RecordType)')];
  switch (record) {
    case 'Bounce':
      return mapBounce(payload);
    case 'SpamComplaint':
      return [
        block(payload.Email, 'complaint', SOURCE, {
          description: detail('spam complaint', trimmed(payload.Details)),
          eventId: eventIdOf(payload.ID, payload.MessageID),
          occurredAt: isoFrom(payload.BouncedAt),
        }),
      ];
    case 'SubscriptionChange':
      return mapSubscriptionChange(payload);
    default:
      return [
        ignore(
          NOT_OPT_OUT_RECORDS.get(record) ?? 'not_an_opt_out_event',
          SOURCE,
          detail(`RecordType=${record}`),
          eventIdOf(payload.MessageID),
        ),
      ];
  }
}

/** The older bounce webhook (no `RecordType`): a bounce type code and a bounced address. */
export function isLegacyBounce(payload: JsonRecord): boolean {
  return (
    !has(payload, 'RecordType') &&
    (has(payload, 'TypeCode') || has(payload, 'Type')) &&
    (has(payload, 'Email') || has(payload, 'BouncedAt'))
  );
}

function mapLegacyBounce(payload: JsonRecord): Decision[] {
  const eventId = eventIdOf(payload.ID, payload.MessageID);
  const code = trimmed(payload.TypeCode);
  const named = trimmed(payload.Type);
  const byCode = code === undefined ? undefined : TYPE_BY_CODE.get(code);
  if (code !== undefined && byCode === undefined)
    return [
      reject('unrecognised_event', SOURCE, detail('bounce without RecordType and an unknown TypeCode', code), {
        eventId,
      }),
    ];
  // Postmark's spam complaint examples say Type SpamComplaint with TypeCode 512: the one known mismatch.
  const type = named === 'SpamComplaint' && code === '512' ? named : (byCode ?? named);
  if (type === undefined)
    return [reject('unrecognised_event', SOURCE, 'bounce without RecordType, Type or TypeCode', { eventId })];
  if (named !== undefined && type !== named) {
    return [
      reject(
        'unrecognised_event',
        SOURCE,
        detail('bounce without RecordType whose Type and TypeCode disagree', `${named}/${code}`),
        { eventId },
      ),
    ];
  }
  return mapBounce(payload, type);
}

function mapBounce(payload: JsonRecord, decided?: string): Decision[] {
  const eventId = eventIdOf(payload.ID, payload.MessageID);
  const type = decided ?? trimmed(payload.Type) ?? TYPE_BY_CODE.get(text(payload.TypeCode) ?? '');
  const reason = type === undefined ? undefined : BLOCKING_BOUNCE_TYPES.get(type);
  if (reason === undefined) {
    const why = trimmed(payload.Details) ?? trimmed(payload.Description);
    // A SoftBounce ("unable to temporarily deliver this message") counts towards SOFT_BOUNCE_POLICY only
    // when the server's reply says the mailbox is full or disabled; keyed by the sent message (MessageID).
    if (type === 'SoftBounce' && classifySmtp({ text: trimmed(payload.Details) }) === 'mailbox') {
      return [
        block(payload.Email, 'soft_bounce', SOURCE, {
          description: detail(type, why),
          eventId: eventIdOf(payload.MessageID, payload.ID),
          occurredAt: isoFrom(payload.BouncedAt),
        }),
      ];
    }
    // Transient, SoftBounce, AutoResponder, DnsError, Blocked, DMARCPolicy, SpamNotification, …: the address
    // may work later.
    const label =
      type === 'SoftBounce' || type === 'Transient'
        ? 'transient_bounce'
        : type === 'SpamNotification'
          ? 'spam_notification'
          : 'not_a_hard_bounce';
    return [ignore(label, SOURCE, detail(`Type=${type ?? 'missing'}`), eventId)];
  }
  // Real "Unsubscribe" bounce records can lack Email entirely (anymail issue #447): the decision table
  // only blocks them "when Email present", so without it there is nobody to block and nothing to retry.
  if (type === 'Unsubscribe' && trimmed(payload.Email) === undefined) {
    return [ignore('no_recipient', SOURCE, 'Unsubscribe bounce record without Email', eventId)];
  }
  return [
    block(payload.Email, reason, SOURCE, {
      description: detail(type, trimmed(payload.Details) ?? trimmed(payload.Description)),
      eventId,
      occurredAt: isoFrom(payload.BouncedAt),
    }),
  ];
}

function mapSubscriptionChange(payload: JsonRecord): Decision[] {
  const eventId = eventIdOf(payload.MessageID);
  const why = trimmed(payload.SuppressionReason);
  const origin = trimmed(payload.Origin);
  if (payload.SuppressSending !== true)
    return [ignore('reactivated', SOURCE, detail('SuppressSending=false', origin), eventId)];
  let reason: Reason = 'suppressed';
  if (why === 'HardBounce') reason = 'hard_bounce';
  else if (why === 'SpamComplaint') reason = 'complaint';
  // https://postmarkapp.com/developer/webhooks/subscription-change-webhook: ManualSuppression by the
  // Recipient is an unsubscribe; by the account (Customer) it is the company's own suppression (`manual`);
  // by Postmark (Admin) an existing suppression.
  else if (why === 'ManualSuppression' && origin === 'Recipient') reason = 'unsubscribe';
  else if (why === 'ManualSuppression' && origin === 'Customer') reason = 'manual';
  return [
    block(payload.Recipient, reason, SOURCE, {
      description: detail(`suppressed: ${why ?? 'no reason given'}`, origin && `origin ${origin}`),
      eventId,
      occurredAt: isoFrom(payload.ChangedAt),
    }),
  ];
}
