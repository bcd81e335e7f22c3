import type { Decision, Reason } from '../../types.js';
import {
  block,
  dedupe,
  detail,
  eachEvent,
  eventIdOf,
  ignore,
  isoFromUnix,
  isRecord,
  type JsonRecord,
  reject,
  trimmed,
} from '../shared/map.js';
import { classifySmtp } from '../shared/smtp.js';
import type { MappingPolicy } from '../types.js';

/**
 * Mailchimp Transactional (Mandrill) webhooks (
 * https://mailchimp.com/developer/transactional/docs/webhooks/). The POST is form-encoded with a single
 * parameter `mandrill_events` holding a JSON array (≤ 1000 events). Accepted here: that form object, the
 * parsed array, or one event object.
 * - Message events `{event, msg:{email, …}, _id, ts}`: hard_bounce, spam, unsub block; `reject` (Mandrill
 *   refused to send because the address is on its rejection blacklist) is `suppressed`; soft_bounce,
 *   deferral, send, open, click, … never block.
 * - Sync events (Mandrill's "Sync Event Webhook format", https://mandrill.zendesk.com/hc/en-us/articles/360039233253,
 *   and https://mailchimp.com/developer/transactional/docs/webhooks/#sync-events): `{ts, type, action,
 *   reject:{email, reason, detail, …}}`. `type` is the list, "blacklist" or "whitelist" (the newer pages
 *   call them denylist and safelist, both names are read); `action` is add, remove (either list) or change
 *   (denylist only: "already on the rejection denylist before, and gets added back because of a new
 *   event"). Whitelist entries arrive under `entry:{email, detail, created_at}` in some payloads (Mandrill.net
 *   MandrillSyncEvent.Entry); an `event:"sync"` (or an `event` naming the list) carries the same fields.
 *   - a denylist add or change blocks `entry.email` as `suppressed`, except reason `custom` (the account
 *     added it itself: `manual`) and `soft-bounce` (a temporary entry after repeated soft bounces, which
 *     expires: not an opt-out);
 *   - a denylist removal and every safelist change are ignored with their reason (a removal is not an
 *     opt-in Hood could act on; a safelist entry is the account's own exception);
 *   - a sync event whose list or action is not one of these is dead-lettered: it may be an addition.
 *
 * Mandrill's bounce classification `msg.bounce_description`
 * (https://mailchimp.com/developer/transactional/docs/reputation-rejections/#bounces): a `hard_bounce`
 * classified `spam_related` or `policy_related` is the receiver refusing the sender or the content, not a
 * dead address, and never blocks; `mailbox_full` is a soft bounce. A `soft_bounce` counts towards
 * SOFT_BOUNCE_POLICY (`soft_bounce`, keyed by the message `_id`) only for a full or disabled mailbox.
 */
const SOURCE = 'mandrill';

const BLOCKING: ReadonlyMap<string, Reason> = new Map([
  ['hard_bounce', 'hard_bounce'],
  ['spam', 'complaint'],
  ['unsub', 'unsubscribe'],
  ['reject', 'suppressed'],
]);

const NOT_OPT_OUT = new Set(['send', 'deferral', 'open', 'click', 'delivered', 'inbound']);
const SENDER_SIDE_BOUNCES = new Set(['spam_related', 'policy_related']);
// Sync event lists, by their older and newer names.
const DENYLIST = new Set(['blacklist', 'denylist']);
const SAFELIST = new Set(['whitelist', 'safelist', 'allowlist']);

export function mapMandrill(payload: unknown, _policy?: MappingPolicy): Decision[] {
  let events: unknown = payload;
  if (isRecord(payload) && Object.hasOwn(payload, 'mandrill_events')) {
    const raw = payload.mandrill_events;
    if (typeof raw === 'string') {
      try {
        events = JSON.parse(raw);
      } catch {
        return [reject('malformed_message', SOURCE, 'mandrill_events is not JSON')];
      }
    } else {
      events = raw;
    }
    if (!Array.isArray(events)) return [reject('malformed_message', SOURCE, 'mandrill_events is not a JSON array')];
  }
  return dedupe(eachEvent(events, SOURCE, mapEvent));
}

