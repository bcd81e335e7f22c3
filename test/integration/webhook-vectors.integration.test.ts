import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { receiveAll, sqsClientFor } from '../helpers/sqs.js';

/**
 * The providers' published signature vectors against the *built* webhook handler, with the clock set to
 * the vector's time the way a harness fakes it (after the module was loaded): valid vectors are
 * accepted and queued, tampered ones refused with 401.
 */
type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const fixture = (path: string) => JSON.parse(readFileSync(`test/fixtures/${path}`, 'utf8')) as Record<string, unknown>;
const sendgrid = fixture('sendgrid/signature-vectors-sendgrid-nodejs.json') as {
  vectors: {
    name: string;
    public_key_spki_der_b64: string;
    timestamp: string;
    signature_b64: string;
    raw_body: string;
  }[];
};
const mailgun = fixture('mailgun/signature-vectors-mailgun-php.json') as {
  vectors: { signing_key: string; timestamp: string; token: string; signature: string }[];
};
const svix = fixture('resend-svix/signature-vectors-svix.json') as {
  vectors: { secret: string; svix_id: string; svix_timestamp: string; raw_body: string; svix_signature: string }[];
};
const vonage = fixture('vonage/signature-vectors-vonage-sms.json') as {
  secret: string;
  params: Record<string, string>;
  signatures: Record<string, string>;
};
const single = sendgrid.vectors.find((v) => v.name === 'single_event')!;

let queues: LocalQueues;
let webhook: WebhookHandler;
const saved = { ...process.env };

beforeAll(async () => {
  queues = await startLocalQueues();
  Object.assign(process.env, {
    BLOCK_QUEUE_URL: queues.blockQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    SENDGRID_WEBHOOK_PUBLIC_KEY: single.public_key_spki_der_b64,
    MAILGUN_WEBHOOK_SIGNING_KEY: mailgun.vectors[0]!.signing_key,
    RESEND_WEBHOOK_SECRET: svix.vectors[0]!.secret,
    VONAGE_SIGNATURE_SECRET: vonage.secret,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  webhook = (
    (await import(`${pathToFileURL(resolve('dist/handlers/webhook.mjs')).href}?vectors=${randomUUID()}`)) as {
      handler: WebhookHandler;
    }
  ).handler;
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  process.env = saved;
  await queues.stop();
});

/** Fake only Date (timers stay real, so SQS I/O works), at `seconds` since the epoch. */
function at(seconds: string): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Number(seconds) * 1000 + 5000);
}

function event(provider: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: `/webhooks/${provider}`,
    rawQueryString: '',
    headers: { host: 'hooks.example.com', ...headers },
    pathParameters: { provider },
    body,
    isBase64Encoded: false,
    requestContext: { domainName: 'hooks.example.com', http: { method: 'POST', path: `/webhooks/${provider}` } },
  } as unknown as APIGatewayProxyEventV2;
}

const sendgridEvent = (body: string) =>
  event('sendgrid', body, {
    'content-type': 'application/json',
    'x-twilio-email-event-webhook-signature': single.signature_b64,
    'x-twilio-email-event-webhook-timestamp': single.timestamp,
  });

describe('published signature vectors through dist/handlers/webhook.mjs', () => {
  it('SendGrid: accepts the signed body and queues its contact', async () => {
    // Prepare
    at(single.timestamp);
    // Act
    const response = await webhook(sendgridEvent(single.raw_body));
    // Assess
    vi.useRealTimers();
    const queued = await receiveAll(sqsClientFor(queues), queues.blockQueueUrl, 10, 0);
    expect(response.statusCode).toBe(200);
    expect(queued.map((m) => JSON.parse(m.Body!).contact)).toContain('hello@world.com');
  });

  it('SendGrid: refuses the same signature over an altered body', async () => {
    // Prepare
    at(single.timestamp);
    // Act
    const response = await webhook(sendgridEvent(single.raw_body.replace('hello@world.com', 'hellp@world.com')));
    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('SendGrid: refuses the signed body once the timestamp is stale', async () => {
    // Act (real clock: the vector is from 2020)
    const response = await webhook(sendgridEvent(single.raw_body));
    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('Mailgun: accepts the vector signature and refuses a wrong one', async () => {
    // Prepare
    const v = mailgun.vectors[0]!;
    const body = (signature: string) =>
      JSON.stringify({
        signature: { timestamp: v.timestamp, token: v.token, signature },
        'event-data': {
          event: 'unsubscribed',
          id: 'e1',
          recipient: 'vector@example.com',
          timestamp: Number(v.timestamp),
        },
      });
    at(v.timestamp);
    // Act
    const bad = await webhook(
      event('mailgun', body(v.signature.replace(/^./u, (c) => (c === '0' ? '1' : '0'))), {
        'content-type': 'application/json',
      }),
    );
    const good = await webhook(event('mailgun', body(v.signature), { 'content-type': 'application/json' }));
    // Assess
    expect([bad.statusCode, good.statusCode]).toEqual([401, 200]);
  });

  it('Resend (Svix): accepts the vector and refuses it with one byte changed', async () => {
    // Prepare
    const v = svix.vectors[0]!;
    const headers = {
      'content-type': 'application/json',
      'svix-id': v.svix_id,
      'svix-timestamp': v.svix_timestamp,
      'svix-signature': v.svix_signature,
    };
    at(v.svix_timestamp);
    // Act
    const good = await webhook(event('resend', v.raw_body, headers));
    const bad = await webhook(event('resend', v.raw_body.replace('2432232314', '2432232315'), headers));
    // Assess: the vector's body is not a Resend event, so it is dead-lettered, not refused.
    expect([good.statusCode, bad.statusCode]).toEqual([200, 401]);
  });

  it('Vonage: accepts each published algorithm and refuses a tampered text', async () => {
    // Prepare
    at(vonage.params.timestamp!);
    const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    // Act
    const statuses = [];
    for (const sig of Object.values(vonage.signatures))
      statuses.push((await webhook(event('vonage', form({ ...vonage.params, sig }), headers))).statusCode);
    const tampered = await webhook(
      event('vonage', form({ ...vonage.params, text: 'STOP', sig: vonage.signatures.md5hash! }), headers),
    );
    // Assess
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(tampered.statusCode).toBe(401);
  });
});
