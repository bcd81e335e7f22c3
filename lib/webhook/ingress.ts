import { randomUUID } from 'node:crypto';
import type { BasicAuthCredentials, WebhookConfig } from '../config.js';
import { maskContact } from '../contact.js';
import { QueueError } from '../errors.js';
import type { DeadLetterInfo, OutgoingMessage } from '../queue/sqs.js';
import { gateDecisions } from '../ledger/soft-bounce.js';
import { isLedgerUnavailable } from '../ledger/types.js';
import { mapProvider } from '../sources/index.js';
import type { BlockDecision, Decision, RejectDecision } from '../types.js';
import { parseBody } from './body.js';
import { type ConfirmSubscription, createCertificateCache, type FetchCertificate } from './sns-client.js';
import { verifyBasicAuth } from './verify/basic.js';
import { verifyBearer } from './verify/bearer.js';
import { header, type RequestHeaders, type TimestampWindow, type VerifyFailureReason } from './verify/common.js';
import { MAILGUN_DEFAULT_WINDOW, mailgunReplayCache, verifyMailgun } from './verify/mailgun.js';
import { verifyMandrill } from './verify/mandrill.js';
import { memoryReplayStore, type ReplayCache, type ReplayStore } from './verify/replay-cache.js';
import { verifySendgrid } from './verify/sendgrid.js';
import { type CertificateKeyResolver, isSnsUrl, topicRegion, type VerifiedSnsMessage, verifySns } from './verify/sns.js';
import { SVIX_DEFAULT_TOLERANCE_MS, verifySvix } from './verify/svix.js';
import { verifyTwilio } from './verify/twilio.js';
import { verifyVonage } from './verify/vonage.js';

/**
 * The webhook ingress (DESIGN.md "Webhook ingress"), independent of API Gateway so that the Lambda
 * handler and the local pipeline share it. For one request, in this order:
 *   unknown provider → 404 · provider without a configured secret → 404 (never unauthenticated) ·
 *   HEAD → 200 (Mandrill probes a new webhook with HEAD) · other methods but POST → 405 ·
 *   body over the limit → 413 · signature/credentials on the RAW bytes → 401 ·
 *   parse (JSON or form) → 400 · map → BLOCK_REASONS → fan out → 200 only once everything is queued.
 * A queue failure answers 503 so that the provider retries; nothing is reported as done unless it is.
 */

export const WEBHOOK_PROVIDERS = [
  'sendgrid',
  'twilio',
  'mailgun',
  'postmark',
  'brevo',
  'mandrill',
  'sparkpost',
  'resend',
  'vonage',
  'sns',
  'generic',
] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export function isWebhookProvider(value: string): value is WebhookProvider {
  return (WEBHOOK_PROVIDERS as readonly string[]).includes(value);
}

export interface WebhookRequest {
  /** The `{provider}` path segment. */
  provider: string;
  method: string;
  /** Header names lower-cased. */
  headers: RequestHeaders;
  /** The body exactly as received (base64-decoded when API Gateway encoded it). */
  rawBody: Buffer;
  /** The public URL the provider called, query included (Twilio and Mandrill sign it); see `publicRequestUrl`. */
  url: string;
  query: Readonly<Record<string, string>>;
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** What a 200 did (not sent to the provider: Twilio gets TwiML); for metrics. */
  summary?: WebhookSummary;
}

/** Structurally the Powertools Logger's `(message, attributes)` form, so tests can pass a recorder. */
export interface WebhookLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Timestamp windows; each defaults to the one its verifier documents. */
export interface VerificationOptions {
  sendgridToleranceMs?: number;
  svixToleranceMs?: number;
  mailgunWindow?: TimestampWindow;
  vonageWindow?: TimestampWindow;
}

