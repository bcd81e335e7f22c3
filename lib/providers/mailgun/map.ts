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
  text,
  trimmed,
} from '../shared/map.js';
import { classifySmtp } from '../shared/smtp.js';
import type { MappingPolicy } from '../types.js';

/**
 * Mailgun webhooks. Three shapes, one set of rules:
 * - current webhooks: `{"signature":{…},"event-data":{event, id, timestamp, severity?, reason?, recipient, …}}`
 *   (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhooks);
 * - the bare `event-data` object (Events API, or a queue message carrying only it);
 * - legacy (pre-2018) form posts: top-level `event` (bounced, dropped, complained, unsubscribed, …),
 *   `recipient`, `timestamp`, `token`, `signature`, `Message-Id`, and for drops `reason` + `code`.
 * Contact = `recipient`, never `message.headers.to`: the official "Failed (Permanent)" example has
 * recipient slava@mailgun.com while the To header is joan@example.com.
 *
 * `failed` + `severity:"permanent"` is NOT one thing: "Mailgun stops attempting to deliver messages and
 * drops them [for] hard bounces, messages that reached their retry limit, previously
 * unsubscribed/bounced/complained addresses, or addresses rejected by an ESP"
 * (https://documentation.mailgun.com/docs/mailgun/user-manual/events/event-types, "Failed"). Only the
 * recipient's own address or action may block (issue: wrong blocks cannot be undone in Hood), so:
 * - `suppress-bounce` / `-complaint` / `-unsubscribe` (the address is on that Mailgun list) →
 *   `hard_bounce` / `complaint` / `unsubscribe`;
 * - `old` (retry limit reached) and `espblock` (rejected by an ESP) → ignored: about the sending, not the
 *   recipient;
 * - anything else (`bounce`, `generic`, …) is decided on the receiving server's reply (lib/providers/shared/smtp.ts):
 *   a bad/nonexistent/disabled address is `hard_bounce`; mailbox full is `soft_bounce` (count-only);
 *   spam, policy, reputation, routing, size → ignored.
 */
const SOURCE = 'mailgun';

// Events that say nothing about consent (current and legacy names).
const NOT_OPT_OUT = new Set([
  'accepted',
  'rejected',
  'delivered',
  'opened',
  'clicked',
  'stored',
  'list_member_uploaded',
  'list_member_upload_error',
  'list_uploaded',
]);

// The suppression lists a permanent failure can name, by `reason` (current) and by drop `code` (legacy
// "Dropped Messages" webhook: 605 previously bounced, 606 unsubscribed, 607 marked as spam; 625 "Poor
// mailing list quality" is about the sender's list and is not here).
const SUPPRESSION_BY_REASON: ReadonlyMap<string, Reason> = new Map([
  ['suppress-bounce', 'hard_bounce'],
  ['suppress-complaint', 'complaint'],
  ['suppress-unsubscribe', 'unsubscribe'],
]);
const SUPPRESSION_BY_CODE: ReadonlyMap<string, Reason> = new Map([
  ['605', 'hard_bounce'],
  ['606', 'unsubscribe'],
  ['607', 'complaint'],
]);
// Legacy drop reasons: "maxfails" (too many attempts) and "old" (too old to retry) are retry exhaustion.
const RETRY_EXHAUSTED = new Set(['old', 'maxfails']);

export function mapMailgun(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, mapOne));
}

function mapOne(payload: unknown): Decision[] {
  if (!isRecord(payload))
    return [reject('unrecognised_event', SOURCE, 'a Mailgun webhook body is a JSON object or form fields')];
  if (Object.hasOwn(payload, 'event-data')) {
    const data = payload['event-data'];
    return isRecord(data) ? mapEvent(data) : [reject('unrecognised_event', SOURCE, '"event-data" is not an object')];
  }
  return mapEvent(payload);
}

interface Context {
  data: JsonRecord;
  eventId: string | undefined;
  /** The sent message's id: what makes soft bounces "from distinct sent messages" countable. */
  messageId: string | undefined;
  occurredAt: string | undefined;
}

