// zod/mini keeps Lambda bundles small (https://zod.dev/packages/mini); same validation as the classic API.
import * as z from 'zod/mini';
import type { IgnoreDecision, OptIn } from '../types.js';
import { encodeJsonBody } from './encode.js';

/**
 * The opt-in message (README "Queue message"): someone opted back in (Twilio START, SendGrid group_resubscribe,
 * an SES re-subscription). Its own shape on the block queue, built so that no consumer can turn it into a
 * block: it has no top-level `contact` (the block message's required key) and no block `reason`, so a release
 * that does not know it fails to read it as a block request and dead-letters it (`unrecognised_event`).
 *
 *   {"kind":"opt_in","optIn":{"contact":"…"},"signal":"sms_opt_in","source":"twilio","eventId"?,"occurredAt"?}
 */
export const OPT_IN_KIND = 'opt_in';

export const OptInMessageSchema = z.object({
  kind: z.literal(OPT_IN_KIND),
  optIn: z.object({ contact: z.string().check(z.minLength(1), z.maxLength(512)) }),
  /** The provider's word for it (`sms_opt_in`, `group_resubscribe`, `subscription_opt_in`). */
  signal: z.string().check(z.minLength(1), z.maxLength(100)),
  source: z.string().check(z.minLength(1), z.maxLength(100)),
  eventId: z.optional(z.string().check(z.maxLength(512))),
  occurredAt: z.optional(z.iso.datetime({ offset: true })),
  detail: z.optional(z.string().check(z.maxLength(2000))),
});
export type OptInMessage = z.infer<typeof OptInMessageSchema>;

/** An ignore decision that names who opted in. */
export type OptInDecision = IgnoreDecision & { optIn: OptIn };

export function isOptIn(d: { action: string; optIn?: OptIn }): d is OptInDecision {
  return d.action === 'ignore' && d.optIn !== undefined;
}

/** The queue body of an opt-in (keys in one fixed order; SQS accepts every character of it). */
export function encodeOptIn(d: OptInDecision): string {
  const body: Record<string, unknown> = { kind: OPT_IN_KIND, optIn: { contact: d.optIn.contact }, signal: d.reason };
  body.source = d.source;
  if (d.eventId !== undefined) body.eventId = d.eventId;
  if (d.optIn.occurredAt !== undefined) body.occurredAt = d.optIn.occurredAt;
  if (d.detail !== undefined) body.detail = d.detail;
  return encodeJsonBody(body);
}

/**
 * What a queue body is as an opt-in: `undefined` when it does not say `"kind":"opt_in"` (then it is read as
 * a block request or a provider event); `ok: false` when it says so but is not a valid opt-in: it must be
 * dead-lettered, never read as anything else.
 */
export function decodeOptIn(
  body: string,
): { ok: true; message: OptInMessage } | { ok: false; why: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== OPT_IN_KIND)
    return undefined;
  const parsed = OptInMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, why: 'an opt_in message without a valid optIn.contact, signal and source' };
}
