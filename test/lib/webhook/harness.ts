import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { vi } from 'vitest';
import type { WebhookConfig } from '../../../lib/config.js';
import { loadWebhookConfig } from '../../../lib/webhook/config.js';
import type { DeadLetterInfo, OutgoingMessage } from '../../../lib/queue/sqs.js';
import type { WebhookDeps, WebhookLogger, WebhookRequest } from '../../../lib/webhook/ingress.js';
import { ReplayCache } from '../../../lib/providers/shared/replay.js';
import { vonageSignature } from '../../../lib/providers/vonage/verify.js';
import type { TestSnsSigner } from './sns-signer.js';
import { TEST_TOPIC_ARN } from './sns-signer.js';

/** Test doubles and request builders for the webhook ingress: every provider signed the way it signs. */

export const NOW_MS = Date.UTC(2026, 0, 15, 10, 30, 0);
export const NOW_S = String(Math.floor(NOW_MS / 1000));
export const PUBLIC_URL = 'https://hooks.example.com';

const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const SECRETS = {
  SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-for-tests',
  MAILGUN_WEBHOOK_SIGNING_KEY: 'key-mailgun-signing-key-for-tests',
  MANDRILL_WEBHOOK_KEY: 'mandrill-webhook-key-for-tests',
  RESEND_WEBHOOK_SECRET: `whsec_${Buffer.from('resend-secret-of-thirty-two-byte').toString('base64')}`,
  VONAGE_SIGNATURE_SECRET: 'vonage-signature-secret-for-tests',
  WEBHOOK_BASIC_AUTH: 'hooks:basic-password-for-tests',
  GENERIC_WEBHOOK_TOKEN: 'generic-token-for-tests',
  SNS_TOPIC_ARNS: TEST_TOPIC_ARN,
} as const;

export const QUEUE_ENV = {
  BLOCK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/hood-blocker-block',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/hood-blocker-dlq',
};

export function testConfig(env: Record<string, string | undefined> = {}): WebhookConfig {
  return loadWebhookConfig({ ...SECRETS, ...QUEUE_ENV, WEBHOOK_PUBLIC_URL: PUBLIC_URL, ...env });
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): WebhookLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => JSON.stringify(lines),
  };
}

export interface Harness {
  deps: WebhookDeps;
  queued: OutgoingMessage[];
  deadLetters: Array<{ body: string; info: DeadLetterInfo }>;
  logger: ReturnType<typeof recordingLogger>;
  confirmSubscription: ReturnType<typeof vi.fn<(url: string) => Promise<void>>>;
  fetchCertificate: ReturnType<typeof vi.fn<(url: string) => Promise<string>>>;
}

export function harness(
  options: { config?: WebhookConfig; signer?: TestSnsSigner; withDeadLetterQueue?: boolean } = {},
): Harness {
  const queued: OutgoingMessage[] = [];
  const deadLetters: Array<{ body: string; info: DeadLetterInfo }> = [];
  const logger = recordingLogger();
  const confirmSubscription = vi.fn(async (_url: string) => {});
  const fetchCertificate = vi.fn(async (_url: string) => {
    if (!options.signer) throw new Error('no certificate in this test');
    return options.signer.certificatePem;
  });
  const deps: WebhookDeps = {
    config: options.config ?? testConfig(),
    sendToQueue: async (messages) => {
      queued.push(...messages);
    },
    now: () => NOW_MS,
    fetchCertificate,
    confirmSubscription,
    logger,
    replayCache: new ReplayCache({ maxEntries: 1000, ttlMs: 3_600_000 }),
  };
  if (options.withDeadLetterQueue !== false) {
    deps.deadLetter = async (items) => {
      deadLetters.push(...items);
    };
  }
  return { deps, queued, deadLetters, logger, confirmSubscription, fetchCertificate };
}

/** What a test expects on the queue: the parsed body and the attributes. */
export function queuedMessages(
  messages: readonly OutgoingMessage[],
): Array<{ body: unknown; attributes: OutgoingMessage['attributes'] }> {
  return messages.map((m) => ({ body: JSON.parse(m.body) as unknown, attributes: m.attributes }));
}

