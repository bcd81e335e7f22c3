// zod/mini keeps Lambda bundles small (https://zod.dev/packages/mini); same validation as the classic API.
import * as z from 'zod/mini';
import { type BlockRequest, ReasonSchema, type RejectDecision } from '../types.js';
import { encodeJsonBody } from './encode.js';

/**
 * The block queue's message (README "Contracts"), in one place: its schema, the encoder every
 * producer uses (webhook ingress, consumer re-queue, `enqueue`) and the decoder the consumer and the
 * generic webhook use. `{"contact", "description"?, "reason"?, "source"?, "eventId"?, "occurredAt"?}`.
 */

/**
 * The normalised queue message (README "Contracts"). Users and the webhook ingress put these on
 * the block queue; the consumer also re-queues failed contacts of a multi-contact event in this shape.
 * Unknown keys are tolerated (forward compatibility) but not forwarded.
 */
export const NormalisedMessageSchema = z.object({
  contact: z.string().check(z.minLength(1), z.maxLength(512)),
  description: z.optional(z.string().check(z.maxLength(2000))),
  reason: z.optional(ReasonSchema),
  source: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  eventId: z.optional(z.string().check(z.maxLength(512))),
  occurredAt: z.optional(z.iso.datetime({ offset: true })),
});
export type NormalisedMessage = z.infer<typeof NormalisedMessageSchema>;

/** One message's body; optional keys only when present, in one fixed order; SQS accepts every character of it. */
export function encodeMessage(m: NormalisedMessage | BlockRequest): string {
  const body: Record<string, string> = { contact: m.contact };
  if (m.reason !== undefined) body.reason = m.reason;
  if (m.source !== undefined) body.source = m.source;
  if (m.description !== undefined) body.description = m.description;
  if (m.eventId !== undefined) body.eventId = m.eventId;
  if (m.occurredAt !== undefined) body.occurredAt = m.occurredAt;
  return encodeJsonBody(body);
}

/**
 * A rejected event in the normalised shape, so `dlq redrive` can replay it once the cause is fixed. Its
 * `reason` is the reject reason (invalid_contact, …), which is deliberately NOT a block reason: if this
 * body lands on the block queue (no DLQ configured) the consumer can only dead-letter it, never block it.
 * `contact` is absent when the event named none.
 */
export function encodeRejected(d: RejectDecision): string {
  const body: Record<string, string> = {};
  if (d.contact !== undefined) body.contact = d.contact;
  body.reason = d.reason;
  body.source = d.source;
  if (d.detail !== undefined) body.description = d.detail;
  if (d.eventId !== undefined) body.eventId = d.eventId;
  return encodeJsonBody(body);
}

/** A parsed body checked against the schema (unknown keys dropped). */
export function decodeMessage(value: unknown): ReturnType<typeof NormalisedMessageSchema.safeParse> {
  return NormalisedMessageSchema.safeParse(value);
}