function mapEvent(data: JsonRecord): Decision[] {
  const name = trimmed(data.event);
  if (name === undefined) return [reject('unrecognised_event', SOURCE, 'not a Mailgun event (no "event" field)')];
  const headers = isRecord(data.message) && isRecord(data.message.headers) ? data.message.headers : {};
  const messageId = eventIdOf(headers['message-id'], data['Message-Id'], data['message-id']);
  // Current events carry a unique `id`; legacy posts only the message id.
  const ctx: Context = {
    data,
    eventId: eventIdOf(data.id) ?? messageId,
    messageId,
    occurredAt: isoFromUnix(data.timestamp),
  };
  switch (name) {
    case 'failed':
      return mapFailed(ctx);
    // Legacy "Permanent Failure" webhook: the receiving server's reply decides, as for `failed`.
    case 'bounced':
      return [
        fromReply(
          ctx,
          'bounced',
          legacyReply(
            trimmed(data.code),
            trimmed(data.error) ?? trimmed(data.description) ?? trimmed(data.notification),
          ),
        ),
      ];
    case 'dropped':
      return [mapLegacyDropped(ctx)];
    case 'complained':
      return [
        block(data.recipient, 'complaint', SOURCE, {
          description: 'spam complaint',
          eventId: ctx.eventId,
          occurredAt: ctx.occurredAt,
        }),
      ];
    case 'unsubscribed':
      return [
        block(data.recipient, 'unsubscribe', SOURCE, {
          description: 'unsubscribed',
          eventId: ctx.eventId,
          occurredAt: ctx.occurredAt,
        }),
      ];
    default:
      return [
        ignore(NOT_OPT_OUT.has(name) ? name : 'not_an_opt_out_event', SOURCE, detail(`event=${name}`), ctx.eventId),
      ];
  }
}

function mapFailed(ctx: Context): Decision[] {
  const { data, eventId } = ctx;
  const status = isRecord(data['delivery-status']) ? data['delivery-status'] : {};
  const code = text(status.code);
  const reply = {
    enhanced: trimmed(status['enhanced-code']) ?? trimmed(status['bounce-code']),
    code,
    text: [trimmed(status.message), trimmed(status.description)].filter((t) => t !== undefined).join(' '),
  };
  const smtp = detail(
    [code, trimmed(status.message) ?? trimmed(status.description)].filter((p) => p !== undefined).join(' ') ||
      undefined,
  );
  const severity = trimmed(data.severity)?.toLowerCase();
  const why = trimmed(data.reason)?.toLowerCase();
  if (severity === 'temporary') {
    // Mailgun retries temporary failures itself; only a full/disabled mailbox counts as a soft bounce.
    if (classifySmtp(reply) === 'mailbox') return [softBounce(ctx, detail('failed/temporary', smtp))];
    return [ignore('temporary_failure', SOURCE, detail('failed/temporary', smtp), eventId)];
  }
  // A failure without a severity is not a shape Mailgun documents: a human decides (dead letter).
  if (severity !== 'permanent')
    return [
      reject('unrecognised_event', SOURCE, detail('failed event with severity', severity ?? 'missing'), { eventId }),
    ];
  const label = `failed/permanent${why ? ` (${why})` : ''}`;
  const listed = (why && SUPPRESSION_BY_REASON.get(why)) || (code && SUPPRESSION_BY_CODE.get(code));
  if (listed)
    return [
      block(data.recipient, listed, SOURCE, { description: detail(label, smtp), eventId, occurredAt: ctx.occurredAt }),
    ];
  if (why === 'old') return [ignore('retry_limit_reached', SOURCE, detail(label, smtp), eventId)];
  if (why === 'espblock') return [ignore('esp_block', SOURCE, detail(label, smtp), eventId)];
  return [fromReply(ctx, label, reply, smtp)];
}