export interface WebhookDeps {
  config: WebhookConfig;
  /** Put normalised block requests on the block queue; resolves only when all are queued, else throws (QueueError). */
  sendToQueue(messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Dead-letter messages with their reasons (in batches of 10); resolves only when all are on the DLQ,
   * else throws (QueueError). When absent (no DEAD_LETTER_QUEUE_URL) rejects go to the block queue.
   */
  deadLetter?: (items: readonly DeadLetterItem[]) => Promise<void>;
  /** Epoch milliseconds. */
  now(): number;
  /** GET a (pinned) SNS SigningCertURL, resolving to PEM. Cached per function, promise included. */
  fetchCertificate: FetchCertificate;
  /** GET a (pinned) SNS SubscribeURL. */
  confirmSubscription: ConfirmSubscription;
  logger: WebhookLogger;
  newCorrelationId?: () => string;
  /** Single-use Mailgun tokens and Svix message ids. Default: the module-level cache of verify/mailgun.ts (per instance, shared by warm invocations). */
  replayStore?: ReplayStore;
  /** @deprecated use `replayStore`; wrapped in a memory ReplayStore when given. */
  mailgunReplayCache?: ReplayCache;
  verification?: VerificationOptions;
}

/** One message for the DLQ and the reason it is there. */
export interface DeadLetterItem {
  body: string;
  info: DeadLetterInfo;
}

/** Summary answered with 200 (Twilio gets TwiML instead). */
export interface WebhookSummary {
  queued: number;
  ignored: number;
  rejected: number;
  correlationId: string;
}

/**
 * CloudWatch counts for one webhook request (names prefixed `webhook_`, so they can never be confused
 * with the consumer's `unauthorized`, which means Hood rejected our token).
 */
export function webhookMetrics(response: Pick<WebhookResponse, 'statusCode' | 'summary'>): Record<string, number> {
  const m: Record<string, number> = { webhook_requests: 1 };
  const s = response.statusCode;
  if (s === 401) m.webhook_unauthorized = 1;
  else if (s >= 500) m.webhook_failed = 1;
  else if (s >= 400) m.webhook_bad_request = 1;
  if (response.summary) {
    m.webhook_queued = response.summary.queued;
    m.webhook_ignored = response.summary.ignored;
    m.webhook_rejected = response.summary.rejected;
  }
  return m;
}

/** Twilio expects TwiML; an empty Response sends no reply SMS (twilio docs "messaging/twiml"). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * The URL a provider called (Twilio and Mandrill sign it): WEBHOOK_PUBLIC_URL (the part of the configured
 * webhook URL that precedes the path Lambda sees), else `https://` + API Gateway's own
 * `requestContext.domainName` (set by API Gateway, not by the caller); + path and query. Never the
 * `Host` or `X-Forwarded-*` headers: the caller writes those, so a request signed for another host
 * could name that host and pass (Twilio security docs: "validate … against the URL you configured").
 */
export function publicRequestUrl(input: {
  publicUrl: string | undefined;
  path: string;
  rawQueryString?: string | undefined;
  domainName?: string | undefined;
}): string {
  const base = input.publicUrl ?? `https://${input.domainName ?? 'localhost'}`;
  const query = input.rawQueryString ? `?${input.rawQueryString}` : '';
  const trimmed = base.replace(/\/+$/u, '');
  // WEBHOOK_PUBLIC_URL is a base, but someone may have set the provider's full webhook URL: do not
  // append the path a second time.
  if (input.path !== '/' && trimmed.endsWith(input.path.replace(/\/+$/u, ''))) return `${trimmed}${query}`;
  return `${trimmed}${input.path}${query}`;
}

// ---------------------------------------------------------------------------------------------------
// Responses

function json(statusCode: number, correlationId: string, body: Record<string, unknown>, extra: Record<string, string> = {}): WebhookResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, ...extra },
    body: JSON.stringify(body),
  };
}

const notFound = (correlationId: string) => json(404, correlationId, { error: 'not_found', correlationId });

// ---------------------------------------------------------------------------------------------------
// Authentication per provider

