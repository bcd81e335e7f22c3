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
  optIn,
  optOutKeyword,
  reject,
  text,
  trimmed,
} from '../shared/map.js';
import type { MappingPolicy } from '../types.js';
import { hasDifferingSplit } from './resplit.js';
import { signedParamsOf } from './signed-form.js';
import { inboundBlockModel, inboundOptInModel, unsubscribedRecipientModel } from './split-models.js';

/**
 * Twilio Messaging. The mapper receives the form body as a plain object
 * of strings (`From`, `To`, `Body`, `MessageSid`, `OptOutType`, …; twilio docs "webhook-request").
 * - Inbound SMS: with Advanced Opt-Out, Twilio's own verdict `OptOutType` wins: STOP blocks, START and
 *   HELP never block ("sent only when the message is sent to a phone number within a Messaging Service
 *   that has Advanced Opt-Out enabled"). Without it, the whole trimmed body, case-insensitive, must be a
 *   policy keyword: "Stop" opts out, "Stop please" does not (Twilio support, OptOutType article).
 * - Status callbacks (`MessageStatus`, no `Body`) with `ErrorCode` 21610 ("Attempt to send to unsubscribed
 *   recipient"): Twilio already suppresses the recipient `To` → `suppressed`. Other callbacks are ignored.
 * - Event Streams `com.twilio.messaging.inbound-message.received` (CloudEvents, `data.from`/`data.body`;
 *   twilio docs events/event-types/messaging/inbound-message): same keyword rule.
 * Contact = the sender `From`; short codes and alphanumeric sender IDs are rejected by normaliseContact.
 */
const SOURCE = 'twilio';
const UNSUBSCRIBED_RECIPIENT = '21610';
/**
 * Twilio's default opt-in keywords ("Twilio's default opt-in keywords are START, YES and UNSTOP", Twilio
 * support "Twilio support for opt-out keywords (SMS STOP filtering)"): the whole trimmed body, any case.
 */
const OPT_IN_KEYWORDS = new Set(['START', 'YES', 'UNSTOP']);

/** The opt-in keyword a body is, if it is one. */
function optInKeyword(body: unknown): string | undefined {
  const word = typeof body === 'string' ? body.trim().toUpperCase() : undefined;
  return word !== undefined && OPT_IN_KEYWORDS.has(word) ? word : undefined;
}

export function mapTwilio(payload: unknown, policy: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, (event) => mapOne(event, policy)));
}

function mapOne(payload: unknown, policy: MappingPolicy): Decision[] {
  if (!isRecord(payload))
    return [reject('unrecognised_event', SOURCE, 'a Twilio webhook body is a set of form fields')];
  if (typeof payload.type === 'string' && payload.type.startsWith('com.twilio.'))
    return mapEventStreams(payload, policy);
  if (Object.hasOwn(payload, 'Body') || Object.hasOwn(payload, 'OptOutType')) return mapInbound(payload, policy);
  if (Object.hasOwn(payload, 'MessageStatus') || Object.hasOwn(payload, 'SmsStatus')) return mapStatusCallback(payload);
  return [
    reject('unrecognised_event', SOURCE, 'neither an inbound message (Body) nor a status callback (MessageStatus)'),
  ];
}

