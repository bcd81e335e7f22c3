import { maskContact } from '../contact.js';
import type { Decision, Reason } from '../types.js';
import { mapAwsEvent } from './aws-native.js';
import { isSmsDeliveryEvent, isSmsInbound, mapAwsSms } from '../providers/aws-sms/map.js';
import { mapBrevo } from '../providers/brevo/map.js';
import { isEventBridgeEvent, mapEventBridge } from '../providers/eventbridge/map.js';
import { mapGeneric, mapNormalisedMessage } from '../providers/generic/map.js';
import { mapMailgun } from '../providers/mailgun/map.js';
import { mapMandrill } from '../providers/mandrill/map.js';
import { isNeverBlocked, type NeverBlockList } from './never-block.js';
import { mapPostmark } from '../providers/postmark/map.js';
import { mapResend } from '../providers/resend/map.js';
import { isSesEvent, mapSes } from '../providers/ses/map.js';
import { dedupe, detail, ignore, isRecord, type JsonRecord, reject } from '../providers/shared/map.js';
import { isLambdaSnsEvent, isSnsEnvelope, mapSns } from '../providers/sns/map.js';
import { mapSendgrid } from '../providers/sendgrid/map.js';
import { mapSparkpost } from '../providers/sparkpost/map.js';
import { mapTwilio } from '../providers/twilio/map.js';
import type { Mapper, MappingPolicy, SourceName } from '../providers/types.js';
import { mapVonage } from '../providers/vonage/map.js';

export { compileNeverBlock, EMPTY_NEVER_BLOCK, isNeverBlocked, type NeverBlockList } from './never-block.js';
export { PROVIDERS, SOURCE_NAMES, isSourceName, type Mapper, type MappingPolicy, type ProviderName, type SourceName } from '../providers/types.js';
export { mapAwsSms, mapBrevo, mapEventBridge, mapGeneric, mapMailgun, mapMandrill, mapNormalisedMessage, mapPostmark, mapResend, mapSendgrid, mapSes, mapSns, mapSparkpost, mapTwilio, mapVonage };

const MAPPERS: Readonly<Record<SourceName, Mapper>> = {
  ses: mapSes,
  sns: mapSns,
  eventbridge: mapEventBridge,
  'aws-sms': mapAwsSms,
  sendgrid: mapSendgrid,
  twilio: mapTwilio,
  mailgun: mapMailgun,
  postmark: mapPostmark,
  brevo: mapBrevo,
  mandrill: mapMandrill,
  sparkpost: mapSparkpost,
  resend: mapResend,
  vonage: mapVonage,
  generic: mapGeneric,
};

/**
 * Last line of defence for the handlers: mappers are total by construction (and property-tested), but a
 * bug must dead-letter one message, not crash a batch.
 */
function safely(source: string, run: () => Decision[]): Decision[] {
  try {
    return dedupe(run());
  } catch (error) {
    return [reject('unrecognised_event', source, detail('mapping failed', error instanceof Error ? error.message : undefined))];
  }
}

/** Map one provider payload (webhook body, already parsed from JSON or form encoding). */
export function mapProvider(source: SourceName, payload: unknown, policy: MappingPolicy): Decision[] {
  const mapper = MAPPERS[source];
  return safely(source, () => mapper(payload, policy));
}

/**
 * What can arrive on the queue from AWS without our ingress (DESIGN.md "Queue message"): SNS envelopes
 * (non-raw delivery) and SNS→Lambda events, bare SES notifications/events (raw delivery), EventBridge-wrapped
 * SES events, End User Messaging SMS inbound messages. Anything else is `unrecognised_event`.
 */
export function mapAwsNative(payload: unknown, policy: MappingPolicy): Decision[] {
  return safely('unknown', () => {
    if (isSnsEnvelope(payload) || isLambdaSnsEvent(payload)) return mapSns(payload, policy);
    return mapAwsEvent(payload, policy) ?? [reject('unrecognised_event', 'unknown', 'not a normalised message, nor an SES, SNS, EventBridge or SMS event')];
  });
}

/** One SQS record body, as the consumer sees it: a normalised message, or an AWS-native payload. */
export function mapQueueBody(body: string, policy: MappingPolicy): Decision[] {
  if (typeof body !== 'string') return [reject('unrecognised_event', 'queue', 'the message body is not text')];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [reject('unrecognised_event', 'queue', 'the message body is not JSON')];
  }
  if (isRecord(parsed) && Object.hasOwn(parsed, 'contact')) return safely('queue', () => [mapNormalisedMessage(parsed, 'queue')]);
  return mapAwsNative(parsed, policy);
}

function has(record: JsonRecord, key: string): boolean {
  return Object.hasOwn(record, key);
}

