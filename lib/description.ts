import type { BlockRequest } from './types.js';

// Hood documents no maximum `description` length (Hood API documentation, docs.ocamba.com) and its UI caps user
// comments at 100 characters; 255 keeps the text whole in any sensible column and readable in the UI.
export const MAX_DESCRIPTION = 255;

// Keyed by string, not only by Reason: a label added to ReasonSchema elsewhere (soft_bounce_threshold)
// still gets readable text, and an unknown one falls back to the label itself.
const LABELS: Readonly<Record<BlockRequest['reason'], string>> & Readonly<Record<string, string | undefined>> = {
  hard_bounce: 'Hard bounce',
  complaint: 'Spam complaint',
  unsubscribe: 'Unsubscribed',
  group_unsubscribe: 'Unsubscribed from a group',
  sms_opt_out: 'SMS opt-out',
  suppressed: 'Already suppressed by the provider',
  manual: 'Blocked manually',
  soft_bounce: 'Soft bounce (mailbox full or unavailable)',
  soft_bounce_threshold: 'Repeated soft bounces',
};

/**
 * The text stored with the blocked contact in Hood: why (reason + provider detail), where from (source,
 * event id) and when, so that someone reading the Do Not Contact list can trace the entry back.
 * Control characters are removed (payload text is attacker-controlled) and the result is bounded.
 */
export function buildDescription(
  req: Pick<BlockRequest, 'reason' | 'source' | 'description' | 'eventId' | 'occurredAt'>,
): string {
  const parts = [`${LABELS[req.reason] ?? req.reason} (${req.reason}) via ${req.source}`];
  if (req.description) parts.push(req.description);
  if (req.eventId) parts.push(`event ${req.eventId}`);
  if (req.occurredAt) parts.push(`at ${req.occurredAt}`);
  return bound(clean(`hood-blocker: ${parts.join('; ')}`), MAX_DESCRIPTION);
}

// Format characters (bidi overrides/isolates/marks, zero-width space, BOM, soft hyphen, tags) can make
// provider text read differently in Hood's UI than it is (https://www.unicode.org/reports/tr36/); they
// are removed. The zero-width joiner stays: emoji sequences need it and it reorders nothing.
const FORMAT_RE = /(?:(?!\u200D)\p{Cf})+/gu;

export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text
    .replace(FORMAT_RE, '')
    .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/gu, ' ')
    .replace(/\s{2,}/gu, ' ')
    .trim();
}

export function bound(text: string, max: number): string {
  // Cut on code points, never inside a surrogate pair (an emoji half is not valid UTF-8 for Hood).
  const points = [...text];
  if (points.length <= max) return text;
  return `${points.slice(0, max - 1).join('')}…`;
}
