import type { Decision, Reason } from '../../types.js';
import { block, dedupe, detail, eachEvent, eventIdOf, ignore, isoFromUnix, isRecord, type JsonRecord, reject, trimmed } from '../shared/map.js';
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
 * - Sync events `{type:"blacklist"|"whitelist", action:"add"|"remove"|"change", reject:{email, reason}}`
 *   (Sync Event Webhook format, https://mailchimp.com/developer/transactional/docs/webhooks/#sync-events):
 *   a blacklist add/change is `suppressed`, except reason `custom` (the account added it itself: `manual`)
 *   and `soft-bounce` (a temporary entry after repeated soft bounces, which expires: not an opt-out).
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

function mapEvent(event: unknown): Decision[] {
  if (!isRecord(event)) return [reject('unrecognised_event', SOURCE, 'a Mandrill event is a JSON object')];
  const name = trimmed(event.event);
  if (name === undefined) {
    if (typeof event.type === 'string' && isRecord(event.reject)) return mapSyncEvent(event, event.reject);
    return [reject('unrecognised_event', SOURCE, 'not a Mandrill event (no "event", no sync "type")')];
  }
  const msg = isRecord(event.msg) ? event.msg : {};
  const eventId = eventIdOf(event._id, msg._id);
  const description = detail(name, trimmed(msg.bounce_description), trimmed(msg.diag));
  const occurredAt = isoFromUnix(event.ts) ?? isoFromUnix(msg.ts);
  if (name === 'hard_bounce' || name === 'soft_bounce') {
    const classification = trimmed(msg.bounce_description)?.toLowerCase();
    const mailbox = classification === 'mailbox_full' || classifySmtp({ text: trimmed(msg.diag) }) === 'mailbox';
    if (name === 'hard_bounce' && classification !== undefined && SENDER_SIDE_BOUNCES.has(classification)) return [ignore('not_recipient_address', SOURCE, description, eventId)];
    if (mailbox) return [block(msg.email, 'soft_bounce', SOURCE, { description, eventId, occurredAt })];
    if (name === 'soft_bounce') return [ignore('transient_bounce', SOURCE, description, eventId)];
  }
  const reason = BLOCKING.get(name);
  if (reason === undefined) return [ignore(NOT_OPT_OUT.has(name) ? name : 'not_an_opt_out_event', SOURCE, detail(`event=${name}`), eventId)];
  return [block(msg.email, reason, SOURCE, { description, eventId, occurredAt })];
}

function mapSyncEvent(event: JsonRecord, entry: JsonRecord): Decision[] {
  const type = trimmed(event.type);
  const action = trimmed(event.action);
  const eventId = eventIdOf(event._id);
  if (type === 'blacklist' && (action === 'add' || action === 'change')) {
    const why = trimmed(entry.reason)?.toLowerCase();
    if (why === 'soft-bounce') return [ignore('soft_bounce_rejection', SOURCE, detail(`blacklist ${action}`, why), eventId)];
    return [block(entry.email, why === 'custom' ? 'manual' : 'suppressed', SOURCE, { description: detail(`blacklist ${action}`, trimmed(entry.reason), trimmed(entry.detail)), eventId, occurredAt: isoFromUnix(event.ts) })];
  }
  if (type === 'blacklist') return [ignore('blacklist_removed', SOURCE, detail(`blacklist ${action ?? '?'}`), eventId)];
  if (type === 'whitelist') return [ignore('whitelist', SOURCE, detail(`whitelist ${action ?? '?'}`), eventId)];
  return [ignore('not_an_opt_out_event', SOURCE, detail(`sync type=${type ?? '?'}`), eventId)];
}