function detectEvent(p: JsonRecord, inBatch: boolean): SourceName | undefined {
  // Called through a plain boolean so that a failed type guard does not narrow `p` to never.
  const looksLike = (guard: (value: unknown) => boolean): boolean => guard(p);
  if (has(p, 'mandrill_events')) return 'mandrill';
  if (looksLike(isSnsEnvelope) || looksLike(isLambdaSnsEvent)) return 'sns';
  if (looksLike(isEventBridgeEvent)) return 'eventbridge';
  if (looksLike(isSesEvent)) return 'ses';
  if (looksLike(isSmsInbound) || looksLike(isSmsDeliveryEvent)) return 'aws-sms';
  if (has(p, 'msys')) return 'sparkpost';
  if (has(p, 'event-data')) return 'mailgun';
  if (typeof p.RecordType === 'string') return 'postmark';
  if (typeof p.type === 'string' && /^(email|contact|suppression|domain)\./u.test(p.type)) return 'resend';
  if (typeof p.type === 'string' && p.type.startsWith('com.twilio.')) return 'twilio';
  if (has(p, 'AccountSid') || has(p, 'MessageSid') || has(p, 'SmsSid') || has(p, 'OptOutType')) return 'twilio';
  if (has(p, 'msisdn') || (p.channel === 'sms' && has(p, 'message_uuid'))) return 'vonage';
  if (typeof p.event === 'string' && isRecord(p.msg)) return 'mandrill';
  if ((p.type === 'blacklist' || p.type === 'whitelist') && isRecord(p.reject)) return 'mandrill';
  if (typeof p.event === 'string') {
    if (has(p, 'sg_event_id') || has(p, 'sg_message_id') || has(p, 'smtp-id')) return 'sendgrid';
    // Mailgun's bare event-data and legacy form posts say `recipient`; SendGrid and Brevo say `email`.
    if (has(p, 'recipient')) return 'mailgun';
    if (has(p, 'message-id') || has(p, 'ts_epoch') || has(p, 'ts_event') || has(p, 'X-Mailin-custom')) return 'brevo';
    // SendGrid always posts arrays; Brevo posts single objects unless batched.
    if (has(p, 'email')) return inBatch ? 'sendgrid' : 'brevo';
  }
  if (has(p, 'contact')) return 'generic';
  return undefined;
}

/**
 * Which provider produced a payload, from its shape alone (extract `--source auto`). A Lambda SQS event is
 * not a source: callers unwrap it first. Undefined when no provider matches.
 */
export function detectSource(payload: unknown): SourceName | undefined {
  if (Array.isArray(payload)) {
    const first = payload.find(isRecord);
    return first === undefined ? undefined : detectEvent(first, true);
  }
  return isRecord(payload) ? detectEvent(payload, false) : undefined;
}

/** What applyBlockReasons needs of the policy (PolicyConfig has both). */
export interface BlockPolicy {
  blockReasons: ReadonlySet<Reason>;
  neverBlock?: NeverBlockList | undefined;
}

/**
 * The policy gate every path applies between mapping and Hood (consumer decision step, webhook ingress,
 * `extract`), in this order:
 * 1. NEVER_BLOCK: a listed contact is ignored with reason `never_block` whatever the event says; the
 *    detail names it masked only.
 * 2. `soft_bounce` is a count-only signal (DESIGN.md "Reason labels"): here it is always an ignore with
 *    reason `soft_bounce`, even if a reason set contains it. The SOFT_BOUNCE_POLICY machinery must take
 *    soft bounces out of the decisions *before* this gate; nothing after it can block one.
 * 3. BLOCK_REASONS: a block whose reason the operator did not enable becomes an ignore carrying that
 *    reason, so it is still counted and logged ("a reason outside BLOCK_REASONS prints as an ignore").
 * Accepts the reason set alone (older callers) or the policy (`config.policy`), which also applies NEVER_BLOCK.
 */
export function applyBlockReasons(decisions: readonly Decision[], policy: ReadonlySet<Reason> | BlockPolicy): Decision[] {
  const { blockReasons, neverBlock } = policy instanceof Set ? { blockReasons: policy as ReadonlySet<Reason>, neverBlock: undefined } : (policy as BlockPolicy);
  return decisions.map((d) => {
    if (d.action !== 'block') return d;
    if (isNeverBlocked(d.contact, neverBlock)) return ignore('never_block', d.source, `NEVER_BLOCK matches ${maskContact(d.contact)}`, d.eventId);
    if (d.reason === 'soft_bounce') return ignore('soft_bounce', d.source, 'soft bounce: counted only under SOFT_BOUNCE_POLICY, never a block by itself', d.eventId);
    if (!blockReasons.has(d.reason)) return ignore(d.reason, d.source, 'reason not in BLOCK_REASONS', d.eventId);
    return d;
  });
}
