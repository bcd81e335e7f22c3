import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type Env, loadWebhookConfig, type WebhookConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { lazyLedgerReplayStore } from '../ledger/index.js';
import { createSqsClient, deadLetter, sendMessages } from '../queue/sqs.js';
import { resolveSecretParameters, type SsmLike } from '../ssm-env.js';
import { handleWebhook, isWebhookProvider, publicRequestUrl, type WebhookDeps, type WebhookLogger, type WebhookRequest, webhookMetrics } from './ingress.js';
import { confirmSnsSubscription, fetchSnsCertificate } from './sns-client.js';
import { loadSendgridPublicKey } from './verify/sendgrid.js';
import { svixKey } from './verify/svix.js';

/**
 * API Gateway HTTP API (payload format 2.0) adapter for the ingress, shared by the Lambda entry
 * (handlers/webhook.ts) and the local pipeline (`npm start`). The work is in ./ingress.ts.
 */
export type WebhookLambdaHandler = (event: APIGatewayProxyEventV2 | APIGatewayProxyEvent) => Promise<APIGatewayProxyStructuredResultV2>;

/** Everything a test or the local pipeline may replace; the rest is built from the configuration. */
export interface WebhookHandlerOverrides extends Partial<Omit<WebhookDeps, 'config'>> {
  /** Default: `loadWebhookConfig(process.env)` (direct values only; see `loadWebhookHandlerConfig` for SSM names). */
  config?: WebhookConfig;
  /** Used for the default queue sender and dead-letterer. */
  sqsClient?: SQSClient;
  /** Receives each request's counts (see `webhookMetrics`); the Lambda entry publishes them as EMF. */
  publishMetrics?: (provider: string, counts: Record<string, number>) => void;
}

export const SERVICE_NAME = 'hood-blocker';

/** Adapt a Powertools Logger to the ingress's `(message, fields)` logger. */
function powertoolsLogger(logger: Logger): WebhookLogger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
    if (fields) logger[level](message, fields as LogAttributes);
    else logger[level](message);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Secrets that can be malformed are parsed at cold start, so a bad value fails loudly with the variable's
 * name (DESIGN.md "Environment") instead of answering 401 to every genuine event.
 */
function checkSecrets(config: WebhookConfig): void {
  const { sendgridPublicKey, resendSecret } = config.secrets;
  if (sendgridPublicKey !== undefined && loadSendgridPublicKey(sendgridPublicKey) === undefined) {
    throw new ConfigError('SENDGRID_WEBHOOK_PUBLIC_KEY', 'is not an EC P-256 public key (base64 DER SubjectPublicKeyInfo, or PEM)');
  }
  if (resendSecret !== undefined && svixKey(resendSecret) === undefined) {
    throw new ConfigError('RESEND_WEBHOOK_SECRET', 'is not a "whsec_<base64>" signing secret');
  }
}

const PROVIDER_PATH_RE = /(?:^|\/)webhooks\/([^/]+)\/?$/u;

/** Turn an API Gateway HTTP API v2 event into the ingress's request. */
export function toWebhookRequest(event: APIGatewayProxyEventV2 | APIGatewayProxyEvent, config: Pick<WebhookConfig, 'publicUrl'>): WebhookRequest {
  // HTTP API and function URLs send payload format 2.0; a REST API (or an HTTP API set to 1.0) sends 1.0.
  const v1 = event as Partial<APIGatewayProxyEvent>;
  const v2 = event as Partial<APIGatewayProxyEventV2>;
  const headers: Record<string, string> = {};
  // HTTP API lower-cases header names already; REST APIs, the local pipeline and tests may not.
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined && value !== null) headers[name.toLowerCase()] = value;
  const rawPath = v2.rawPath ?? v1.path ?? '/';
  const provider = event.pathParameters?.provider ?? PROVIDER_PATH_RE.exec(rawPath)?.[1] ?? '';
  const body = event.body ?? '';
  const rawBody = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  let rawQueryString = v2.rawQueryString ?? '';
  if (v2.rawQueryString === undefined && v1.multiValueQueryStringParameters) {
    const search = new URLSearchParams();
    for (const [name, values] of Object.entries(v1.multiValueQueryStringParameters)) for (const value of values ?? []) search.append(name, value);
    rawQueryString = search.toString();
  } else if (v2.rawQueryString === undefined && v1.queryStringParameters) {
    rawQueryString = new URLSearchParams(Object.entries(v1.queryStringParameters).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = value;
  const method = v2.requestContext?.http?.method ?? v1.httpMethod ?? 'POST';
  return {
    provider,
    method,
    headers,
    rawBody,
    url: publicRequestUrl({ publicUrl: config.publicUrl, headers, path: rawPath, rawQueryString, domainName: event.requestContext?.domainName }),
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
  const client = () => (sqs ??= createSqsClient(config.queues));

  let sendToQueue = overrides.sendToQueue;
  if (!sendToQueue) {
    if (blockQueueUrl === undefined) throw new ConfigError('BLOCK_QUEUE_URL', 'is not set; the webhook ingress puts block requests on it');
    const sqsClient = client();
    sendToQueue = (messages) => sendMessages(sqsClient, blockQueueUrl, messages);
  }
  let dead = overrides.deadLetter;
  if (!dead && deadLetterQueueUrl !== undefined) {
    const sqsClient = client();
    dead = (body, info) => deadLetter(sqsClient, deadLetterQueueUrl, body, info);
  }

  const deps: WebhookDeps = {
    config,
    sendToQueue,
    deadLetter: dead,
    now: overrides.now ?? (() => Date.now()),
    fetchCertificate: overrides.fetchCertificate ?? ((url) => fetchSnsCertificate(url)),
    confirmSubscription: overrides.confirmSubscription ?? ((url) => confirmSnsSubscription(url)),
    logger: overrides.logger ?? powertoolsLogger(new Logger({ serviceName: SERVICE_NAME })),
    newCorrelationId: overrides.newCorrelationId,
    mailgunReplayCache: overrides.mailgunReplayCache,
    // LEDGER_TABLE set: replay protection shared by every container (the ledger is opened at first use).
    replayStore: overrides.replayStore ?? (config.ledger?.table !== undefined ? lazyLedgerReplayStore(config.ledger) : undefined),
    verification: overrides.verification,
  };

  return async (event) => {
    const request = toWebhookRequest(event, config);
    const response = await handleWebhook(request, deps);
    overrides.publishMetrics?.(isWebhookProvider(request.provider) ? request.provider : 'unknown', webhookMetrics(response));
    return { statusCode: response.statusCode, headers: response.headers, body: response.body, isBase64Encoded: false };
  };
}

/**
 * Cold-start configuration of the deployed function: serverless.yml passes every webhook secret as an
 * SSM SecureString name (`<NAME>_PARAMETER`), so those are resolved first (lib/ssm-env.ts; a parameter
 * that does not exist leaves its provider disabled), then lib/config.ts validates the result.
 */
export async function loadWebhookHandlerConfig(env: Env, options: { ssm?: SsmLike } = {}): Promise<WebhookConfig> {
  return loadWebhookConfig(await resolveSecretParameters(env, options));
}

/** EMF per request: namespace HoodBlocker, dimensions service and provider (11 values at most). */
export function webhookEmfPublisher(): (provider: string, counts: Record<string, number>) => void {
  const metrics = new Metrics({ namespace: 'HoodBlocker', serviceName: SERVICE_NAME });
  return (provider, counts) => {
    metrics.addDimension('provider', provider);
    for (const [name, value] of Object.entries(counts)) if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  };
}
