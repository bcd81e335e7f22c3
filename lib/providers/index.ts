import { awsSms } from './aws-sms/index.js';
import { brevo } from './brevo/index.js';
import { eventbridge } from './eventbridge/index.js';
import { generic } from './generic/index.js';
import { mailgun } from './mailgun/index.js';
import { mandrill } from './mandrill/index.js';
import { postmark } from './postmark/index.js';
import { resend } from './resend/index.js';
import { distinctSecrets } from './secrets.js';
import { sendgrid } from './sendgrid/index.js';
import { ses } from './ses/index.js';
import type { JsonRecord } from './shared/map.js';
import { sns } from './sns/index.js';
import { sparkpost } from './sparkpost/index.js';
import { twilio } from './twilio/index.js';
import type {
  Detector,
  GeneratedLocally,
  LocalTopic,
  Provider,
  SecretSpec,
  SecretValues,
  SettingsSpec,
  WebhookSpec,
} from './types.js';
import { vonage } from './vonage/index.js';

/**
 * The provider registry: every provider (and transport) once. Ingress, configuration, the SSM loader,
 * `npm start` and `extract` iterate it; adding a provider is one module under lib/providers/<name>/ and
 * one line here (its `detectPriority` places its shape tests among the others for `extract --source auto`).
 */
export const REGISTRY = [
  ses,
  sns,
  awsSms,
  sendgrid,
  twilio,
  mailgun,
  postmark,
  brevo,
  mandrill,
  sparkpost,
  resend,
  vonage,
  generic,
  eventbridge,
] as const;

type Registered = (typeof REGISTRY)[number];
type WithWebhook = Extract<Registered, { webhook: WebhookSpec }>;

/** What `extract --source` and `mapProvider` accept, and the `source` of decisions. */
export type SourceName = Registered['name'];
/** Names of providers (transports that only wrap another source, such as EventBridge, excluded). */
export type ProviderName = Exclude<Registered, { transport: true }>['name'];
/** Names accepted as `POST /webhooks/{provider}`. */
export type WebhookProvider = WithWebhook['name'];

type AnySecret = WithWebhook['webhook']['secrets'][number];
/** Per-provider webhook secrets by key, as every provider module declares them; unset → provider disabled (404). */
export type WebhookSecrets = { [S in AnySecret as S['key']]?: SecretValues[S['kind']] };

export const SOURCE_NAMES: readonly SourceName[] = REGISTRY.map((p) => p.name);
export const PROVIDERS: readonly ProviderName[] = REGISTRY.filter(
  (p): p is Exclude<Registered, { transport: true }> => !('transport' in p),
).map((p) => p.name);
export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = REGISTRY.filter(
  (p): p is WithWebhook => 'webhook' in p,
).map((p) => p.name);

const BY_NAME: ReadonlyMap<string, Provider> = new Map(REGISTRY.map((p) => [p.name, p]));

export function isSourceName(value: unknown): value is SourceName {
  return typeof value === 'string' && BY_NAME.has(value);
}

export function isWebhookProvider(value: string): value is WebhookProvider {
  return BY_NAME.get(value)?.webhook !== undefined;
}

export function providerNamed(name: SourceName): Provider {
  return BY_NAME.get(name)!;
}

/** A webhook provider's route. */
export function webhookOf(name: WebhookProvider): WebhookSpec {
  return BY_NAME.get(name)!.webhook!;
}

/** How providers call their event ids, in registry order (`why --help`). */
export const EVENT_ID_EXAMPLES: readonly string[] = REGISTRY.flatMap((p: Provider) =>
  p.eventIdExample !== undefined ? [p.eventIdExample] : [],
);

/** One optional field of the declarations, for the providers that declare it, in registry order. */
function declared<K extends keyof Provider>(field: K): NonNullable<Provider[K]>[] {
  return REGISTRY.flatMap((p: Provider) => (p[field] !== undefined ? [p[field] as NonNullable<Provider[K]>] : []));
}

/** Ids that quoted a contact before event ids were keyed (`ledger-rekey --help`), in registry order. */
export const EVENT_IDS_QUOTING_CONTACTS: readonly string[] = declared('eventIdQuotesContact');

