import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebhookConfig } from '../../../lib/config.js';
import { decodeOptIn } from '../../../lib/queue/opt-in.js';
import { NormalisedMessageSchema } from '../../../lib/queue/message.js';
import { REASONS } from '../../../lib/types.js';
import {
  handleWebhook,
  WEBHOOK_PROVIDERS,
  type WebhookRequest,
  type WebhookResponse,
} from '../../../lib/webhook/ingress.js';
import {
  basicRequest,
  genericRequest,
  harness,
  mailgunRequest,
  mandrillRequest,
  NOW_S,
  PUBLIC_URL,
  resendRequest,
  sendgridRequest,
  testConfig,
  twilioRequest,
  vonageRequest,
} from './harness.js';
import { fcRuns } from '../../helpers/fc-runs.js';
import { createTestSnsSigner, TEST_CERT_URL, TEST_TOPIC_ARN, type TestSnsSigner } from './sns-signer.js';

/**
 * Properties of the whole ingress (fast-check, 2,000 runs each; FC_RUNS=10000 for a deep run): whatever arrives, handleWebhook
 * answers (never throws), with a status from a fixed set, and queues nothing unless the request is
 * authentic. 405 is in the set because methods are fuzzed too (API Gateway only routes POST, but the
 * local pipeline serves every method).
 */
const RUNS = fcRuns(2_000);
const STATUSES = new Set([200, 400, 401, 404, 405, 413, 503]);

let signer: TestSnsSigner;
let config: WebhookConfig;
beforeAll(() => {
  signer = createTestSnsSigner();
  // The smallest limit config allows, so that fuzzed bodies cross it.
  config = testConfig({ WEBHOOK_MAX_BODY_BYTES: '1024' });
});

// ---------------------------------------------------------------------------------------------------
// Arbitraries

const base64 = fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => Buffer.from(b).toString('base64'));
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  base64,
  fc.constant(NOW_S),
  fc.integer({ min: 0, max: 2 ** 40 }).map(String),
  base64.map((b) => `v1,${b}`),
  fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 30 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'text/plain; charset=UTF-8',
    'multipart/form-data; boundary=x',
    '',
  ),
);
const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'content-length',
    'authorization',
    'x-twilio-email-event-webhook-signature',
    'x-twilio-email-event-webhook-timestamp',
    'x-twilio-signature',
    'x-mandrill-signature',
    'svix-id',
    'svix-timestamp',
    'svix-signature',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'host',
    'x-forwarded-proto',
  ),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.toLowerCase()),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 8 });

const snsShaped = fc
  .record(
    {
      Type: fc.constantFrom('Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation', 'Other'),
      MessageId: fc.uuid(),
      TopicArn: fc.oneof(fc.constant(TEST_TOPIC_ARN), fc.string({ maxLength: 40 })),
      Message: fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
      ),
      Subject: fc.option(fc.string({ maxLength: 20 })),
      Timestamp: fc.constant('2026-01-15T10:30:00.000Z'),
      Token: fc.string({ maxLength: 20 }),
      SubscribeURL: fc.constantFrom(
        'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x',
        'https://evil.example/',
      ),
      SignatureVersion: fc.constantFrom('1', '2', '3', 1),
      Signature: fc.uint8Array({ minLength: 0, maxLength: 256 }).map((b) => Buffer.from(b).toString('base64')),
      SigningCertURL: fc.constantFrom(
        TEST_CERT_URL,
        'http://sns.eu-west-1.amazonaws.com/x.pem',
        'https://sns.evil.com/x.pem',
        'https://sns.us-east-1.amazonaws.com.evil.com/x.pem',
        'https://sns.us-east-1.amazonaws.com/x',
      ),
    },
    { requiredKeys: [] },
  )
  .map((m) => JSON.stringify(m));

const mailgunShaped = fc
  .record({
    signature: fc.record(
      {
        timestamp: fc.oneof(fc.constant(NOW_S), fc.string()),
        token: fc.string({ maxLength: 60 }),
        signature: fc.stringMatching(/^[0-9a-f]{64}$/u),
      },
      { requiredKeys: [] },
    ),
    'event-data': fc.jsonValue(),
  })
  .map((m) => JSON.stringify(m));

const body = fc.oneof(
  fc.uint8Array({ maxLength: 1200 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc
    .dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 30 }))
    .map((d) => Buffer.from(new URLSearchParams(d).toString())),
  snsShaped.map((s) => Buffer.from(s)),
  mailgunShaped.map((s) => Buffer.from(s)),
  fc.integer({ min: 1025, max: 3000 }).map((n) => Buffer.alloc(n, 0x7b)),
);

/** Payloads shaped like the provider's own (so fuzzing reaches signature checks), or anything at all. */
function bodyFor(provider: string): fc.Arbitrary<Buffer> {
  if (provider === 'sns')
    return fc.oneof({ arbitrary: snsShaped.map((s) => Buffer.from(s)), weight: 4 }, { arbitrary: body, weight: 1 });
  if (provider === 'mailgun')
    return fc.oneof({ arbitrary: mailgunShaped.map((s) => Buffer.from(s)), weight: 2 }, { arbitrary: body, weight: 1 });
  return body;
}

const anyRequest: fc.Arbitrary<WebhookRequest> = fc
  .oneof(
    { arbitrary: fc.constantFrom(...WEBHOOK_PROVIDERS), weight: 9 },
    { arbitrary: fc.string({ maxLength: 15 }), weight: 1 },
  )
  .chain((provider) =>
    fc.record({
      provider: fc.constant(provider),
      method: fc.oneof(
        { arbitrary: fc.constantFrom('POST', 'post'), weight: 8 },
        { arbitrary: fc.constantFrom('HEAD', 'GET', 'PUT', 'OPTIONS'), weight: 1 },
      ),
      headers,
      rawBody: bodyFor(provider),
      query: fc.constantFrom('', 'bodySHA256=abc', 'a=1'),
    }),
  )
  .map(({ provider, method, headers: h, rawBody, query }) => ({
    provider,
    method,
    headers: h,
    rawBody,
    url: `${PUBLIC_URL}/webhooks/${provider}${query ? `?${query}` : ''}`,
    query: Object.fromEntries(new URLSearchParams(query)),
  }));

