import type { KeyObject } from 'node:crypto';
import type { Env } from '../config.js';
import type { Decision } from '../types.js';
import type { ReplayCache, ReplayStore } from './shared/replay.js';
import type { JsonRecord, MappingPolicy } from './shared/map.js';
import type { RequestHeaders, TimestampWindow, VerifyFailureReason } from './shared/verify.js';

export type { MappingPolicy } from './shared/map.js';

/** Every provider mapper has this shape: pure, total (never throws), one decision per event or recipient. */
export type Mapper = (payload: unknown, policy: MappingPolicy) => Decision[];

/**
 * Recognises a provider's payload by its shape alone (`extract --source auto`). `inBatch`: the record is
 * the first object of an array. The registry (lib/providers/index.ts) sorts every provider's detectors by
 * their declared `detectPriority`: the first that matches names the source.
 */
export type Detector = (payload: JsonRecord, inBatch: boolean) => boolean;

/**
 * A payload that reaches the queue from AWS without our ingress (raw SES, EventBridge, SMS, SNS envelopes):
 * how to recognise it and map it. Declared next to the mapper (lib/providers/<name>/map.ts), listed in
 * lib/providers/queue-native.ts, which the consumer reads without importing any verifier.
 */
export interface QueueNative {
  detect(payload: unknown): boolean;
  readonly map: Mapper;
}

/** Maps an AWS payload another one carries (an SNS Message); undefined when it is none of them. */
export type CarriedMapper = (payload: unknown, policy: MappingPolicy) => Decision[] | undefined;

/** How a secret's text is read: as is, `user:password` (HTTP Basic), or a comma-separated SNS topic ARN list. */
export type SecretKind = 'text' | 'basicAuth' | 'topicArns';

export interface BasicAuthCredentials {
  user: string;
  pass: string;
}

/** What each kind parses to. */
export interface SecretValues {
  text: string;
  basicAuth: BasicAuthCredentials;
  topicArns: readonly string[];
}

/** One webhook secret: its environment variable and where the parsed value sits in `WebhookConfig.secrets`. */
export interface SecretSpec<K extends string = string, T extends SecretKind = SecretKind> {
  /** The environment variable (docs/configuration.md). */
  readonly variable: string;
  /** Its key in `WebhookConfig.secrets`. */
  readonly key: K;
  readonly kind: T;
  /**
   * Reads a kind the provider defines itself (`topicArns`: its own ARN format); throws ConfigError naming
   * the variable when malformed, undefined when nothing usable is set. Absent: `text` as is, `basicAuth`.
   */
  parse?(value: string, variable: string): SecretValues[T] | undefined;
  /** Also accepted as `<variable>_PARAMETER`, an SSM SecureString name read at cold start (default true). */
  readonly parameter?: boolean;
  /** `npm start` generates a value when it is unset, and `send-test` falls back to that value. */
  readonly generatedLocally?: boolean;
  /**
   * A format check run at cold start and on every secret refresh: a malformed value fails loudly with the
   * variable's name instead of answering 401 to every genuine event. Returns what is wrong, never the value.
   */
  check?(value: SecretValues[T]): string | undefined;
}

/** Parsed secrets by key; a provider reads its own through `secretOf`. */
/** Parsed secrets by key (any object: `WebhookSecrets` is one); a provider reads its own through `secretOf`. */
export type SecretsView = object;

/**
 * Timestamp windows by provider name, replacing the one its verifier documents (tests); a verifier with
 * one tolerance both ways reads `maxAgeMs`.
 */
export type VerificationOptions = Readonly<Record<string, TimestampWindow | undefined>>;

/**
 * A provider's own settings that are not secrets (VONAGE_SIGNATURE_METHOD): read once with the webhook's
 * configuration, as the provider declares them, so that configuration and ingress name no provider.
 */
