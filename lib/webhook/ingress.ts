import { randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../config.js';
import { distinctBlocks } from '../dedupe.js';
import { QueueError } from '../errors.js';
import { isWebhookProvider, webhookOf, type WebhookProvider } from '../providers/index.js';
import { header, type RequestHeaders } from '../providers/shared/verify.js';
import type { Authentication, AuthContext, HttpsGet, VerificationOptions } from '../providers/types.js';
import { encodeMessage, encodeRejected } from '../queue/message.js';
import { encodeOptIn, isOptIn, type OptInDecision } from '../queue/opt-in.js';
import {
  type DeadLetterInfo,
  type DeliveryReport,
  type OutgoingMessage,
  type SendFailure,
  undeliveredError,
} from '../queue/sqs.js';
import { isLedgerUnavailable } from '../ledger/types.js';
import { gateDecisions } from '../policy/index.js';
import { mapProvider } from '../mapping/provider.js';
import type { BlockDecision, Decision, RejectDecision } from '../types.js';
import { parseBody } from '../providers/shared/body.js';
import { memoryReplayStore, ReplayCache, type ReplayStore } from '../providers/shared/replay.js';

export { isWebhookProvider, WEBHOOK_PROVIDERS, type WebhookProvider } from '../providers/index.js';
export type { VerificationOptions } from '../providers/types.js';

/**
 * The webhook ingress (docs/providers.md "Webhook ingress"), independent of API Gateway so that the Lambda
 * handler and the local pipeline share it. For one request, in this order:
 *   unknown provider → 404 · provider without a configured secret → 404 (never unauthenticated) ·
 *   HEAD → 200 (Mandrill probes a new webhook with HEAD) · other methods but POST → 405 ·
 *   body over the limit → 413 · signature/credentials on the RAW bytes → 401 ·
 *   parse (JSON or form) → 400 · map → BLOCK_REASONS → fan out → 200 only once everything is queued.
 * A queue failure answers 503 so that the provider retries; nothing is reported as done unless it is.
 */

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

export interface WebhookDeps {
  config: WebhookConfig;
  /**
   * Put normalised block requests on the block queue. Resolves with what became of each (lib/queue/sqs.ts
   * `sendOrDeadLetter`: one the queue refuses is dead-lettered alone), or with nothing when all are queued;
   * throws (QueueError) when none could be.
   */
  sendToQueue(messages: readonly OutgoingMessage[]): Promise<DeliveryReport | void>;
  /**
   * Dead-letter messages with their reasons (in batches); resolves only when all are on the DLQ,
   * else throws (QueueError). When absent (no DEAD_LETTER_QUEUE_URL) rejects go to the block queue.
   */
  deadLetter?: (items: readonly DeadLetterItem[]) => Promise<DeliveryReport | void>;
  /** Epoch milliseconds. */
  now(): number;
  /**
   * The network edge of a provider that fetches what it verifies with (a signing certificate, resolving to
   * PEM; its cache is the provider's, per fetcher). Absent: the provider's own client.
   */
  fetchCertificate?: HttpsGet<string>;
  /** The network edge of a provider that confirms a subscription by GET. Absent: the provider's own client. */
  confirmSubscription?: HttpsGet<void>;
  logger: WebhookLogger;
  newCorrelationId?: () => string;
  /**
   * Single-use values (Mailgun tokens, Svix message ids). Default: in memory, in the provider's own
   * module-level cache (per instance, shared by warm invocations).
   */
  replayStore?: ReplayStore;
  /** Replaces every provider's own memory cache when no `replayStore` is given (tests). */
  replayCache?: ReplayCache;
  /** Timestamp windows by provider name (tests); absent, each verifier's own. */
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

function json(
  statusCode: number,
  correlationId: string,
  body: Record<string, unknown>,
  extra: Record<string, string> = {},
): WebhookResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, ...extra },
    body: JSON.stringify(body),
  };
}

const notFound = (correlationId: string) => json(404, correlationId, { error: 'not_found', correlationId });

// ---------------------------------------------------------------------------------------------------
// Authentication per provider

/** A provider is enabled only when its secret is configured (docs/outcomes.md: else 404, never open). */
export function isEnabled(provider: WebhookProvider, config: Pick<WebhookConfig, 'secrets'>): boolean {
  return webhookOf(provider).isEnabled(config.secrets);
}

/** For a provider that claims single-use values without declaring a cache of its own; per instance. */
const instanceReplayCache = new ReplayCache({ maxEntries: 50_000, ttlMs: 24 * 3_600_000 });

