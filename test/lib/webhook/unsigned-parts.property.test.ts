import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebhookConfig } from '../../../lib/config.js';
import type { OutgoingMessage } from '../../../lib/queue/sqs.js';
import type { WebhookRequest } from '../../../lib/webhook/ingress.js';
import { createWebhookHandler } from '../../../lib/webhook/lambda.js';
import { memoryReplayStore, ReplayCache } from '../../../lib/providers/shared/replay.js';
import { vonageSignature } from '../../../lib/providers/vonage/verify.js';
import {
  mandrillRequest,
  NOW_MS,
  NOW_S,
  recordingLogger,
  resendRequest,
  SECRETS,
  sendgridRequest,
  testConfig,
  twilioRequest,
} from './harness.js';
import { createTestSnsSigner, snsNotification, type TestSnsSigner } from './sns-signer.js';
import { ATTACKER, inboundSms, resplit, signedString, VICTIM } from '../providers/twilio-requests.js';

/**
 * Issue 9 "Done when": changing any part of a request that its signature does not cover never changes
 * which contacts are blocked, for every provider whose signature covers the payload (SNS, SendGrid,
 * Twilio, Mandrill, Svix/Resend, Vonage). Requests go through the Lambda adapter (so Host and
 * X-Forwarded-* headers reach the code that builds the signed URL) with WEBHOOK_PUBLIC_URL unset.
 * Unsigned parts fuzzed: any extra header (Host, X-Forwarded-*, Content-Type, SNS's x-amz-sns-*, …);
 * SNS: any extra top-level key (an unsigned `Records` array naming victims, …); Vonage JSON: extra
 * nested values; Vonage and Mandrill forms: an earlier duplicate of a signed key (PHP keeps the last);
 * Twilio: parameter order and a repeated identical pair (its signature sorts and dedupes), and re-splits of
 * the signed string that move text between names and values (no separator: issue 19, item 1); Svix: extra
 * signature entries. Content-Length is left out: it is framing, and a false one is refused (413).
 */
const RUNS = 150;
const DOMAIN = 'hooks.example.com';
const VICTIM_EMAIL = 'victim@evil.example';
const VICTIM_PHONE = '+14155550999';

let signer: TestSnsSigner;
let config: WebhookConfig;
beforeAll(() => {
  signer = createTestSnsSigner();
  config = testConfig({ WEBHOOK_PUBLIC_URL: undefined });
});

const emails = fc.uniqueArray(
  fc.constantFrom('ann@example.com', 'bob@example.org', 'cy@example.net', 'di@example.com'),
  { minLength: 1, maxLength: 3 },
);
const phone = fc.constantFrom('+14155550100', '+14155550101', '+447700900123');

function sesBounce(recipients: readonly string[]): string {
  return JSON.stringify({
    notificationType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
      timestamp: '2026-01-15T10:00:00.000Z',
    },
    mail: { messageId: 'm-1', destination: [...recipients] },
  });
}

/** Values an attacker would staple next to signed fields: each names a victim in a shape some mapper reads. */
const victimValue = fc.constantFrom<unknown>(
  [
    {
      EventSource: 'aws:sns',
      Sns: { Type: 'Notification', MessageId: 'v', TopicArn: 'x', Message: sesBounce([VICTIM_EMAIL]) },
    },
  ],
  { number: VICTIM_PHONE, type: 'sms' },
  { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: VICTIM_EMAIL }] },
  [VICTIM_EMAIL, VICTIM_PHONE],
  { msisdn: VICTIM_PHONE, text: 'STOP' },
  { email: VICTIM_EMAIL, event: 'spamreport' },
);

const headerName = fc.constantFrom(
  'host',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-for',
  'forwarded',
  'content-type',
  'x-amz-sns-message-type',
  'x-amz-sns-topic-arn',
  'user-agent',
  'x-original-url',
  'x-request-id',
);
const headerValue = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'text/plain; charset=UTF-8',
    'multipart/form-data',
    'evil.example',
    'http',
    'https://evil.example/webhooks/twilio',
    'SubscriptionConfirmation',
    'arn:aws:sns:eu-west-1:123456789012:other',
  ),
  fc.string({ maxLength: 30 }),
);
const extraHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 4 });

function apiEvent(req: WebhookRequest, headers: Record<string, string>, body: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: `/webhooks/${req.provider}`,
    rawQueryString: '',
    headers,
    body: Buffer.from(body, 'utf8').toString('base64'),
    isBase64Encoded: true,
    pathParameters: { provider: req.provider },
    requestContext: { domainName: DOMAIN, http: { method: 'POST', path: `/webhooks/${req.provider}` } },
  } as unknown as APIGatewayProxyEventV2;
}