export interface SettingsSpec<K extends string = string, T = unknown> {
  /** The environment variables it reads (docs/configuration.md). */
  readonly variables: readonly string[];
  /** Its key in `WebhookConfig.settings`. */
  readonly key: K;
  /** Parses them; throws a ConfigError naming the variable when one is malformed. */
  load(env: Env): T;
  /** A cold-start warning about them (a setting advised but unset), or nothing. */
  warning?(settings: T, secrets: SecretsView): string | undefined;
}

/** Parsed settings by key (`WebhookConfig.settings`); a provider reads its own through `settingOf`. */
export type SettingsView = Readonly<Record<string, unknown>>;

/** HTTPS GET of a URL the provider's verifier pinned (SNS: signing certificates, subscription confirmations). */
export type HttpsGet<T> = (url: string) => Promise<T>;

/** Everything a provider's `authenticate` may use; built by the ingress for one request. */
export interface AuthContext {
  /** The body exactly as received. */
  rawBody: Buffer;
  /** Header names lower-cased. */
  headers: RequestHeaders;
  /** The public URL the provider called (Twilio and Mandrill sign it). */
  url: string;
  secrets: SecretsView;
  /** Every provider's settings (`SettingsSpec`), by key. */
  settings: SettingsView;
  /** Epoch milliseconds. */
  nowMs: number;
  /** This provider's timestamp window when a test replaces it; else its verifier's own. */
  window?: TimestampWindow;
  /**
   * Single-use values (Mailgun tokens, Svix message ids), shared by every container (LEDGER_TABLE) or, without
   * one, by the warm invocations of this instance (the provider's own `replayCache`).
   */
  replayStore(): ReplayStore;
  /** The network edge a test replaces: GET a certificate (PEM); absent, the provider's own client. */
  fetchCertificate?: HttpsGet<string>;
  /** The network edge a test replaces: GET a confirmation URL; absent, the provider's own client. */
  confirmSubscription?: HttpsGet<void>;
}

/** The ingress's answer to a protocol message, and the one log line it writes for it. */
export interface ProviderAnswer {
  statusCode: number;
  /** The JSON body; the ingress adds `correlationId`. */
  body: Record<string, unknown>;
  log: { level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> };
}

export type Authentication =
  | {
      ok: true;
      /** A one-time value claimed in the ReplayStore: released if the request ends before anything is queued. */
      claimedKey?: string;
      /** An authentic message already handled (a duplicate delivery): answered 200 without queueing again. */
      duplicate?: boolean;
      /**
       * What the signature covers, when that is not the whole body (Mandrill and Vonage parameters, SNS
       * signed fields): exactly this is mapped, never the body, so no unsigned byte names a contact.
       */
      signed?: unknown;
      /** A protocol message answered at once, nothing mapped or queued (SNS subscription confirmations). */
      answer?: ProviderAnswer;
    }
  | { ok: false; reason: VerifyFailureReason };

/** A secret from the user's shell, and the variable that held it (a printed command names the variable). */
export interface ShellSecret {
  readonly variable: string;
  readonly value: string;
  /** Not the user's own value: `npm start` generated it (and printed it). */
  readonly generated?: boolean;
}

/** What `hood-blocker send-test` gives a provider's signer. */
export interface SampleToSign {
  /** The URL the request is sent to. */
  url: string;
  /** The URL the pipeline sees itself called at (WEBHOOK_PUBLIC_URL's when set): Twilio and Mandrill sign it. */
  signedUrl: string;
  /** The sample payload: JSON compacted, a form as it is. */
  body: string;
  /** The first of these variables set in the user's shell; throws a usage error naming them when none is. */
  secret(...variables: string[]): ShellSecret;
  /** A setting that is not a secret (VONAGE_SIGNATURE_METHOD), from the user's shell. */
  setting(variable: string): string | undefined;
  /** For a provider that signs with its own private key (SendGrid): the private half of a local test pair. */
  privateKey(): { key: KeyObject; description: string };
  /** Throws a usage error (exit code 2). */
  fail(message: string): never;
  /** Epoch milliseconds. */
  nowMs: number;
}

