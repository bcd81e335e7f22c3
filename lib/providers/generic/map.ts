import { decodeMessage } from '../../queue/message.js';
import type { Decision } from '../../types.js';
import { clean } from '../../description.js';
import { block, dedupe, detail, eachEvent, isRecord, reject, text } from '../shared/map.js';
import type { MappingPolicy } from '../types.js';

/**
 * The generic webhook and the block queue's own message (docs/configuration.md "Queue message"): one normalised
 * block request `{contact, description?, reason?, source?, eventId?, occurredAt?}` or an array of them.
 * `reason` defaults to `manual` (own apps, backfill). A message that does not match the schema is
 * `malformed_message`; one whose contact is not an address or a number is `invalid_contact`. Both are
 * dead-lettered, never retried.
 */
const SOURCE = 'generic';
const MAX_ISSUES = 3;

export function mapGeneric(payload: unknown, _policy?: MappingPolicy): Decision[] {
  return dedupe(eachEvent(payload, SOURCE, (message) => [mapNormalisedMessage(message, SOURCE)]));
}

/** One normalised message; `defaultSource` names where it came from when the message does not say. */
export function mapNormalisedMessage(message: unknown, defaultSource: string): Decision {
  const parsed = decodeMessage(message);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, MAX_ISSUES)
      .map(
        (i) =>
          `${i.path.map((p) => (typeof p === 'symbol' ? (p.description ?? '') : String(p))).join('.') || 'message'}: ${i.message}`,
      )
      .join('; ');
    const contact = isRecord(message) ? text(message.contact)?.slice(0, 320) : undefined;
    return reject('malformed_message', defaultSource, detail('not a normalised block request', issues), { contact });
  }
  const m = parsed.data;
  // The schema allows "" and control characters in `source`; a decision needs a printable one.
  const source = clean(m.source ?? '') || defaultSource;
  return block(m.contact, m.reason ?? 'manual', source, {
    description: m.description,
    eventId: m.eventId,
    occurredAt: m.occurredAt,
  });
}