/** The contacts a request blocks, through the Lambda adapter and the ingress. */
async function blockedBy(req: WebhookRequest, headers: Record<string, string>, body: string): Promise<string[]> {
  const queued: OutgoingMessage[] = [];
  const handler = createWebhookHandler({
    config,
    sendToQueue: async (messages) => void queued.push(...messages),
    deadLetter: async () => {},
    now: () => NOW_MS,
    fetchCertificate: async () => signer.certificatePem,
    logger: recordingLogger(),
    // A fresh store per request: this property is about unsigned parts, not about replays.
    replayStore: memoryReplayStore(new ReplayCache({ maxEntries: 10, ttlMs: 600_000 }), () => NOW_MS),
  });
  await handler(apiEvent(req, headers, body));
  return queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact).sort();
}

const headersOf = (req: WebhookRequest) => req.headers as Record<string, string>;

/** Asserts the property for one case: the original blocks `expected`, the mutated one blocks the same. */
async function sameBlocks(
  req: WebhookRequest,
  expected: readonly string[],
  mutated: { headers: Record<string, string>; body: string },
): Promise<void> {
  const original = await blockedBy(req, headersOf(req), req.rawBody.toString('utf8'));
  expect(original).toEqual([...expected].sort());
  expect(await blockedBy(req, mutated.headers, mutated.body)).toEqual(original);
}

function vonageJson(signed: Record<string, string>): string {
  return JSON.stringify({ ...signed, sig: vonageSignature('sha256', SECRETS.VONAGE_SIGNATURE_SECRET, signed) });
}

