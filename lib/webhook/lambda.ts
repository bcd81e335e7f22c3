import type { SqsClientLike } from '../queue/sqs.js';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Env, WebhookConfig } from '../config.js';
import { loadWebhookConfig } from './config.js';
import { ConfigError } from '../errors.js';
import { countsEmfPublisher, powertoolsLog } from '../observability.js';
import { createLazySqsClient, deadLetterMany, sendOrDeadLetter } from '../queue/sqs.js';
import { resolveSecretParameters, type SsmLike } from '../ssm-env.js';
import { sharedReplayStore } from './replay-store.js';
import {
  handleWebhook,
  isWebhookProvider,
  publicRequestUrl,
  type WebhookDeps,
  type WebhookLogger,
  type WebhookRequest,
  webhookMetrics,
} from './ingress.js';
import { SECRET_VARIABLES, WEBHOOK_SECRETS, WEBHOOK_SETTINGS } from '../providers/index.js';
import { checkSecrets as checkSecretFormats } from '../providers/secrets.js';

/**
 * API Gateway HTTP API (payload format 2.0) adapter for the ingress, shared by the Lambda entry
 * (handlers/webhook.ts) and the local pipeline (`npm start`). The work is in ./ingress.ts.
 */
export type WebhookLambdaHandler = (
  event: APIGatewayProxyEventV2 | APIGatewayProxyEvent,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Everything a test or the local pipeline may replace; the rest is built from the configuration. */
export interface WebhookHandlerOverrides extends Partial<Omit<WebhookDeps, 'config'>> {
  /** Default: `loadWebhookConfig(process.env)` (direct values only; see `loadWebhookHandlerConfig` for SSM names). */
  config?: WebhookConfig;
  /** Used for the default queue sender and dead-letterer. */
  sqsClient?: SqsClientLike;
  /** Receives each request's counts (see `webhookMetrics`); the Lambda entry publishes them as EMF. */
  publishMetrics?: (provider: string, counts: Record<string, number>) => void;
  /**
   * Re-reads the configuration (the Lambda entry: SSM `_PARAMETER` secrets). When given, secrets are
   * refreshed at most every `config.secretsRefreshMs`, so a rotated secret takes effect without a deploy.
   */
  reloadConfig?: () => Promise<WebhookConfig>;
  /**
   * The local pipeline only (`npm start`), where the HTTP server in front of the handler IS the gateway:
   * build the signed URL from its Host and X-Forwarded-Proto (a tunnel sets them) when WEBHOOK_PUBLIC_URL
   * is unset. Never in Lambda: there these headers are written by the caller.
   */
  trustForwardedHeaders?: boolean;
}

/** Batches of 10 in flight at once per request: 27,000 contacts (2,700 batches) queue in a few seconds at most. */
export const WEBHOOK_SEND_CONCURRENCY = 16;

/**
 * Webhook secrets behind a bounded cache: the first request after `refreshMs` reloads them (concurrent
 * requests share that one reload); a reload that fails or yields an invalid secret keeps the current ones
 * and is tried again a minute later. The refresh is driven by the clock only — never by a failed
 * signature, which an attacker can produce at will to make us hammer SSM.
 */
export function createConfigRefresher(options: {
  initial: WebhookConfig;
  reload: () => Promise<WebhookConfig>;
  now: () => number;
  logger: WebhookLogger;
}): () => Promise<WebhookConfig> {
  let current = options.initial;
  let nextAt = options.now() + current.secretsRefreshMs;
  let running: Promise<WebhookConfig> | undefined;
  return () => {
    if (options.now() < nextAt) return Promise.resolve(current);
    running ??= (async () => {
      try {
        const fresh = await options.reload();
        checkSecrets(fresh);
        // Only the secrets change: queues, policy and limits are fixed for the life of the container.
        current = { ...current, secrets: fresh.secrets };
        nextAt = options.now() + current.secretsRefreshMs;
      } catch (error) {
        options.logger.error('webhook secrets could not be refreshed; keeping the current ones', {
          error: error instanceof Error ? error.name : 'unknown',
          variable: error instanceof ConfigError ? error.message.split(' ')[0] : undefined,
        });
        nextAt = options.now() + Math.min(60_000, current.secretsRefreshMs);
      } finally {
        running = undefined;
      }
      return current;
    })();
    return running;
  };
}

export { SERVICE_NAME } from '../observability.js';

/**
 * Secrets that can be malformed are parsed at cold start, so a bad value fails loudly with the variable's
 * name (docs/configuration.md) instead of answering 401 to every genuine event.
 */
function checkSecrets(config: WebhookConfig): void {
  checkSecretFormats(config.secrets, WEBHOOK_SECRETS);
}

const PROVIDER_PATH_RE = /(?:^|\/)webhooks\/([^/]+)\/?$/u;

/** `<X-Forwarded-Proto or http>://<Host>` for the local pipeline; undefined without a Host header. */
function forwardedBase(headers: Readonly<Record<string, string>>): string | undefined {
  const host = headers.host?.trim();
  if (!host) return undefined;
  const proto = headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'http';
  return `${proto}://${host}`;
}

/** Turn an API Gateway HTTP API v2 event into the ingress's request. */
export function toWebhookRequest(
  event: APIGatewayProxyEventV2 | APIGatewayProxyEvent,
  config: Pick<WebhookConfig, 'publicUrl'>,
  options: { trustForwardedHeaders?: boolean } = {},
): WebhookRequest {
  // HTTP API and function URLs send payload format 2.0; a REST API (or an HTTP API set to 1.0) sends 1.0.
  const v1 = event as Partial<APIGatewayProxyEvent>;
  const v2 = event as Partial<APIGatewayProxyEventV2>;
  const headers: Record<string, string> = {};
  // HTTP API lower-cases header names already; REST APIs, the local pipeline and tests may not.
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined && value !== null) headers[name.toLowerCase()] = value;
  const rawPath = v2.rawPath ?? v1.path ?? '/';
  const provider = event.pathParameters?.provider ?? PROVIDER_PATH_RE.exec(rawPath)?.[1] ?? '';
  const body = event.body ?? '';
  const rawBody = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  let rawQueryString = v2.rawQueryString ?? '';
  if (v2.rawQueryString === undefined && v1.multiValueQueryStringParameters) {
    const search = new URLSearchParams();
    for (const [name, values] of Object.entries(v1.multiValueQueryStringParameters))
      for (const value of values ?? []) search.append(name, value);
    rawQueryString = search.toString();
  } else if (v2.rawQueryString === undefined && v1.queryStringParameters) {
    rawQueryString = new URLSearchParams(
      Object.entries(v1.queryStringParameters).filter((e): e is [string, string] => e[1] !== undefined),
    ).toString();
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = value;
  const method = v2.requestContext?.http?.method ?? v1.httpMethod ?? 'POST';
  return {
    provider,
    method,
    headers,
    rawBody,
    // API Gateway's own domain name, never the caller's Host / X-Forwarded-* headers (but see trustForwardedHeaders).
    url: publicRequestUrl({
      publicUrl: config.publicUrl ?? (options.trustForwardedHeaders ? forwardedBase(headers) : undefined),
      path: rawPath,
      rawQueryString,
      domainName: event.requestContext?.domainName,
    }),
    query,
  };
}

/**
 * Build a handler. Configuration, logger and SQS client are created here once and reused by every
 * invocation of the container; tests and the local pipeline inject a queue sender, certificate fetcher
 * or clock through `overrides`.
 */
export function createWebhookHandler(overrides: WebhookHandlerOverrides = {}): WebhookLambdaHandler {
  // process.env is only handed over here; lib/config.ts (and lib/ssm-env.ts) interpret it. Without
  // `config`, `<NAME>_PARAMETER` indirections are not resolved: the Lambda entry below resolves them.
  const config = overrides.config ?? loadWebhookConfig(process.env);
  checkSecrets(config);
  const { blockQueueUrl, deadLetterQueueUrl } = config.queues;
  let sqs = overrides.sqsClient;
  const client = () => (sqs ??= createLazySqsClient(config.queues));

  let sendToQueue = overrides.sendToQueue;
  if (!sendToQueue) {
    if (blockQueueUrl === undefined)
      throw new ConfigError('BLOCK_QUEUE_URL', 'is not set; the webhook ingress puts block requests on it');
    const sqsClient = client();
    // A message the block queue refuses is dead-lettered alone (ingress.ts counts it as rejected).
    sendToQueue = (messages) =>
      sendOrDeadLetter(sqsClient, blockQueueUrl, deadLetterQueueUrl, messages, {
        concurrency: WEBHOOK_SEND_CONCURRENCY,
      });
  }
  let dead = overrides.deadLetter;
  if (!dead && deadLetterQueueUrl !== undefined) {
    const sqsClient = client();
    dead = (items) => deadLetterMany(sqsClient, deadLetterQueueUrl, items, { concurrency: WEBHOOK_SEND_CONCURRENCY });
  }
  const logger = overrides.logger ?? powertoolsLog();
  // A provider's advice about its own settings (one it recommends setting), once per cold start.
  for (const spec of WEBHOOK_SETTINGS) {
    const warning = spec.warning?.(config.settings[spec.key], config.secrets);
    if (warning !== undefined) logger.warn(warning);
  }
  const now = overrides.now ?? (() => Date.now());
  const replayKey = config.replay?.hashKeyVariable;
  if (replayKey === 'LEDGER_HASH_KEY' || replayKey === 'LEDGER_HASH_KEY_SECRET') {
    // Kept working for setups from before REPLAY_HASH_KEY; the key every contact is hashed with does not
    // belong in the internet-facing function.
    logger.warn(
      `REPLAY_HASH_KEY is not set: replay tokens are keyed with ${replayKey}, so this function holds the contact ` +
        `hash key; set REPLAY_HASH_KEY (or REPLAY_HASH_KEY_SECRET) and remove ${replayKey}`,
    );
  }

  const deps: WebhookDeps = {
    config,
    sendToQueue,
    deadLetter: dead,
    now,
    fetchCertificate: overrides.fetchCertificate,
    confirmSubscription: overrides.confirmSubscription,
    logger,
    newCorrelationId: overrides.newCorrelationId,
    // LEDGER_TABLE set: replay protection shared by every container (opened at first use), keyed with
    // REPLAY_HASH_KEY: this function never holds the key contacts are hashed with.
    replayStore:
      overrides.replayStore ??
      (config.replay !== undefined ? sharedReplayStore(config.replay, { clock: now }) : undefined),
    replayCache: overrides.replayCache,
    verification: overrides.verification,
  };

  const currentConfig = overrides.reloadConfig
    ? createConfigRefresher({ initial: config, reload: overrides.reloadConfig, now, logger })
    : undefined;

  return async (event) => {
    const request = toWebhookRequest(event, config, { trustForwardedHeaders: overrides.trustForwardedHeaders });
    const fresh = currentConfig ? await currentConfig() : config;
    const response = await handleWebhook(request, fresh === config ? deps : { ...deps, config: fresh });
    overrides.publishMetrics?.(
      isWebhookProvider(request.provider) ? request.provider : 'unknown',
      webhookMetrics(response),
    );
    return { statusCode: response.statusCode, headers: response.headers, body: response.body, isBase64Encoded: false };
  };
}

/**
 * Cold-start configuration of the deployed function: serverless.yml passes every webhook secret as an
 * SSM SecureString name (`<NAME>_PARAMETER`), so those are resolved first (lib/ssm-env.ts; a parameter
 * that does not exist leaves its provider disabled), then lib/config.ts validates the result.
 */
export async function loadWebhookHandlerConfig(env: Env, options: { ssm?: SsmLike } = {}): Promise<WebhookConfig> {
  return loadWebhookConfig(await resolveSecretParameters(env, { ...options, names: SECRET_VARIABLES }));
}

/** EMF per request: namespace HoodBlocker, dimensions service and provider (11 values at most). */
export function webhookEmfPublisher(): (provider: string, counts: Record<string, number>) => void {
  const publish = countsEmfPublisher();
  return (provider, counts) => publish(counts, { provider });
}