/** A provider is enabled only when its secret is configured (DESIGN.md: otherwise 404, never unauthenticated). */
export function isEnabled(provider: WebhookProvider, config: Pick<WebhookConfig, 'secrets'>): boolean {
  const s = config.secrets;
  switch (provider) {
    case 'sendgrid':
      return s.sendgridPublicKey !== undefined;
    case 'twilio':
      return s.twilioAuthToken !== undefined;
    case 'mailgun':
      return s.mailgunSigningKey !== undefined;
    case 'mandrill':
      return s.mandrillKey !== undefined;
    case 'resend':
      return s.resendSecret !== undefined;
    case 'vonage':
      return s.vonageSignatureSecret !== undefined;
    case 'postmark':
    case 'brevo':
    case 'sparkpost':
      return basicAuthFor(provider, s) !== undefined;
    case 'generic':
      return s.genericToken !== undefined;
    case 'sns':
      return s.snsTopicArns !== undefined && s.snsTopicArns.length > 0;
  }
}

/** A provider's own basic-auth credentials, else the shared WEBHOOK_BASIC_AUTH. */
export function basicAuthFor(provider: 'postmark' | 'brevo' | 'sparkpost', secrets: WebhookConfig['secrets']): BasicAuthCredentials | undefined {
  const own = provider === 'postmark' ? secrets.postmarkBasicAuth : provider === 'brevo' ? secrets.brevoBasicAuth : secrets.sparkpostBasicAuth;
  return own ?? secrets.basicAuth;
}

type Authentication =
  | {
      ok: true;
      /** A one-time value claimed in the ReplayStore: released if the request ends before anything is queued. */
      claimedKey?: string;
      /** An authentic Svix message id already claimed: a duplicate delivery, answered 200 without queueing again. */
      duplicate?: boolean;
      sns?: VerifiedSnsMessage;
      signedParams?: Record<string, string>;
    }
  | { ok: false; reason: VerifyFailureReason };

/** Mailgun tokens stay claimed for the whole window in which their timestamp is accepted. */
const MAILGUN_TOKEN_TTL_MS = MAILGUN_DEFAULT_WINDOW.maxAgeMs + MAILGUN_DEFAULT_WINDOW.maxFutureMs;

function replayStoreOf(deps: WebhookDeps): ReplayStore {
  return deps.replayStore ?? memoryReplayStore(deps.mailgunReplayCache ?? mailgunReplayCache, deps.now);
}

const certificateCaches = new WeakMap<FetchCertificate, CertificateKeyResolver>();

/** One certificate cache per fetcher: the handler passes the same function on every warm invocation. */
function certificateResolver(fetchCertificate: FetchCertificate): CertificateKeyResolver {
  let resolver = certificateCaches.get(fetchCertificate);
  if (!resolver) {
    resolver = createCertificateCache(fetchCertificate);
    certificateCaches.set(fetchCertificate, resolver);
  }
  return resolver;
}