/** A correctly authenticated request for a provider, carrying an arbitrary payload. */
const stringParams = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'timestamp' && k !== 'sig' && k !== 'nonce'),
  fc.string({ maxLength: 40 }),
  { maxKeys: 8 },
);
const contactLike = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('+38761234567', '447700900001', '12345', 'nope', ''),
  fc.string({ maxLength: 20 }),
);
const blockish = fc.record(
  {
    contact: contactLike,
    reason: fc.oneof(fc.constantFrom(...REASONS), fc.string({ maxLength: 10 })),
    description: fc.string({ maxLength: 30 }),
    eventId: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: [] },
);
const payload = fc.oneof(fc.jsonValue(), blockish, fc.array(blockish, { maxLength: 12 }));

const authenticRequest: fc.Arbitrary<WebhookRequest> = fc.oneof(
  payload.map((p) => genericRequest(JSON.stringify(p) ?? 'null')),
  fc
    .tuple(
      fc.constantFrom('postmark', 'brevo', 'sparkpost') as fc.Arbitrary<'postmark' | 'brevo' | 'sparkpost'>,
      payload,
    )
    .map(([provider, p]) => basicRequest(provider, p)),
  payload.map((p) => sendgridRequest(JSON.stringify(p) ?? 'null')),
  payload.map((p) => resendRequest(p)),
  payload.map((p) => mailgunRequest(p)),
  fc
    .array(
      fc.oneof(
        fc.jsonValue(),
        fc.record({
          event: fc.constantFrom('hard_bounce', 'spam', 'unsub', 'send'),
          msg: fc.record({ email: contactLike }),
        }),
      ),
      { maxLength: 5 },
    )
    .map((events) => mandrillRequest(events)),
  stringParams.map((params) => twilioRequest(params)),
  stringParams.map((params) => vonageRequest(params)),
);

// ---------------------------------------------------------------------------------------------------

async function answer(request: WebhookRequest, h: ReturnType<typeof harness>): Promise<WebhookResponse> {
  try {
    return await handleWebhook(request, h.deps);
  } catch (error) {
    throw new Error(`handleWebhook threw: ${String(error)}`);
  }
}

describe('handleWebhook properties', () => {
  it('never throws, answers a known status, and queues or confirms nothing for unauthenticated requests', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async (request) => {
        // Prepare
        const h = harness({ config, signer });

        // Act
        const response = await answer(request, h);

        // Assess
        expect(STATUSES.has(response.statusCode)).toBe(true);
        expect(response.headers['x-correlation-id']).toBeTruthy();
        expect(h.queued).toEqual([]);
        expect(h.deadLetters).toEqual([]);
        expect(h.confirmSubscription).not.toHaveBeenCalled();
      }),
      { numRuns: RUNS },
    );
  });

  it('for authentic requests with arbitrary payloads answers 200 or 400 and queues only valid, distinct, enabled block requests', async () => {
    await fc.assert(
      fc.asyncProperty(authenticRequest, async (request) => {
        // Prepare
        const h = harness({ config: testConfig(), signer });

        // Act
        const response = await answer(request, h);

        // Assess
        expect([200, 400]).toContain(response.statusCode);
        if (response.statusCode === 400) {
          expect(h.queued).toEqual([]);
          return;
        }
        // Opt-ins (lib/queue/opt-in.ts) ride the same queue: never a block request, never counted as queued.
        const optIns = h.queued.filter((m) => decodeOptIn(m.body)?.ok === true);
        for (const m of optIns) expect(NormalisedMessageSchema.safeParse(JSON.parse(m.body)).success).toBe(false);
        const blocks = h.queued.filter((m) => !optIns.includes(m));
        const contacts = blocks.map((m) => {
          const parsed = NormalisedMessageSchema.parse(JSON.parse(m.body));
          expect(h.deps.config.policy.blockReasons.has(parsed.reason!)).toBe(true);
          return parsed.contact;
        });
        expect(new Set(contacts).size).toBe(contacts.length);
        if (request.provider !== 'twilio') {
          // The generic route's answer counts contacts accepted, policy ignores included (issue 19 item 11):
          // what was queued is in the response's summary (logs, metrics).
          const summary =
            request.provider === 'generic'
              ? response.summary!
              : (JSON.parse(response.body) as { queued: number; rejected: number });
          expect(summary.queued).toBe(blocks.length);
          expect(summary.rejected).toBe(h.deadLetters.length);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects any single-byte change to a SendGrid or Resend body (signatures over the raw bytes)', async () => {
    const signed = fc.oneof(
      payload.map((p) => sendgridRequest(JSON.stringify(p) ?? 'null')),
      payload.map((p) => resendRequest(p)),
    );
    await fc.assert(
      fc.asyncProperty(signed, fc.nat(), fc.integer({ min: 1, max: 255 }), async (request, position, mask) => {
        // Prepare
        const h = harness({ config: testConfig(), signer });
        const rawBody = Buffer.from(request.rawBody);
        const i = position % rawBody.length;
        rawBody[i] = rawBody[i]! ^ mask;

        // Act
        const response = await answer({ ...request, rawBody }, h);

        // Assess
        expect(response.statusCode).toBe(401);
        expect(h.queued).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