/** A permanent failure decided on the receiving server's reply (see lib/providers/shared/smtp.ts). */
function fromReply(
  ctx: Context,
  label: string,
  reply: { enhanced?: string | undefined; code?: string | undefined; text?: string | undefined },
  smtp?: string,
): Decision {
  const description = detail(
    label,
    smtp ?? detail([reply.code, reply.text].filter((p) => p !== undefined).join(' ') || undefined),
  );
  switch (classifySmtp(reply)) {
    case 'address':
      return block(ctx.data.recipient, 'hard_bounce', SOURCE, {
        description,
        eventId: ctx.eventId,
        occurredAt: ctx.occurredAt,
      });
    case 'mailbox':
      return softBounce(ctx, description);
    case 'other':
      return ignore('not_recipient_address', SOURCE, description, ctx.eventId);
    case 'unknown':
      return ignore('unclassified_failure', SOURCE, description, ctx.eventId);
  }
}

function softBounce(ctx: Context, description: string | undefined): Decision {
  return block(ctx.data.recipient, 'soft_bounce', SOURCE, {
    description,
    eventId: ctx.messageId ?? ctx.eventId,
    occurredAt: ctx.occurredAt,
  });
}

/**
 * Legacy "Dropped Messages" webhook: `reason` hardfail (the address is on a suppression list; `code` says
 * which), maxfails or old (retries exhausted); `code` is "ESP response code" and `description` a
 * "detailed explanation" (Mailgun's legacy webhook parameters). Labelled by the code: a spam complaint is a
 * complaint, and a code saying the recipient's address does not exist (an enhanced `5.1.1`, as Mailgun
 * also sends in legacy `code` fields, anymail issue #62, or `550` with such a reply) is a `hard_bounce`,
 * whatever the drop reason: retries that end on a dead address still end on a dead address. Any other
 * code keeps the drop reason's rule.
 */
function mapLegacyDropped(ctx: Context): Decision {
  const { data } = ctx;
  const why = trimmed(data.reason)?.toLowerCase();
  const code = trimmed(data.code);
  const description = trimmed(data.description) ?? trimmed(data.error);
  const label = detail('dropped', why, code, description);
  const listed = code === undefined ? undefined : SUPPRESSION_BY_CODE.get(code);
  if (listed)
    return block(data.recipient, listed, SOURCE, {
      description: label,
      eventId: ctx.eventId,
      occurredAt: ctx.occurredAt,
    });
  if (code !== undefined && classifySmtp(legacyReply(code, description)) === 'address') {
    return block(data.recipient, 'hard_bounce', SOURCE, {
      description: label,
      eventId: ctx.eventId,
      occurredAt: ctx.occurredAt,
    });
  }
  if (why !== undefined && RETRY_EXHAUSTED.has(why)) return ignore('retry_limit_reached', SOURCE, label, ctx.eventId);
  if (why === 'hardfail') {
    // Without a known code, Mailgun's fixed drop texts still say which list.
    const d = description?.toLowerCase() ?? '';
    const reason: Reason = d.includes('marked your messages as spam')
      ? 'complaint'
      : d.includes('unsubscribed address')
        ? 'unsubscribe'
        : d.includes('previously bounced')
          ? 'hard_bounce'
          : 'suppressed';
    return block(data.recipient, reason, SOURCE, {
      description: label,
      eventId: ctx.eventId,
      occurredAt: ctx.occurredAt,
    });
  }
  return ignore('not_recipient_address', SOURCE, label, ctx.eventId);
}

/** A legacy `code` is an enhanced status code (`5.1.1`, anymail issue #62) or a basic reply code (`550`). */
function legacyReply(
  code: string | undefined,
  text: string | undefined,
): { enhanced?: string | undefined; code?: string | undefined; text?: string | undefined } {
  // Anchored, no nested repetition: linear.
  return code !== undefined && /^\d\.\d{1,3}\.\d{1,3}$/u.test(code) ? { enhanced: code, text } : { code, text };
}