async function authenticate(provider: WebhookProvider, request: WebhookRequest, deps: WebhookDeps): Promise<Authentication> {
  const s = deps.config.secrets;
  const { rawBody, headers, url } = request;
  const nowMs = deps.now();
  const v = deps.verification ?? {};
  switch (provider) {
    case 'sendgrid':
      return verifySendgrid({ rawBody, headers, publicKey: s.sendgridPublicKey!, nowMs, toleranceMs: v.sendgridToleranceMs });
    case 'twilio':
      return verifyTwilio({ rawBody, headers, url, authToken: s.twilioAuthToken! });
    case 'mailgun': {
      const result = verifyMailgun({ rawBody, headers, signingKey: s.mailgunSigningKey!, nowMs, window: v.mailgunWindow, replayCache: false });
      if (!result.ok) return result;
      // Only authentic tokens are claimed, so an attacker cannot fill the store to evict real ones.
      const ttl = Math.max(MAILGUN_TOKEN_TTL_MS, (v.mailgunWindow?.maxAgeMs ?? 0) + (v.mailgunWindow?.maxFutureMs ?? 0));
      const key = `mailgun:${result.token}`;
      if (!(await replayStoreOf(deps).claim(key, ttl))) return { ok: false, reason: 'replayed' };
      return { ok: true, claimedKey: key };
    }
    case 'mandrill': {
      const result = verifyMandrill({ rawBody, headers, url, webhookKey: s.mandrillKey! });
      return result.ok ? { ok: true, signedParams: result.params } : result;
    }
    case 'resend': {
      const result = verifySvix({ rawBody, headers, secret: s.resendSecret!, nowMs, toleranceMs: v.svixToleranceMs });
      if (!result.ok) return result;
      // Svix keeps a message's id across delivery attempts and signs each attempt anew, so the id is the
      // deduplication key (https://docs.svix.com/idempotency, "Receiving idempotency (deduplication)"):
      // an id already handled is a duplicate delivery. Claimed for twice the window: older copies fail the
      // timestamp check anyway.
      const key = `svix:${header(headers, 'svix-id') ?? header(headers, 'webhook-id')}`;
      const ttl = 2 * (v.svixToleranceMs ?? SVIX_DEFAULT_TOLERANCE_MS);
      if (!(await replayStoreOf(deps).claim(key, ttl))) return { ok: true, duplicate: true };
      return { ok: true, claimedKey: key };
    }
    case 'vonage': {
      const result = verifyVonage({
        rawBody,
        headers,
        signatureSecret: s.vonageSignatureSecret!,
        nowMs,
        window: v.vonageWindow,
        method: deps.config.vonageSignatureMethod,
      });
      return result.ok ? { ok: true, signedParams: result.params } : result;
    }
    case 'postmark':
    case 'sparkpost': {
      const credentials = basicAuthFor(provider, s)!;
      return verifyBasicAuth({ headers, user: credentials.user, pass: credentials.pass });
    }
    case 'brevo': {
      const credentials = basicAuthFor(provider, s)!;
      return verifyBasicAuth({ headers, user: credentials.user, pass: credentials.pass, acceptBearer: true });
    }
    case 'generic':
      return verifyBearer({ headers, token: s.genericToken! });
    case 'sns': {
      const result = await verifySns({ rawBody, allowedTopicArns: s.snsTopicArns!, getCertificateKey: certificateResolver(deps.fetchCertificate) });
      return result.ok ? { ok: true, sns: result.message } : result;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Fan-out

/** The DESIGN.md queue message for one block decision; optional keys only when present. */
function blockMessageBody(d: BlockDecision): string {
  const body: Record<string, string> = { contact: d.contact, reason: d.reason, source: d.source };
  if (d.description !== undefined) body.description = d.description;
  if (d.eventId !== undefined) body.eventId = d.eventId;
  if (d.occurredAt !== undefined) body.occurredAt = d.occurredAt;
  return JSON.stringify(body);
}

/**
 * A rejected event in the normalised shape, so `dlq redrive` can replay it once the cause is fixed. Its
 * `reason` is the reject reason (invalid_contact, …), which is deliberately NOT a block reason: if this
 * body lands on the block queue (no DLQ configured) the consumer can only dead-letter it, never block it.
 */
function rejectMessageBody(d: RejectDecision): string {
  const body: Record<string, string> = {};
  if (d.contact !== undefined) body.contact = d.contact;
  body.reason = d.reason;
  body.source = d.source;
  if (d.detail !== undefined) body.description = d.detail;
  if (d.eventId !== undefined) body.eventId = d.eventId;
  return JSON.stringify(body);
}

interface FanOut {
  blocks: BlockDecision[];
  rejects: RejectDecision[];
  ignored: Map<string, number>;
}

/** One block per distinct contact (the first decision for it wins: payload order), rejects, ignore counts. */
function fanOut(decisions: readonly Decision[]): FanOut {
  const blocks: BlockDecision[] = [];
  const rejects: RejectDecision[] = [];
  const ignored = new Map<string, number>();
  const contacts = new Set<string>();
  for (const d of decisions) {
    if (d.action === 'block') {
      if (contacts.has(d.contact)) continue;
      contacts.add(d.contact);
      blocks.push(d);
    } else if (d.action === 'reject') {
      rejects.push(d);
    } else {
      ignored.set(d.reason, (ignored.get(d.reason) ?? 0) + 1);
    }
  }
  return { blocks, rejects, ignored };
}

/** Counts by reason, for the one summary line of a request (never a line per contact). */
function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/**
 * Block requests and dead letters are sent together (batches of 10, several at once: lib/queue/sqs.ts),
 * so a body at the size limit is queued in a small fraction of the function's timeout. Any message that
 * could not be queued after per-entry retries throws and the request is answered 503: the provider's
 * retry re-sends everything, and duplicates are harmless (the consumer treats an already blocked contact
 * as done; a duplicate dead letter is just noise).
 */
async function enqueue(plan: FanOut, correlationId: string, deps: WebhookDeps): Promise<void> {
  const messages: OutgoingMessage[] = plan.blocks.map((d) => ({
    body: blockMessageBody(d),
    attributes: { correlation_id: correlationId, source: d.source },
  }));
  const deadLetter = deps.deadLetter;
  if (!deadLetter) {
    for (const d of plan.rejects) {
      messages.push({ body: rejectMessageBody(d), attributes: { correlation_id: correlationId, source: d.source, reject_reason: d.reason } });
    }
  }
  const sends: Array<Promise<void>> = [];
  if (messages.length > 0) sends.push(deps.sendToQueue(messages));
  if (deadLetter && plan.rejects.length > 0) {
    sends.push(
      deadLetter(plan.rejects.map((d) => ({ body: rejectMessageBody(d), info: { reason: d.reason, detail: d.detail, source: d.source, correlationId } }))),
    );
  }
  // allSettled: both sends finish (as much as possible is queued) before the first failure is reported.
  const results = await Promise.allSettled(sends);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

// ---------------------------------------------------------------------------------------------------
// The handler

/**
 * Providers whose body is covered by a signature: their body is read by its own first byte (JSON or form),
 * never by the unsigned Content-Type header, so that no unsigned byte changes what is mapped.
 */
const SIGNED_BODY_PROVIDERS: ReadonlySet<WebhookProvider> = new Set(['sendgrid', 'twilio', 'mandrill', 'resend', 'vonage', 'sns']);

const unauthorized = (correlationId: string) => json(401, correlationId, { error: 'unauthorized', correlationId });

export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const correlationId = deps.newCorrelationId?.() ?? randomUUID();
  const provider = request.provider;
  const log = { correlationId, provider };
  let claimedKey: string | undefined;
  let queued = false;
  try {
    if (!isWebhookProvider(provider) || !isEnabled(provider, deps.config)) {
      deps.logger.info('webhook for an unknown or disabled provider', { ...log, provider: provider.slice(0, 40), statusCode: 404 });
      return notFound(correlationId);
    }
    const method = request.method.toUpperCase();
    if (method === 'HEAD') return { statusCode: 200, headers: { 'x-correlation-id': correlationId }, body: '' };
    if (method !== 'POST') return json(405, correlationId, { error: 'method_not_allowed', correlationId }, { allow: 'POST, HEAD' });

    // Before anything reads the body: the declared length and the actual one.
    const declared = Number(header(request.headers, 'content-length'));
    if (request.rawBody.length > deps.config.maxBodyBytes || (Number.isFinite(declared) && declared > deps.config.maxBodyBytes)) {
      deps.logger.warn('webhook body over the size limit', { ...log, bytes: request.rawBody.length, limit: deps.config.maxBodyBytes, statusCode: 413 });
      return json(413, correlationId, { error: 'payload_too_large', limit: deps.config.maxBodyBytes, correlationId });
    }

    const auth = await authenticate(provider, request, deps);
    if (!auth.ok) {
      if (auth.reason === 'certificate_unavailable') {
        // Our fetch failed, not the sender's: SNS retries only 5xx and timeouts, a 4xx ends the delivery
        // (SNSDG SendMessageToHttp.prepare.md).
        deps.logger.error('SNS signing certificate unavailable', { ...log, statusCode: 503 });
        return json(503, correlationId, { error: 'unavailable', reason: auth.reason, correlationId });
      }
      // The precise reason is for the operator only: telling the caller `topic_not_allowed` or
      // `stale_timestamp` lets it probe the allowlist and the windows.
      deps.logger.warn('webhook rejected: authentication failed', { ...log, reason: auth.reason, statusCode: 401 });
      return unauthorized(correlationId);
    }
    claimedKey = auth.claimedKey;
    if (auth.duplicate) {
      deps.logger.info('webhook processed', { ...log, statusCode: 200, queued: 0, ignored: 1, rejected: 0, ignoredReasons: { duplicate_delivery: 1 } });
      const summary: WebhookSummary = { queued: 0, ignored: 1, rejected: 0, correlationId };
      return { ...json(200, correlationId, { ...summary }), summary };
    }

    let decisions: Decision[];
    if (auth.sns) {
      const outcome = await handleSnsControlMessage(auth.sns, deps, correlationId);
      if (outcome) return outcome;
      // Only the signed fields: an unsigned `Records` array next to a signed notification is never mapped.
      decisions = mapProvider('sns', auth.sns.envelope, deps.config.policy);
    } else if (auth.signedParams) {
      // Mandrill and Vonage sign a parameter object (a repeated form key: its last value; Vonage JSON:
      // scalars only): exactly that object is mapped, so an unsigned nested `from: {number}` or an earlier
      // duplicate key never names a contact.
      decisions = mapProvider(provider, auth.signedParams, deps.config.policy);
    } else {
      const contentType = SIGNED_BODY_PROVIDERS.has(provider) ? undefined : header(request.headers, 'content-type');
      const parsed = parseBody(request.rawBody, contentType);
      if (!parsed.ok) {
        deps.logger.warn('webhook rejected: body cannot be parsed', { ...log, reason: parsed.reason, statusCode: 400 });
        await releaseClaim(claimedKey, deps);
        return json(400, correlationId, { error: 'bad_request', reason: parsed.reason, correlationId });
      }
      decisions = mapProvider(provider, parsed.payload, deps.config.policy);
      // The generic route is called by the company's own apps: a body with nothing usable in it (not a
      // block request, nor an array of them) is their bug to fix, so say 400 instead of dead-lettering
      // it. Provider routes keep dead-lettering unknown shapes: the provider cannot fix its payload, and
      // the DLQ keeps it for inspection.
      if (provider === 'generic' && (decisions.length === 0 || decisions.every((d) => d.action === 'reject' && d.reason !== 'invalid_contact'))) {
        deps.logger.warn('webhook rejected: not a block request', { ...log, statusCode: 400 });
        return json(400, correlationId, { error: 'bad_request', reason: 'not_a_block_request', correlationId });
      }
    }

    // Soft bounces are queued (to be counted by the consumer) only under SOFT_BOUNCE_POLICY; otherwise dropped.
    const plan = fanOut(gateDecisions(decisions, deps.config.policy, deps.config.ledger?.softBounce !== undefined));
    await enqueue(plan, correlationId, deps);
    queued = true;

    // ONE line per request, counts by reason: a body of 20,000 invalid contacts is one line, not 20,000
    // (and contacts never appear in it). The DLQ keeps each rejected event with its reason and detail.
    const summary: WebhookSummary = { queued: plan.blocks.length, ignored: sum(plan.ignored), rejected: plan.rejects.length, correlationId };
    deps.logger.info('webhook processed', {
      ...log,
      statusCode: 200,
      ...summary,
      queuedReasons: countBy(plan.blocks, (d) => d.reason),
      ignoredReasons: Object.fromEntries(plan.ignored),
      rejectedReasons: countBy(plan.rejects, (d) => d.reason),
    });
    if (provider === 'twilio') {
      return { statusCode: 200, headers: { 'content-type': 'text/xml', 'x-correlation-id': correlationId }, body: EMPTY_TWIML, summary };
    }
    return { ...json(200, correlationId, { ...summary }), summary };
  } catch (error) {
    // A retry of this request must not be refused as a replay: the work was not done.
    if (!queued) await releaseClaim(claimedKey, deps).catch(() => undefined);
    if (isLedgerUnavailable(error)) {
      // The shared replay store (the ledger) cannot be asked: accepting unchecked would reopen replays,
      // refusing would lose the event; 503 makes the provider retry later.
      deps.logger.error('replay store unavailable; answering 503 so the provider retries', { ...log, error: error.message, statusCode: 503 });
      return json(503, correlationId, { error: 'unavailable', reason: 'replay_store_unavailable', correlationId });
    }
    if (error instanceof QueueError) {
      deps.logger.error('webhook not queued; answering 503 so the provider retries', { ...log, reason: error.reason, error: error.message, statusCode: 503 });
      return json(503, correlationId, { error: 'unavailable', reason: 'queue_unavailable', correlationId });
    }
    deps.logger.error('webhook failed unexpectedly', {
      ...log,
      error: error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown',
      statusCode: 500,
    });
    return json(500, correlationId, { error: 'internal_error', correlationId });
  }
}

// Provider text (bounce diagnostics, validation details) can quote an address or a number: mask them too.
const EMAIL_IN_TEXT_RE = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/gu;
// `+` and digits, or a bare run of 8+ digits (Vonage omits the +); SMTP codes like "550 5.1.1" stay readable.
const PHONE_IN_TEXT_RE = /\+\d[\d ().-]{6,}\d|\b\d{8,15}\b/gu;

/** A detail string safe to log: contacts inside it are masked. */
export function redactContacts(text: string | undefined): string | undefined {
  return text?.replace(EMAIL_IN_TEXT_RE, (m) => maskContact(m)).replace(PHONE_IN_TEXT_RE, (m) => maskContact(m));
}

function sum(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

async function releaseClaim(key: string | undefined, deps: WebhookDeps): Promise<void> {
  if (key !== undefined) await replayStoreOf(deps).release(key);
}

/**
 * SubscriptionConfirmation of an allow-listed topic (the allowlist was checked before the signature):
 * confirm by GET on the SubscribeURL, itself pinned to the SNS host. UnsubscribeConfirmation: nothing to
 * do. Returns undefined for a Notification, which is mapped like any payload.
 */
async function handleSnsControlMessage(message: VerifiedSnsMessage, deps: WebhookDeps, correlationId: string): Promise<WebhookResponse | undefined> {
  const log = { correlationId, provider: 'sns', topicArn: message.topicArn, messageId: message.messageId };
  if (message.type === 'UnsubscribeConfirmation') {
    deps.logger.info('SNS unsubscribe confirmation received; nothing to do', { ...log, statusCode: 200 });
    return json(200, correlationId, { queued: 0, ignored: 1, rejected: 0, correlationId });
  }
  if (message.type !== 'SubscriptionConfirmation') return undefined;
  // The SubscribeURL is signed, and must also be the SNS host of the topic's own region.
  const region = topicRegion(message.topicArn);
  if (region === undefined || !isSnsUrl(message.subscribeUrl, { region })) {
    deps.logger.warn('SNS SubscriptionConfirmation with a SubscribeURL outside the SNS host; not confirmed', { ...log, statusCode: 400 });
    return json(400, correlationId, { error: 'bad_request', reason: 'untrusted_subscribe_url', correlationId });
  }
  try {
    await deps.confirmSubscription(message.subscribeUrl);
  } catch (error) {
    deps.logger.error('SNS subscription could not be confirmed; answering 503 so SNS retries', {
      ...log,
      error: error instanceof Error ? error.message : 'unknown',
      statusCode: 503,
    });
    return json(503, correlationId, { error: 'unavailable', reason: 'confirmation_failed', correlationId });
  }
  deps.logger.info('SNS subscription confirmed', { ...log, statusCode: 200 });
  return json(200, correlationId, { confirmed: true, topicArn: message.topicArn, correlationId });
}