function replayStoreOf(provider: WebhookProvider, deps: WebhookDeps): ReplayStore {
  const cache = deps.replayCache ?? webhookOf(provider).replayCache ?? instanceReplayCache;
  return deps.replayStore ?? memoryReplayStore(cache, deps.now);
}

/** The provider's own verifier (lib/providers/<name>/), given what it may need of this request and function. */
async function authenticate(
  provider: WebhookProvider,
  request: WebhookRequest,
  deps: WebhookDeps,
): Promise<Authentication> {
  const ctx: AuthContext = {
    rawBody: request.rawBody,
    headers: request.headers,
    url: request.url,
    secrets: deps.config.secrets,
    settings: deps.config.settings,
    nowMs: deps.now(),
    window: deps.verification?.[provider],
    replayStore: () => replayStoreOf(provider, deps),
    fetchCertificate: deps.fetchCertificate,
    confirmSubscription: deps.confirmSubscription,
  };
  return webhookOf(provider).authenticate(ctx);
}

// ---------------------------------------------------------------------------------------------------
// Fan-out

interface FanOut {
  blocks: BlockDecision[];
  rejects: RejectDecision[];
  ignored: Map<string, number>;
  /** Ignores that name who opted back in: queued as opt-in messages (lib/queue/opt-in.ts), never blocks. */
  optIns: OptInDecision[];
}

/** One block per distinct contact (the first decision for it wins: payload order), rejects, ignore counts. */
function fanOut(decisions: readonly Decision[]): FanOut {
  const rejects: RejectDecision[] = [];
  const ignored = new Map<string, number>();
  const optIns: OptInDecision[] = [];
  for (const d of decisions) {
    if (d.action === 'reject') rejects.push(d);
    else if (d.action === 'ignore') ignored.set(d.reason, (ignored.get(d.reason) ?? 0) + 1);
    if (isOptIn(d)) optIns.push(d);
  }
  return { blocks: distinctBlocks(decisions), rejects, ignored, optIns };
}

/** Counts by reason, for the one summary line of a request (never a line per contact). */
function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/**
 * Block requests and dead letters are sent together (batches of 10, several at once: lib/queue/sqs.ts), so
 * a body at the size limit is queued in a small fraction of the function's timeout. Every body and
 * attribute goes through the one encoder (lib/queue/encode.ts), and a block request the queue still
 * refuses is dead-lettered alone with its reason (`queue_rejected`), so one character never costs the
 * other contacts of a request. Returns those: the request reports them as rejected.
 *
 * What the provider is answered: 200 once every contact is queued or dead-lettered with its reason (a
 * dead letter is accounted for: `dlq redrive` replays it). If anything is neither — SQS or the DLQ down,
 * after per-entry retries — this throws and the request is answered 503: the provider's retry re-sends
 * everything, and those duplicates are harmless (the consumer's ledger and Hood's own "already blocked"
 * make a second copy of a contact a no-op; a duplicate dead letter is just noise). Losing an opt-out is
 * not harmless, so a partial success is never answered 200.
 */
async function enqueue(plan: FanOut, correlationId: string, deps: WebhookDeps): Promise<SendFailure[]> {
  const messages: OutgoingMessage[] = plan.blocks.map((d) => ({
    body: encodeMessage(d),
    attributes: { correlation_id: correlationId, source: d.source },
  }));
  // After the blocks (the indexes below count blocks first): an opt-in goes to a human through the consumer.
  for (const d of plan.optIns) {
    messages.push({
      body: encodeOptIn(d),
      attributes: { correlation_id: correlationId, source: d.source, kind: 'opt_in' },
    });
  }
  const deadLetter = deps.deadLetter;
  if (!deadLetter) {
    for (const d of plan.rejects) {
      messages.push({
        body: encodeRejected(d),
        attributes: { correlation_id: correlationId, source: d.source, reject_reason: d.reason },
      });
    }
  }
  const sends: Array<Promise<DeliveryReport | void>> = [];
  if (messages.length > 0) sends.push(deps.sendToQueue(messages));
  if (deadLetter && plan.rejects.length > 0) {
    sends.push(
      deadLetter(
        plan.rejects.map((d) => ({
          body: encodeRejected(d),
          info: { reason: d.reason, detail: d.detail, source: d.source, correlationId },
        })),
      ),
    );
  }
  // allSettled: both sends finish (as much as possible is queued) before the first failure is reported.
  const results = await Promise.allSettled(sends);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  const report = messages.length > 0 ? (results[0] as PromiseFulfilledResult<DeliveryReport | void>).value : undefined;
  if (!report) return [];
  const unsent = undeliveredError(report, messages.length);
  if (unsent) throw unsent;
  return report.deadLettered.filter((f) => f.index < plan.blocks.length);
}