/** A sample request signed as the provider signs it. */
export interface SignedSample {
  body: string;
  headers: Record<string, string>;
  /** How it was signed, for people. */
  signedAs: string;
  /**
   * Headers that carry a secret itself (a bearer token, basic-auth credentials): a printed command passes
   * them as these curl arguments instead, which name the shell variable and never show its value.
   */
  printAs?: Record<string, string>;
  /** What an answer 401 most likely means for this provider. */
  refusedHint?: string;
}

/** A provider's `send-test` signer, with what it signs in one or more short lines for `send-test --help`. */
export interface SampleSigner {
  (sample: SampleToSign): SignedSample;
  readonly help: string;
}

/** The webhook route of a provider (`POST /webhooks/<name>`). */
export interface WebhookSpec {
  /** Its secrets; a provider whose secrets are unset is disabled (404), never unauthenticated. */
  readonly secrets: readonly SecretSpec[];
  /** Enabled only when its secret is configured (docs/outcomes.md: otherwise 404). */
  isEnabled(secrets: SecretsView): boolean;
  /** Its settings that are not secrets, when it has any. */
  readonly settings?: SettingsSpec;
  /**
   * Where its single-use values are kept when no shared store is configured: module level in its own
   * folder, so that it survives warm invocations. Absent: the ingress's own per-instance cache.
   */
  readonly replayCache?: ReplayCache;
  /** Verifies the request on its raw bytes. */
  authenticate(ctx: AuthContext): Authentication | Promise<Authentication>;
  /**
   * The signature covers the body: it is read by its own first byte (JSON or form), never by the
   * unsigned Content-Type header, so that no unsigned byte changes what is mapped.
   */
  readonly signedBody: boolean;
  /** A 200 answer replacing the JSON summary (Twilio expects TwiML). */
  readonly reply?: { readonly contentType: string; readonly body: string };
  /**
   * `false`: the provider does not retry a request answered 5xx, so every such answer may be a lost opt-out;
   * the stack alarms on the first one (infra/source-alarms.cjs). Absent: the provider retries.
   */
  readonly retriesServerErrors?: false;
  /**
   * A body with nothing usable in it answers 400 instead of being dead-lettered: the sender is the
   * company's own app (the generic route), which can fix its payload; a provider cannot.
   */
  readonly rejectsUnusableBody?: boolean;
  /**
   * Signs a sample as the provider does, for `hood-blocker send-test` (a test tool: it holds the secret the
   * provider would); absent where only the provider can sign (SNS: AWS's own key).
   */
  readonly sign?: SampleSigner;
  /**
   * Set where a deployed stack cannot be signed for locally (the provider signs with a key only it holds):
   * how to make the provider itself send a test event. `send-test --stack` prints it instead of posting.
   */
  readonly testFromProvider?: string;
}

/** Everything about one provider (or transport); listed once in lib/providers/index.ts. */
export interface Provider<N extends string = string> {
  /** The `source` of its decisions, its `extract --source` name and its webhook path segment. */
  readonly name: N;
  /** Pure and total: payload → decisions. */
  readonly map: Mapper;
  /** Shape tests for `extract --source auto`, by rule name. */
  readonly detect?: Readonly<Record<string, Detector>>;
  /**
   * Each rule's place among every provider's (lower first; the registry sorts them): where shapes overlap,
   * the more specific rule must come first (lib/providers/index.ts `detectRecord` says which overlap).
   */
  readonly detectPriority?: Readonly<Record<string, number>>;
  /** Absent: events arrive by queue only (SES, SMS, EventBridge). */
  readonly webhook?: WebhookSpec;
  /** What its own event id is called, for people (`why --help`: "an SES feedbackId"); absent: not shown. */
  readonly eventIdExample?: string;
  /** A transport that only wraps another source (EventBridge carries SES events): not a provider name. */
  readonly transport?: boolean;
}