describe('unsigned parts of a request never change which contacts are blocked', () => {
  it('sns: extra top-level keys and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        emails,
        fc.dictionary(
          fc.constantFrom(
            'Records',
            'MessageAttributes',
            'UnsubscribeURL',
            'bounce',
            'mail',
            'notificationType',
            'Sns',
            'Extra',
          ),
          victimValue,
          { maxKeys: 3 },
        ),
        extraHeaders,
        async (recipients, extra, headers) => {
          const message = signer.sign(snsNotification(sesBounce(recipients)));
          const req = {
            provider: 'sns',
            headers: { 'content-type': 'text/plain; charset=UTF-8' },
            rawBody: Buffer.from(JSON.stringify(message)),
          } as unknown as WebhookRequest;
          await sameBlocks(req, recipients, {
            headers: { ...headersOf(req), ...headers },
            body: JSON.stringify({ ...extra, ...message }),
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('sendgrid: headers', async () => {
    await fc.assert(
      fc.asyncProperty(emails, extraHeaders, async (recipients, headers) => {
        const body = `${JSON.stringify(recipients.map((email, i) => ({ email, event: 'spamreport', sg_event_id: `e${i}`, timestamp: 1_700_000_000 })))}\r\n`;
        const req = sendgridRequest(body);
        await sameBlocks(req, recipients, { headers: { ...headersOf(req), ...headers }, body });
      }),
      { numRuns: RUNS },
    );
  });

  it('twilio: headers, parameter order and a repeated identical pair', async () => {
    await fc.assert(
      fc.asyncProperty(
        phone,
        extraHeaders,
        fc.boolean(),
        fc.constantFrom('', 'Body', 'From', 'MessageSid'),
        async (from, headers, reverse, repeat) => {
          const params = { From: from, To: '+14155550199', Body: 'STOP', MessageSid: 'SM0123', AccountSid: 'AC0123' };
          const req = twilioRequest(params, `https://${DOMAIN}/webhooks/twilio`);
          const pairs = Object.entries(params);
          if (reverse) pairs.reverse();
          if (repeat !== '') pairs.push([repeat, params[repeat as keyof typeof params]]);
          await sameBlocks(req, [from], {
            headers: { ...headersOf(req), ...headers },
            body: new URLSearchParams(pairs).toString(),
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('twilio: re-splits moving text between names and values block no one the genuine request does not', async () => {
    // The attacker writes the body of an SMS from their own number; Twilio signs it; any re-split of that
    // signed string carries the same signature. Bodies mix the names and numbers a forgery needs.
    const token = fc.constantFrom(
      ...['From', VICTIM, ATTACKER, 'FromA', 'm', 'FromCity', 'OptOutType', 'STOP', 'START', 'To', 'Tz', 'ErrorCode'],
      ...['21610', 'MessageStatus', 'failed', ' ', 'x'],
    );
    // Attack-shaped bodies: a keyword, a From (or OptOutType) name and a number, then what hides the real From.
    const hiding = fc.oneof(
      fc.constantFrom('', 'FromA', 'FromAFro', 'Fz'),
      fc.array(token, { maxLength: 3 }).map((t) => t.join('')),
    );
    const forgery = fc.tuple(
      fc.constantFrom('STOP', 'STOP', 'Stop '),
      fc.constantFrom('From', 'From', 'OptOutTypeSTOPFrom'),
      fc.constantFrom(VICTIM, VICTIM, ATTACKER),
      hiding,
    );
    const body = fc.oneof(
      fc.constant('STOP'),
      { arbitrary: forgery.map((parts) => parts.join('')), weight: 6 },
      fc.array(token, { maxLength: 8 }).map((t) => t.join('')),
    );
    const seeds = fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 24 }), { minLength: 8, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), seeds, async (text, advancedOptOut, resplits) => {
        const service = `MG${'0'.repeat(31)}1`;
        const extra: Array<[string, string]> = advancedOptOut
          ? [
              ['OptOutType', 'STOP'],
              ['MessagingServiceSid', service],
            ]
          : [];
        const genuine = Object.fromEntries(inboundSms(text, ATTACKER, extra));
        const req = twilioRequest(genuine, `https://${DOMAIN}/webhooks/twilio`);
        const original = await blockedBy(req, headersOf(req), req.rawBody.toString('utf8'));
        for (const cuts of resplits) {
          const forged = resplit(Object.entries(genuine), cuts);
          expect(signedString(forged)).toBe(signedString(Object.entries(genuine)));
          const mutated = await blockedBy(req, headersOf(req), new URLSearchParams(forged).toString());
          for (const contact of mutated) expect(original).toContain(contact);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('mandrill: headers and an earlier duplicate mandrill_events', async () => {
    await fc.assert(
      fc.asyncProperty(emails, extraHeaders, fc.boolean(), async (recipients, headers, prepend) => {
        const events = recipients.map((email, i) => ({
          event: 'spam',
          _id: `id${i}`,
          ts: 1_700_000_000,
          msg: { email },
        }));
        const req = mandrillRequest(events);
        const forged = new URLSearchParams({
          mandrill_events: JSON.stringify([{ event: 'hard_bounce', _id: 'x', ts: 1, msg: { email: VICTIM_EMAIL } }]),
        }).toString();
        const body = req.rawBody.toString('utf8');
        await sameBlocks(req, recipients, {
          headers: { ...headersOf(req), ...headers },
          body: prepend ? `${forged}&${body}` : body,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('resend (Svix): headers and extra signature entries', async () => {
    await fc.assert(
      fc.asyncProperty(
        emails,
        extraHeaders,
        fc.constantFrom('', ' v1,AAAA', ' v2,Zm9v', ' v1a,x'),
        async (recipients, headers, extraSignature) => {
          const req = resendRequest({
            type: 'email.bounced',
            created_at: '2026-01-15T10:00:00.000Z',
            data: {
              email_id: 'em_1',
              to: recipients,
              bounce: { type: 'Permanent', subType: 'General', message: `550 rejected: ${recipients.join(', ')}` },
            },
          });
          const signed = headersOf(req);
          const mutated = { ...signed, ...headers, 'svix-signature': `${signed['svix-signature']}${extraSignature}` };
          // A bounce to several recipients is ambiguous_recipient (the reply text may not pick whom to block).
          const blocked = recipients.length === 1 ? recipients : [];
          await sameBlocks(req, blocked, { headers: mutated, body: req.rawBody.toString('utf8') });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('vonage (JSON): headers and extra nested values', async () => {
    await fc.assert(
      fc.asyncProperty(
        phone,
        extraHeaders,
        fc.dictionary(fc.constantFrom('from', 'message', 'sms', 'data', 'to_list', 'channel_data'), victimValue, {
          maxKeys: 3,
        }),
        async (from, headers, extra) => {
          const signed = {
            msisdn: from.slice(1),
            to: '447700900000',
            text: 'STOP',
            messageId: 'v-1',
            type: 'text',
            timestamp: NOW_S,
            nonce: 'n1',
          };
          const body = vonageJson(signed);
          const req = {
            provider: 'vonage',
            headers: { 'content-type': 'application/json' },
            rawBody: Buffer.from(body),
          } as unknown as WebhookRequest;
          await sameBlocks(req, [from], {
            headers: { ...headersOf(req), ...headers },
            body: JSON.stringify({ ...extra, ...(JSON.parse(body) as object) }),
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('vonage (form): headers and an earlier duplicate of a signed key', async () => {
    await fc.assert(
      fc.asyncProperty(phone, extraHeaders, fc.constantFrom('', 'msisdn', 'text'), async (from, headers, duplicate) => {
        const signed: Record<string, string> = {
          msisdn: from.slice(1),
          to: '447700900000',
          text: 'STOP',
          messageId: 'v-1',
          type: 'text',
          timestamp: NOW_S,
          nonce: 'n1',
        };
        const body = new URLSearchParams({
          ...signed,
          sig: vonageSignature('md5hash', SECRETS.VONAGE_SIGNATURE_SECRET, signed),
        }).toString();
        const req = {
          provider: 'vonage',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          rawBody: Buffer.from(body),
        } as unknown as WebhookRequest;
        const forged =
          duplicate === 'msisdn' ? `msisdn=${VICTIM_PHONE.slice(1)}&` : duplicate === 'text' ? 'text=hello&' : '';
        await sameBlocks(req, [from], { headers: { ...headersOf(req), ...headers }, body: `${forged}${body}` });
      }),
      { numRuns: RUNS },
    );
  });
});