/**
 * What a caller that chooses the contacts is answered (the generic route: whoever holds the token names
 * any contact). The gate turns a NEVER_BLOCK contact into an ignore, so `ignored: 1` for one posted contact
 * would tell that caller who is on the list; the answer therefore counts as if no policy applied: `queued`
 * is the contacts accepted (queued, or ignored by NEVER_BLOCK, BLOCK_REASONS or the soft-bounce rule),
 * `ignored` only what the mapping itself ignored. The log line keeps the real counts and reasons.
 */
function acceptedAnswer(mapped: readonly Decision[], refused: number, correlationId: string): WebhookSummary {
  const plan = fanOut(mapped);
  return {
    queued: plan.blocks.length - refused,
    ignored: sum(plan.ignored),
    rejected: plan.rejects.length + refused,
    correlationId,
  };
}

// ---------------------------------------------------------------------------------------------------
// The handler

const unauthorized = (correlationId: string) => json(401, correlationId, { error: 'unauthorized', correlationId });

export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const correlationId = deps.newCorrelationId?.() ?? randomUUID();
  const provider = request.provider;
  const log = { correlationId, provider };
  let claimedKey: string | undefined;
  let queued = false;
  try {
    if (!isWebhookProvider(provider) || !isEnabled(provider, deps.config)) {
      deps.logger.info('webhook for an unknown or disabled provider', {
        ...log,
        provider: provider.slice(0, 40),
        statusCode: 404,
      });
      return notFound(correlationId);
    }
    const method = request.method.toUpperCase();
    if (method === 'HEAD') return { statusCode: 200, headers: { 'x-correlation-id': correlationId }, body: '' };
    if (method !== 'POST')
      return json(405, correlationId, { error: 'method_not_allowed', correlationId }, { allow: 'POST, HEAD' });

    // Before anything reads the body: the declared length and the actual one.
    const declared = Number(header(request.headers, 'content-length'));
    if (
      request.rawBody.length > deps.config.maxBodyBytes ||
      (Number.isFinite(declared) && declared > deps.config.maxBodyBytes)
    ) {
      deps.logger.warn('webhook body over the size limit', {
        ...log,
        bytes: request.rawBody.length,
        limit: deps.config.maxBodyBytes,
        statusCode: 413,
      });
      return json(413, correlationId, { error: 'payload_too_large', limit: deps.config.maxBodyBytes, correlationId });
    }

    const auth = await authenticate(provider, request, deps);
    if (!auth.ok) {
      // The precise reason is for the operator only: telling the caller `topic_not_allowed` or
      // `stale_timestamp` lets it probe the allowlist and the windows.
      deps.logger.warn('webhook rejected: authentication failed', { ...log, reason: auth.reason, statusCode: 401 });
      return unauthorized(correlationId);
    }
    claimedKey = auth.claimedKey;
    if (auth.duplicate) {
      deps.logger.info('webhook processed', {
        ...log,
        statusCode: 200,
        queued: 0,
        ignored: 1,
        rejected: 0,
        ignoredReasons: { duplicate_delivery: 1 },
      });
      const summary: WebhookSummary = { queued: 0, ignored: 1, rejected: 0, correlationId };
      return { ...json(200, correlationId, { ...summary }), summary };
    }

    const webhook = webhookOf(provider);
    let decisions: Decision[];
    if (auth.answer) {
      const { statusCode, body, log: line } = auth.answer;
      deps.logger[line.level](line.message, { ...log, ...line.fields, statusCode });
      return json(statusCode, correlationId, { ...body, correlationId });
    }
    if (auth.signed !== undefined) {
      // What the signature covers when it is not the whole body — SNS's signed fields (an unsigned
      // `Records` array next to a signed notification is never mapped), Mandrill's and Vonage's parameter
      // object (a repeated form key: its last value; Vonage JSON: scalars only) — is exactly what is
      // mapped, so an unsigned nested `from: {number}` or an earlier duplicate key never names a contact.
      decisions = mapProvider(provider, auth.signed, deps.config.policy);
    } else {
      // A signed body is read by its own first byte (JSON or form), never by the unsigned Content-Type.
      const contentType = webhook.signedBody ? undefined : header(request.headers, 'content-type');
      const parsed = parseBody(request.rawBody, contentType);
      if (!parsed.ok) {
        deps.logger.warn('webhook rejected: body cannot be parsed', { ...log, reason: parsed.reason, statusCode: 400 });
        await releaseClaim(claimedKey, provider, deps);
        return json(400, correlationId, { error: 'bad_request', reason: parsed.reason, correlationId });
      }
      decisions = mapProvider(provider, parsed.payload, deps.config.policy);
      // The generic route is called by the company's own apps: a body with nothing usable in it (not a
      // block request, nor an array of them) is their bug to fix, so say 400 instead of dead-lettering
      // it. Provider routes keep dead-lettering unknown shapes: the provider cannot fix its payload, and
      // the DLQ keeps it for inspection.
      if (
        webhook.rejectsUnusableBody === true &&
        (decisions.length === 0 || decisions.every((d) => d.action === 'reject' && d.reason !== 'invalid_contact'))
      ) {
        deps.logger.warn('webhook rejected: not a block request', { ...log, statusCode: 400 });
        return json(400, correlationId, { error: 'bad_request', reason: 'not_a_block_request', correlationId });
      }
    }

    // Soft bounces are queued (to be counted by the consumer) only under SOFT_BOUNCE_POLICY; otherwise dropped.
    const plan = fanOut(
      gateDecisions(decisions, {
        ...deps.config.policy,
        softBounceCounting: deps.config.ledger?.softBounce !== undefined,
      }),
    );
    const refused = await enqueue(plan, correlationId, deps);
    queued = true;

    // ONE line per request, counts by reason: a body of 20,000 invalid contacts is one line, not 20,000
    // (and contacts never appear in it). The DLQ keeps each rejected event with its reason and detail.
    const refusedIndexes = new Set(refused.map((f) => f.index));
    const summary: WebhookSummary = {
      queued: plan.blocks.length - refused.length,
      ignored: sum(plan.ignored),
      rejected: plan.rejects.length + refused.length,
      correlationId,
    };
    const rejectedReasons = countBy(plan.rejects, (d) => d.reason);
    for (const f of refused) {
      const reason = f.code === 'message_too_large' ? 'message_too_large' : 'queue_rejected';
      rejectedReasons[reason] = (rejectedReasons[reason] ?? 0) + 1;
    }
    deps.logger.info('webhook processed', {
      ...log,
      statusCode: 200,
      ...summary,
      queuedReasons: countBy(
        plan.blocks.filter((_, i) => !refusedIndexes.has(i)),
        (d) => d.reason,
      ),
      ignoredReasons: Object.fromEntries(plan.ignored),
      optInsQueued: plan.optIns.length,
      rejectedReasons,
    });
    if (webhook.reply) {
      return {
        statusCode: 200,
        headers: { 'content-type': webhook.reply.contentType, 'x-correlation-id': correlationId },
        body: webhook.reply.body,
        summary,
      };
    }
    // The generic route's caller chooses the contacts (the same routes that answer 400 to an unusable body).
    const callerChoosesContacts = webhook.rejectsUnusableBody === true;
    const answer = callerChoosesContacts ? acceptedAnswer(decisions, refused.length, correlationId) : summary;
    return { ...json(200, correlationId, { ...answer }), summary };
  } catch (error) {
    // A retry of this request must not be refused as a replay: the work was not done.
    if (!queued) await releaseClaim(claimedKey, provider, deps).catch(() => undefined);
    if (isLedgerUnavailable(error)) {
      // The shared replay store (the ledger) cannot be asked: accepting unchecked would reopen replays,
      // refusing would lose the event; 503 makes the provider retry later.
      deps.logger.error('replay store unavailable; answering 503 so the provider retries', {
        ...log,
        error: error.message,
        statusCode: 503,
      });
      return json(503, correlationId, { error: 'unavailable', reason: 'replay_store_unavailable', correlationId });
    }
    if (error instanceof QueueError) {
      deps.logger.error('webhook not queued; answering 503 so the provider retries', {
        ...log,
        reason: error.reason,
        error: error.message,
        statusCode: 503,
      });
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

function sum(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

/** Only an authenticated request of a webhook provider has claimed a key. */
async function releaseClaim(key: string | undefined, provider: string, deps: WebhookDeps): Promise<void> {
  if (key !== undefined && isWebhookProvider(provider)) await replayStoreOf(provider, deps).release(key);
}
