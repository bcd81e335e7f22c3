import type { Decision } from '../types.js';

/**
 * The slice of the policy a mapper needs. Which reasons actually block (`BLOCK_REASONS`) is applied
 * afterwards by `applyBlockReasons`, so that a mapper always says what an event *is*, not what to do.
 */
export interface MappingPolicy {
  /** Upper-cased opt-out keywords, matched against the whole trimmed SMS body (`SMS_OPT_OUT_KEYWORDS`). */
  smsOptOutKeywords: ReadonlySet<string>;
}

/** Every provider mapper has this shape: pure, total (never throws), one decision per event or recipient. */
export type Mapper = (payload: unknown, policy: MappingPolicy) => Decision[];

/**
 * Names accepted as webhook providers (DESIGN.md "Webhook ingress") and used as `source` on decisions.
 * SES events keep `source: 'ses'` whichever transport (SNS, EventBridge, raw SQS) carried them.
 */
export const PROVIDERS = [
  'ses',
  'sns',
  'aws-sms',
  'sendgrid',
  'twilio',
  'mailgun',
  'postmark',
  'brevo',
  'mandrill',
  'sparkpost',
  'resend',
  'vonage',
  'generic',
] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * What `extract --source` and `mapProvider` accept: the providers plus transports that only wrap
 * another source (EventBridge carries SES events; its decisions say `source: 'ses'`).
 */
export const SOURCE_NAMES = [...PROVIDERS, 'eventbridge'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export function isSourceName(value: unknown): value is SourceName {
  return typeof value === 'string' && (SOURCE_NAMES as readonly string[]).includes(value);
}