// ---------------------------------------------------------------------------------------------------
// Signed requests, one builder per provider

type Headers = Record<string, string>;

export function request(
  provider: string,
  rawBody: Buffer | string,
  headers: Headers = {},
  options: { method?: string; query?: string } = {},
): WebhookRequest {
  const query = options.query ?? '';
  return {
    provider,
    method: options.method ?? 'POST',
    headers,
    rawBody: typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody,
    url: `${PUBLIC_URL}/webhooks/${provider}${query ? `?${query}` : ''}`,
    query: Object.fromEntries(new URLSearchParams(query)),
  };
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

export function sendgridRequest(rawBody: string, timestamp = NOW_S): WebhookRequest {
  const body = Buffer.from(rawBody, 'utf8');
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), sendgridKeys.privateKey).toString(
    'base64',
  );
  return request('sendgrid', body, {
    'content-type': JSON_TYPE,
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': timestamp,
  });
}

export function twilioRequest(params: Record<string, string>, url = `${PUBLIC_URL}/webhooks/twilio`): WebhookRequest {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  const signature = createHmac('sha1', SECRETS.TWILIO_AUTH_TOKEN).update(data).digest('base64');
  return request('twilio', new URLSearchParams(params).toString(), {
    'content-type': FORM,
    'x-twilio-signature': signature,
  });
}

export function mailgunRequest(
  eventData: unknown,
  token = `token-${Math.random().toString(36).slice(2)}`,
  timestamp = NOW_S,
): WebhookRequest {
  const signature = createHmac('sha256', SECRETS.MAILGUN_WEBHOOK_SIGNING_KEY)
    .update(timestamp + token)
    .digest('hex');
  return request('mailgun', JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': eventData }), {
    'content-type': JSON_TYPE,
  });
}

export function mandrillRequest(events: unknown[]): WebhookRequest {
  const mandrillEvents = JSON.stringify(events);
  const url = `${PUBLIC_URL}/webhooks/mandrill`;
  const signature = createHmac('sha1', SECRETS.MANDRILL_WEBHOOK_KEY)
    .update(`${url}mandrill_events${mandrillEvents}`)
    .digest('base64');
  return request('mandrill', new URLSearchParams({ mandrill_events: mandrillEvents }).toString(), {
    'content-type': FORM,
    'x-mandrill-signature': signature,
  });
}

export function resendRequest(payload: unknown, timestamp = NOW_S): WebhookRequest {
  const body = Buffer.from(JSON.stringify(payload));
  const key = Buffer.from(SECRETS.RESEND_WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
  const id = 'msg_2a1b3c';
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return request('resend', body, {
    'content-type': JSON_TYPE,
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': `v1,${signature}`,
  });
}

export function vonageRequest(params: Record<string, string>): WebhookRequest {
  const signed = { ...params, timestamp: params.timestamp ?? NOW_S, nonce: 'a1b2c3' };
  const sig = vonageSignature('sha256', SECRETS.VONAGE_SIGNATURE_SECRET, signed);
  return request('vonage', JSON.stringify({ ...signed, sig }), { 'content-type': JSON_TYPE });
}

export function basicRequest(
  provider: 'postmark' | 'brevo' | 'sparkpost',
  payload: unknown,
  credentials: string = SECRETS.WEBHOOK_BASIC_AUTH,
): WebhookRequest {
  return request(provider, JSON.stringify(payload), {
    'content-type': JSON_TYPE,
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
  });
}

export function genericRequest(payload: unknown, token: string = SECRETS.GENERIC_WEBHOOK_TOKEN): WebhookRequest {
  return request('generic', typeof payload === 'string' ? payload : JSON.stringify(payload), {
    'content-type': JSON_TYPE,
    authorization: `Bearer ${token}`,
  });
}

export function snsRequest(message: Record<string, unknown>): WebhookRequest {
  return request('sns', JSON.stringify(message), {
    'content-type': 'text/plain; charset=UTF-8',
    'x-amz-sns-message-type': String(message.Type),
    'x-amz-sns-topic-arn': String(message.TopicArn),
  });
}
