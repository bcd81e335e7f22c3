import type { Decision } from '../types.js';
import { block, dedupe, detail, eachEvent, eventIdOf, ignore, isoFromUnix, isRecord, type JsonRecord, reject, text, trimmed } from './shared.js';
import type { MappingPolicy } from './types.js';

/**
 * Mailgun webhooks (research/event-sources.md §5; MGDOCS user_manual.rst §Webhooks, api-events.rst).
 * Three shapes, one set of rules:
 * - current webhooks: `{"signature":{…},"event-data":{event, id, timestamp, severity?, reason?, recipient, …}}`;
 * - the bare `event-data` object (Events API, or a queue message carrying only it);
 * - legacy (pre-2018) form posts: top-level `event` (bounced, dropped, complained, unsubscribed, …),
 *   `recipient`, `timestamp`, `token`, `signature`, `Message-Id`.
 * Contact = `recipient`, never `message.headers.to`: the official "Failed (Permanent)" example has
 * recipient slava@mailgun.com while the To header is joan@example.com.
 *
 * `failed` + `severity:"permanent"` is `hard_bounce` whatever its `reason` (bounce, generic, old, espblock,
 * suppress-bounce/-unsubscribe/-complaint): api-events.rst groups them all as permanent failures and
 * fixtures/expected.json labels suppress-bounce `hard_bounce`. `severity:"temporary"` is a soft bounce.
 */
const SOURCE = 'mailgun';

// Events that say nothing about consent (current and legacy names).
const NOT_OPT_OUT = new Set(['accepted', 'rejected', 'delivered', 'opened', 'clicked', 'stored', 'list_member_uploaded', 'list_member_upload_error', 'list_uploaded']);

export function mapMailgun(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapOne));
}

function mapOne(payload: unknown): Decision[] {
  if (!isRecord(payload)) return [reject('unrecognised_event', SOURCE, 'a Mailgun webhook body is a JSON object or form fields')];
  if (Object.hasOwn(payload, 'event-data')) {
    const data = payload['event-data'];
    return isRecord(data) ? mapEvent(data) : [reject('unrecognised_event', SOURCE, '"event-data" is not an object')];
  }
  return mapEvent(payload);
}

function mapEvent(data: JsonRecord): Decision[] {
  const name = trimmed(data.event);
  if (name === undefined) return [reject('unrecognised_event', SOURCE, 'not a Mailgun event (no "event" field)')];
  const headers = isRecord(data.message) && isRecord(data.message.headers) ? data.message.headers : {};
  // Current events carry a unique `id`; legacy posts only the message id.
  const eventId = eventIdOf(data.id, headers['message-id'], data['Message-Id'], data['message-id']);
  const occurredAt = isoFromUnix(data.timestamp);
  const status = isRecord(data['delivery-status']) ? data['delivery-status'] : {};
  const smtp = detail([text(status.code), trimmed(status.message) ?? trimmed(status.description)].filter((p) => p !== undefined).join(' ') || undefined);
  switch (name) {
    case 'failed': {
      const severity = trimmed(data.severity)?.toLowerCase();
      if (severity === 'temporary') return [ignore('temporary_failure', SOURCE, detail('failed/temporary', smtp), eventId)];
      // A failure without a severity is not a shape Mailgun documents: a human decides (dead letter).
      if (severity !== 'permanent') return [reject('unrecognised_event', SOURCE, detail('failed event with severity', severity ?? 'missing'), { eventId })];
      const why = trimmed(data.reason);
      return [block(data.recipient, 'hard_bounce', SOURCE, { description: detail(`failed/permanent${why ? ` (${why})` : ''}`, smtp), eventId, occurredAt })];
    }
    // Legacy "Permanent Failure"/"Dropped Messages" webhooks: both are what `failed`+permanent is today.
    case 'bounced':
    case 'dropped':
      return [block(data.recipient, 'hard_bounce', SOURCE, { description: detail(name, trimmed(data.reason), trimmed(data.code), trimmed(data.error) ?? trimmed(data.description)), eventId, occurredAt })];
    case 'complained':
      return [block(data.recipient, 'complaint', SOURCE, { description: 'spam complaint', eventId, occurredAt })];
    case 'unsubscribed':
      return [block(data.recipient, 'unsubscribe', SOURCE, { description: 'unsubscribed', eventId, occurredAt })];
    default:
      return [ignore(NOT_OPT_OUT.has(name) ? name : 'not_an_opt_out_event', SOURCE, detail(`event=${name}`), eventId)];
  }
}