/** A sync event, in any of its shapes (see the header): `{type, action, reject|entry}`, or with `event`. */
export function isMandrillSyncEvent(event: JsonRecord): boolean {
  const name = trimmed(event.event)?.toLowerCase();
  if (name !== undefined) return name === 'sync' || DENYLIST.has(name) || SAFELIST.has(name);
  const list = trimmed(event.type)?.toLowerCase();
  return (
    isRecord(event.reject) ||
    isRecord(event.entry) ||
    (list !== undefined && (DENYLIST.has(list) || SAFELIST.has(list)))
  );
}

function mapEvent(event: unknown): Decision[] {
  if (!isRecord(event)) return [reject('unrecognised_event', SOURCE, 'a Mandrill event is a JSON object')];
  if (isMandrillSyncEvent(event)) return mapSyncEvent(event);
  const name = trimmed(event.event);
  if (name === undefined)
    return [reject('unrecognised_event', SOURCE, 'not a Mandrill event (no "event", no sync "type")')];
  const msg = isRecord(event.msg) ? event.msg : {};
  const eventId = eventIdOf(event._id, msg._id);
  const description = detail(name, trimmed(msg.bounce_description), trimmed(msg.diag));
  const occurredAt = isoFromUnix(event.ts) ?? isoFromUnix(msg.ts);
  if (name === 'hard_bounce' || name === 'soft_bounce') {
    const classification = trimmed(msg.bounce_description)?.toLowerCase();
    const mailbox = classification === 'mailbox_full' || classifySmtp({ text: trimmed(msg.diag) }) === 'mailbox';
    if (name === 'hard_bounce' && classification !== undefined && SENDER_SIDE_BOUNCES.has(classification))
      return [ignore('not_recipient_address', SOURCE, description, eventId)];
    if (mailbox) return [block(msg.email, 'soft_bounce', SOURCE, { description, eventId, occurredAt })];
    if (name === 'soft_bounce') return [ignore('transient_bounce', SOURCE, description, eventId)];
  }
  const reason = BLOCKING.get(name);
  if (reason === undefined)
    return [ignore(NOT_OPT_OUT.has(name) ? name : 'not_an_opt_out_event', SOURCE, detail(`event=${name}`), eventId)];
  return [block(msg.email, reason, SOURCE, { description, eventId, occurredAt })];
}

function mapSyncEvent(event: JsonRecord): Decision[] {
  const name = trimmed(event.event)?.toLowerCase();
  // The list: `type`, or the `event` itself when it names one.
  const list = trimmed(event.type)?.toLowerCase() ?? (name !== 'sync' ? name : undefined);
  const action = trimmed(event.action)?.toLowerCase();
  const entry = isRecord(event.reject) ? event.reject : isRecord(event.entry) ? event.entry : {};
  const eventId = eventIdOf(event._id);
  const label = `${list ?? '?'} ${action ?? '?'}`;
  if (list !== undefined && SAFELIST.has(list) && (action === 'add' || action === 'remove')) {
    return [
      ignore(
        'whitelist',
        SOURCE,
        detail(label, "a safelist change is the account's own exception, not an opt-out"),
        eventId,
      ),
    ];
  }
  if (list !== undefined && DENYLIST.has(list) && action === 'remove')
    return [ignore('blacklist_removed', SOURCE, detail(label), eventId)];
  if (list !== undefined && DENYLIST.has(list) && (action === 'add' || action === 'change')) {
    const why = trimmed(entry.reason)?.toLowerCase();
    if (why === 'soft-bounce') return [ignore('soft_bounce_rejection', SOURCE, detail(label, why), eventId)];
    const description = detail(label, trimmed(entry.reason), trimmed(entry.detail));
    return [
      block(entry.email, why === 'custom' ? 'manual' : 'suppressed', SOURCE, {
        description,
        eventId,
        occurredAt: isoFromUnix(event.ts),
      }),
    ];
  }
  // An unknown list or action may be an addition under a new name: a person decides, nothing is dropped.
  return [
    reject('unrecognised_event', SOURCE, detail('sync event with an unknown list or action', label), { eventId }),
  ];
}
