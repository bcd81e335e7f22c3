// zod/mini keeps Lambda bundles small (https://zod.dev/packages/mini); same validation as the classic API.
import * as z from 'zod/mini';

/** Reason labels (docs/configuration.md "Queue message"): why a contact is (or would be) blocked. */
export const ReasonSchema = z.enum([
  'hard_bounce',
  'complaint',
  'unsubscribe',
  'group_unsubscribe',
  'sms_opt_out',
  'suppressed',
  'manual',
  // What repeated soft bounces block as under SOFT_BOUNCE_POLICY (the ledger hooks turn the soft bounce that
  // reaches the threshold into it); otherwise only if listed in BLOCK_REASONS.
  'soft_bounce_threshold',
  // Count-only: a mailbox-level soft bounce. Never blocks by itself (the policy gate turns it into an
  // ignore); the consumer's SOFT_BOUNCE_POLICY counts it (docs/configuration.md "Soft bounces").
  'soft_bounce',
]);
export type Reason = z.infer<typeof ReasonSchema>;
export const REASONS: readonly Reason[] = ReasonSchema.options;

/** One contact to block, as produced by a provider mapper (contact already normalised where possible). */
export interface BlockRequest {
  contact: string;
  reason: Reason;
  source: string;
  description?: string;
  eventId?: string;
  occurredAt?: string;
}

/** Who opted back in, and when (normalised like a block's contact). */
export interface OptIn {
  contact: string;
  occurredAt?: string;
}

/** A mapper's verdict on one event (or one recipient of an event). */
export type Decision =
  | ({ action: 'block' } & BlockRequest)
  | {
      /** Deliberately not an opt-out: deleted and counted, with a reason that says why. */
      action: 'ignore';
      reason: string;
      source: string;
      detail?: string;
      eventId?: string;
      /**
       * The person opted back in (a Twilio START, a SendGrid group_resubscribe, an SES re-subscription): never
       * a block; the webhook queues it as an opt-in message (lib/queue/opt-in.ts) so a human can unblock them.
       */
      optIn?: OptIn;
    }
  | {
      /** Cannot be acted upon (no usable contact, unknown shape): dead-lettered with this reason. */
      action: 'reject';
      reason: RejectReason;
      source: string;
      detail?: string;
      contact?: string;
      eventId?: string;
    };

/**
 * `ambiguous_recipient`: a complaint (or a Resend bounce or suppression) on a message with several recipients
 * that does not say which one it is about; blocking all of them would block people who did not opt out, so a
 * person decides.
 */
export type RejectReason = 'invalid_contact' | 'unrecognised_event' | 'malformed_message' | 'ambiguous_recipient';

export type BlockDecision = Extract<Decision, { action: 'block' }>;
export type IgnoreDecision = Extract<Decision, { action: 'ignore' }>;
export type RejectDecision = Extract<Decision, { action: 'reject' }>;