/** What `extract` reads besides the providers' own payloads: their envelopes and Lambda events. */
export const EXTRACT_FORMS: ReadonlyArray<NonNullable<Provider['extractForms']>> = declared('extractForms');

/** The topics the local pipeline's emulator creates, each delivering raw to the block queue. */
export const LOCAL_TOPICS: readonly LocalTopic[] = declared('localTopic');

/** The providers' queue bodies by label, in registry order (the benchmark's mapping cost). */
export const QUEUE_SAMPLES: ReadonlyArray<readonly [string, string]> = REGISTRY.flatMap((p: Provider) =>
  Object.entries(p.queueSamples ?? {}),
);

/** Every webhook secret, once (a shared one such as WEBHOOK_BASIC_AUTH too), in registry order. */
export const WEBHOOK_SECRETS: readonly SecretSpec[] = distinctSecrets(
  REGISTRY.flatMap((p): readonly SecretSpec[] => ('webhook' in p ? p.webhook.secrets : [])),
);

/** The secret `npm start` generates when unset, and how it records and prints it; undefined: none. */
export const GENERATED_SECRET: (SecretSpec & { generatedLocally: GeneratedLocally }) | undefined = WEBHOOK_SECRETS.find(
  (s): s is SecretSpec & { generatedLocally: GeneratedLocally } => s.generatedLocally !== undefined,
);

/** Every provider's settings that are not secrets (`SettingsSpec`), in registry order. */
export const WEBHOOK_SETTINGS: readonly SettingsSpec[] = REGISTRY.flatMap((p): readonly SettingsSpec[] => {
  const webhook: WebhookSpec | undefined = 'webhook' in p ? p.webhook : undefined;
  return webhook?.settings ? [webhook.settings] : [];
});

/** Secrets that may be given as an SSM SecureString name in `<NAME>_PARAMETER` instead of a value. */
export const SECRET_VARIABLES: readonly string[] = WEBHOOK_SECRETS.filter((s) => s.parameter !== false).map(
  (s) => s.variable,
);

/** What `npm start` prints for a disabled provider: the variables that would enable it. */
export function secretHint(name: string): string {
  return isWebhookProvider(name)
    ? webhookOf(name)
        .secrets.map((s) => s.variable)
        .join(' or ')
    : '?';
}

/**
 * `extract --source auto`: the detectors of every provider sorted by the priority each declares
 * (`detectPriority`, lower first); the first that matches names the source. The order matters where shapes
 * overlap, and is exactly the historical one:
 * - Mandrill's batch form (`mandrill_events`) and the AWS envelopes are unambiguous and come first;
 * - field names unique to one provider (`msys`, `event-data`, `RecordType` or `TypeCode`, typed CloudEvents,
 *   Twilio's `…Sid`, Vonage's `msisdn`) next;
 * - then events with an `event` string, where SendGrid, Mailgun and Brevo overlap: their own ids first,
 *   Mailgun's `recipient`, Brevo's fields, and a bare `email` is SendGrid in an array, Brevo alone;
 * - a normalised block request (`contact`) last.
 */
const DETECTORS = REGISTRY.flatMap((p: Provider) =>
  Object.entries(p.detect ?? {}).map(([rule, detect]) => ({
    name: p.name as SourceName,
    rule,
    detect,
    priority: p.detectPriority?.[rule],
  })),
);
const DETECTION_ORDER: ReadonlyArray<readonly [SourceName, Detector]> = DETECTORS.filter(
  (d) => d.priority !== undefined,
)
  .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))
  .map((d) => [d.name, d.detect] as const);

/** The source whose detector matches first, for one record (`inBatch`: the first object of an array). */
export function detectRecord(payload: JsonRecord, inBatch: boolean): SourceName | undefined {
  return DETECTION_ORDER.find(([, detect]) => detect(payload, inBatch))?.[0];
}

/** Detectors without a declared priority, for the test that none is left out of DETECTION_ORDER. */
export function unorderedDetectors(): Array<[SourceName, string]> {
  return DETECTORS.filter((d) => d.priority === undefined).map((d): [SourceName, string] => [d.name, d.rule]);
}