// The recipient's own action: a STOP reply (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
function mapInbound(payload: JsonRecord, policy: MappingPolicy): Decision[] {
  const eventId = eventIdOf(payload.MessageSid, payload.SmsMessageSid, payload.SmsSid);
  const optOutType = trimmed(payload.OptOutType)?.toUpperCase();
  if (optOutType === 'HELP') return [ignore('sms_help', SOURCE, 'OptOutType=HELP', eventId)];
  const keyword = optOutKeyword(payload.Body, policy);
  const startWord = optOutType === undefined && keyword === undefined ? optInKeyword(payload.Body) : undefined;
  if (optOutType === 'START' || startWord !== undefined) {
    // An opt-in never blocks; it names who opted back in, for a human to unblock in Hood: a re-split must
    // not make one up either.
    const from = text(payload.From) ?? '';
    const model = inboundOptInModel({ from, body: text(payload.Body), bodyIsOptIn: startWord !== undefined });
    if (hasDifferingSplit(signedParamsOf(payload), model)) return [ambiguous(eventId)];
    const description = optOutType === 'START' ? 'OptOutType=START' : `inbound SMS "${startWord}"`;
    return [optIn(payload.From, 'sms_opt_in', SOURCE, description, { eventId })];
  }
  if (optOutType !== 'STOP' && keyword === undefined)
    return [ignore('not_an_opt_out_keyword', SOURCE, undefined, eventId)];
  const model = inboundBlockModel({
    from: text(payload.From) ?? '',
    body: text(payload.Body),
    bodyIsKeyword: keyword !== undefined,
  });
  if (hasDifferingSplit(signedParamsOf(payload), model)) return [ambiguous(eventId)];
  if (optOutType === 'STOP')
    return [block(payload.From, 'sms_opt_out', SOURCE, { description: 'OptOutType=STOP (Advanced Opt-Out)', eventId })];
  return [block(payload.From, 'sms_opt_out', SOURCE, { description: detail(`inbound SMS "${keyword}"`), eventId })];
}

/**
 * Twilio signs the URL followed by every name and value glued together without separators
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security), so one signed string can be split into
 * other parameters: a block (or an opt-in) is decided only when every split Twilio could have sent decides it
 * (resplit.ts).
 */
function ambiguous(eventId: string | undefined): Decision {
  return ignore(
    'ambiguous_signed_fields',
    SOURCE,
    'the signed string also splits into parameters that decide otherwise (another From, Body, OptOutType or To)',
    eventId,
  );
}

// Error 21610 "Attempt to send to unsubscribed recipient" (https://www.twilio.com/docs/api/errors/21610): the
// recipient replied STOP earlier. Every other error (carrier filtering 30007, unreachable 30003, …) is about
// the sending or the network and is ignored.
function mapStatusCallback(payload: JsonRecord): Decision[] {
  const eventId = eventIdOf(payload.MessageSid, payload.SmsSid);
  const status = trimmed(payload.MessageStatus) ?? trimmed(payload.SmsStatus);
  if (trimmed(payload.ErrorCode) === UNSUBSCRIBED_RECIPIENT) {
    if (hasDifferingSplit(signedParamsOf(payload), unsubscribedRecipientModel(text(payload.To) ?? '')))
      return [ambiguous(eventId)];
    return [
      block(payload.To, 'suppressed', SOURCE, {
        description: detail('error 21610: recipient unsubscribed (replied STOP)', status),
        eventId,
      }),
    ];
  }
  return [ignore('status_callback', SOURCE, detail(status, trimmed(payload.ErrorCode)), eventId)];
}

function mapEventStreams(payload: JsonRecord, policy: MappingPolicy): Decision[] {
  const data = isRecord(payload.data) ? payload.data : {};
  const eventId = eventIdOf(data.messageSid, payload.id);
  if (payload.type !== 'com.twilio.messaging.inbound-message.received') {
    return [ignore('not_an_opt_out_event', SOURCE, detail(text(payload.type)), eventId)];
  }
  const keyword = optOutKeyword(data.body, policy);
  const startWord = keyword === undefined ? optInKeyword(data.body) : undefined;
  if (startWord !== undefined) {
    const occurredAt = isoFrom(data.timestamp) ?? isoFrom(payload.time);
    return [optIn(data.from, 'sms_opt_in', SOURCE, `inbound SMS "${startWord}"`, { eventId, occurredAt })];
  }
  if (keyword === undefined) return [ignore('not_an_opt_out_keyword', SOURCE, undefined, eventId)];
  return [
    block(data.from, 'sms_opt_out', SOURCE, {
      description: detail(`inbound SMS "${keyword}"`),
      eventId,
      occurredAt: isoFrom(data.timestamp) ?? isoFrom(payload.time),
    }),
  ];
}
