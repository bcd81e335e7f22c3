import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { main } from '../../../cli/main.js';
import { loadWebhookConfig } from '../../../lib/webhook/config.js';
import { createCertificateCache } from '../../../lib/providers/sns/client.js';
import { QueueError } from '../../../lib/errors.js';
import { handleWebhook } from '../../../lib/webhook/ingress.js';
import type { ReplayStore } from '../../../lib/providers/shared/replay.js';
import { createWebhookHandler, toWebhookRequest } from '../../../lib/webhook/lambda.js';
import { vonageSignature } from '../../../lib/providers/vonage/verify.js';
import {
  basicRequest,
  harness,
  mailgunRequest,
  NOW_MS,
  NOW_S,
  QUEUE_ENV,
  recordingLogger,
  request,
  resendRequest,
  SECRETS,
  snsRequest,
  testConfig,
  twilioRequest,
} from './harness.js';
import {
  createTestSnsSigner,
  snsNotification,
  snsSubscriptionConfirmation,
  TEST_CERT_URL,
  TEST_TOPIC_ARN,
  type TestSnsSigner,
} from './sns-signer.js';

/**
 * Issue 9 "Nothing forged": every decision comes from authenticated bytes. Each test here failed on
 * the code before the fix it names.
 */
let signer: TestSnsSigner;
beforeAll(() => {
  signer = createTestSnsSigner();
});

const bodyOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;
const contactsOf = (messages: ReadonlyArray<{ body: string }>) =>
  messages.map((m) => (JSON.parse(m.body) as { contact: string }).contact).sort();

const DELIVERY = JSON.stringify({
  notificationType: 'Delivery',
  mail: { messageId: 'm-1', destination: ['someone@example.com'] },
  delivery: { recipients: ['someone@example.com'] },
});

function sesBounce(recipient: string): string {
  return JSON.stringify({
    notificationType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: recipient }],
      timestamp: '2026-01-15T10:00:00.000Z',
    },
    mail: { messageId: `m-${recipient}`, destination: [recipient] },
  });
}

describe('item 4: SNS decisions come only from the signed fields', () => {
  it('ignores an unsigned Records array stapled next to a signed, harmless Delivery notification', async () => {
    // Prepare
    const h = harness({ signer });
    const signed = signer.sign(snsNotification(DELIVERY));
    const victims = Array.from({ length: 5 }, (_, i) => `victim${i}@example.com`);
    const stapled = {
      ...signed,
      Records: victims.map((v) => ({
        EventSource: 'aws:sns',
        Sns: { Type: 'Notification', MessageId: v, Message: sesBounce(v) },
      })),
    };

    // Act
    const response = await handleWebhook(snsRequest(stapled), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.queued).toEqual([]);
  });

  it('still blocks the recipient of a signed bounce notification', async () => {
    // Prepare
    const h = harness({ signer });

    // Act
    const response = await handleWebhook(
      snsRequest(signer.sign(snsNotification(sesBounce('bounced@example.com')))),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contactsOf(h.queued)).toEqual(['bounced@example.com']);
  });
});

describe('item 5: the SNS certificate URL is pinned before any fetch', () => {
  const wrongUrls = [
    [
      'an S3 host that matches sns.<x>.amazonaws.com',
      'https://sns.s3.amazonaws.com/SimpleNotificationService-0123abcd.pem',
    ],
    ['another region than the TopicArn', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem'],
    ['a file name other than SimpleNotificationService-<hex>.pem', 'https://sns.eu-west-1.amazonaws.com/attacker.pem'],
    ['a nested path', 'https://sns.eu-west-1.amazonaws.com/x/SimpleNotificationService-0123abcd.pem'],
    ['a query string', 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123abcd.pem?x=1'],
  ] as const;

  for (const [label, certUrl] of wrongUrls) {
    it(`refuses ${label} without fetching it`, async () => {
      // Prepare
      const h = harness({ signer });
      const message = signer.sign(snsNotification(sesBounce('bounced@example.com')), '2', { certUrl });

      // Act
      const response = await handleWebhook(snsRequest(message), h.deps);

      // Assess
      expect(response.statusCode).toBe(401);
      expect(h.fetchCertificate).not.toHaveBeenCalled();
    });
  }

  it('accepts the China partition host of the TopicArn region', async () => {
    // Prepare
    const topic = 'arn:aws-cn:sns:cn-north-1:123456789012:ses-feedback';
    const h = harness({ signer, config: testConfig({ SNS_TOPIC_ARNS: topic }) });
    const certUrl = 'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-0123abcd.pem';
    const message = signer.sign(snsNotification(sesBounce('bounced@example.com'), { TopicArn: topic }), '2', {
      certUrl,
    });

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.fetchCertificate).toHaveBeenCalledWith(certUrl);
  });

  it('keeps the real certificate cached while 20 junk certificate URLs fail', async () => {
    // Prepare
    const fetcher = vi.fn(async (url: string) => {
      if (url === TEST_CERT_URL) return signer.certificatePem;
      throw new Error('404');
    });
    const resolve = createCertificateCache(fetcher);
    await resolve(TEST_CERT_URL);
    const junk = Array.from(
      { length: 20 },
      (_, i) => `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-${i.toString(16).padStart(8, '0')}.pem`,
    );

    // Act
    await Promise.allSettled(junk.map((u) => resolve(u)));
    await resolve(TEST_CERT_URL);

    // Assess
    expect(fetcher.mock.calls.filter(([u]) => u === TEST_CERT_URL)).toHaveLength(1);
  });

  it("does not confirm a signed SubscriptionConfirmation whose SubscribeURL is another region's SNS host", async () => {
    // Prepare
    const h = harness({ signer });
    const message = signer.sign(
      snsSubscriptionConfirmation({
        SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TEST_TOPIC_ARN}&Token=x`,
      }),
    );

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(h.confirmSubscription).not.toHaveBeenCalled();
  });

  it('answers a message from a topic that is not allowed with the generic 401 and logs the precise reason', async () => {
    // Prepare
    const h = harness({ signer });
    const message = signer.sign(
      snsNotification(DELIVERY, { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:someone-else' }),
    );

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ error: 'unauthorized', correlationId: response.headers['x-correlation-id'] });
    expect(h.logger.lines.some((l) => l.fields.reason === 'topic_not_allowed')).toBe(true);
  });
});

function apiEvent(
  provider: string,
  body: string,
  headers: Record<string, string>,
  domainName = 'abc123.execute-api.eu-west-1.amazonaws.com',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: `/webhooks/${provider}`,
    rawQueryString: '',
    headers,
    body,
    isBase64Encoded: false,
    pathParameters: { provider },
    requestContext: { domainName, http: { method: 'POST', path: `/webhooks/${provider}` } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('item 6: the signed URL never comes from Host or X-Forwarded-* headers', () => {
  it('builds the URL from API Gateway domainName when WEBHOOK_PUBLIC_URL is unset', () => {
    // Prepare
    const event = apiEvent('twilio', 'a=b', {
      host: 'attacker.example',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'attacker.example',
    });

    // Act
    const req = toWebhookRequest(event, { publicUrl: undefined });

    // Assess
    expect(req.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/twilio');
  });

  it('uses Host and X-Forwarded-Proto only for the local pipeline, which is its own gateway', () => {
    // Prepare
    const event = apiEvent('twilio', 'a=b', { host: 'abcd.ngrok.app', 'x-forwarded-proto': 'https' });

    // Act
    const req = toWebhookRequest(event, { publicUrl: undefined }, { trustForwardedHeaders: true });

    // Assess
    expect(req.url).toBe('https://abcd.ngrok.app/webhooks/twilio');
  });

  it('refuses a Twilio request signed for another host and sent with that Host header', async () => {
    // Prepare
    const queued: unknown[] = [];
    const handler = createWebhookHandler({
      config: loadWebhookConfig({ ...SECRETS, ...QUEUE_ENV }),
      sendToQueue: async (m) => void queued.push(...m),
      deadLetter: async () => {},
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const signedElsewhere = twilioRequest(
      { From: '+14155550100', Body: 'STOP', MessageSid: 'SM1' },
      'https://other.example/webhooks/twilio',
    );
    const event = apiEvent('twilio', signedElsewhere.rawBody.toString('utf8'), {
      ...(signedElsewhere.headers as Record<string, string>),
      host: 'other.example',
    });

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(queued).toEqual([]);
  });
});

function vonageBody(
  signed: Record<string, string>,
  unsigned: Record<string, unknown>,
  method: 'md5hash' | 'sha256' = 'sha256',
): string {
  const sig = vonageSignature(method, SECRETS.VONAGE_SIGNATURE_SECRET, signed);
  return JSON.stringify({ ...signed, ...unsigned, sig });
}

describe('item 7: Vonage', () => {
  it('never blocks a contact named only by an unsigned nested from.number', async () => {
    // Prepare
    const h = harness();
    const body = vonageBody(
      { channel: 'sms', text: 'STOP', message_uuid: 'u-1', timestamp: NOW_S, nonce: 'n1' },
      { from: { number: '447700900001' } },
    );

    // Act
    const response = await handleWebhook(request('vonage', body, { 'content-type': 'application/json' }), h.deps);

    // Assess
    expect(h.queued).toEqual([]);
    expect(response.statusCode).toBe(200);
  });

  it('with VONAGE_SIGNATURE_METHOD=sha256 refuses a message signed with md5hash', async () => {
    // Prepare
    const h = harness({ config: testConfig({ VONAGE_SIGNATURE_METHOD: 'sha256' }) });
    const body = vonageBody(
      { msisdn: '447700900001', to: '447700900000', text: 'STOP', messageId: 'v1', timestamp: NOW_S, nonce: 'n1' },
      {},
      'md5hash',
    );

    // Act
    const response = await handleWebhook(request('vonage', body, { 'content-type': 'application/json' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });

  it('with VONAGE_SIGNATURE_METHOD=md5hash accepts a message signed with md5hash', async () => {
    // Prepare
    const h = harness({ config: testConfig({ VONAGE_SIGNATURE_METHOD: 'md5hash' }) });
    const body = vonageBody(
      { msisdn: '447700900001', to: '447700900000', text: 'STOP', messageId: 'v1', timestamp: NOW_S, nonce: 'n1' },
      {},
      'md5hash',
    );

    // Act
    const response = await handleWebhook(request('vonage', body, { 'content-type': 'application/json' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(contactsOf(h.queued)).toEqual(['+447700900001']);
  });

  it('rejects an unknown VONAGE_SIGNATURE_METHOD at configuration time', () => {
    // Act / Assess
    expect(() => testConfig({ VONAGE_SIGNATURE_METHOD: 'crc32' })).toThrow(/VONAGE_SIGNATURE_METHOD/u);
  });

  it('logs one cold-start warning advising to pin the method when it is unset', () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    createWebhookHandler({ config: testConfig(), sendToQueue: async () => {}, logger });

    // Assess
    expect(logger.lines.filter((l) => l.level === 'warn' && /VONAGE_SIGNATURE_METHOD/u.test(l.message))).toHaveLength(
      1,
    );
  });

  it('logs no such warning when the method is pinned', () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    createWebhookHandler({
      config: testConfig({ VONAGE_SIGNATURE_METHOD: 'sha256' }),
      sendToQueue: async () => {},
      logger,
    });

    // Assess
    expect(logger.lines.filter((l) => /VONAGE_SIGNATURE_METHOD/u.test(l.message))).toHaveLength(0);
  });
});

describe('item 10: basic-auth credentials per provider', () => {
  const env = {
    POSTMARK_WEBHOOK_BASIC_AUTH: 'pm:postmark-only-password',
    SPARKPOST_WEBHOOK_BASIC_AUTH: 'sp:sparkpost-only-password',
  };

  it('accepts Postmark with its own credentials', async () => {
    // Prepare
    const h = harness({ config: testConfig(env) });

    // Act
    const response = await handleWebhook(
      basicRequest(
        'postmark',
        { RecordType: 'SpamComplaint', Email: 'a@example.com', ID: 1 },
        env.POSTMARK_WEBHOOK_BASIC_AUTH,
      ),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('refuses Postmark credentials at the SparkPost route', async () => {
    // Prepare
    const h = harness({ config: testConfig(env) });

    // Act
    const response = await handleWebhook(
      basicRequest('sparkpost', [{ msys: {} }], env.POSTMARK_WEBHOOK_BASIC_AUTH),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('refuses the shared credentials at a provider that has its own', async () => {
    // Prepare
    const h = harness({ config: testConfig(env) });

    // Act
    const response = await handleWebhook(
      basicRequest('postmark', { RecordType: 'SpamComplaint', Email: 'a@example.com', ID: 1 }),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('falls back to WEBHOOK_BASIC_AUTH for a provider without its own (Brevo)', async () => {
    // Prepare
    const h = harness({ config: testConfig(env) });

    // Act
    const response = await handleWebhook(
      basicRequest('brevo', { event: 'unsubscribed', email: 'a@example.com', id: 1 }),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('enables a provider that has only its own credentials', async () => {
    // Prepare
    const h = harness({
      config: testConfig({ WEBHOOK_BASIC_AUTH: undefined, BREVO_WEBHOOK_BASIC_AUTH: 'br:brevo-password' }),
    });

    // Act
    const brevo = await handleWebhook(
      basicRequest('brevo', { event: 'unsubscribed', email: 'a@example.com', id: 1 }, 'br:brevo-password'),
      h.deps,
    );
    const postmark = await handleWebhook(
      basicRequest('postmark', { RecordType: 'SpamComplaint', Email: 'a@example.com', ID: 1 }, 'br:brevo-password'),
      h.deps,
    );

    // Assess
    expect([brevo.statusCode, postmark.statusCode]).toEqual([200, 404]);
  });
});

function twilioForm(body: string, url = 'https://hooks.example.com/webhooks/twilio') {
  const params = [...new URLSearchParams(body)];
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  let data = url;
  for (const k of [...grouped.keys()].sort()) for (const v of [...new Set(grouped.get(k))].sort()) data += k + v;
  const signature = createHmac('sha1', SECRETS.TWILIO_AUTH_TOKEN).update(data).digest('base64');
  return request('twilio', body, {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': signature,
  });
}

describe('item 13: one form-body parser for extract and the ingress', () => {
  for (const body of ['From=%2B14155550100&Body=STOP&Body=thanks', 'From=%2B14155550100&Body=thanks&Body=STOP']) {
    it(`the webhook does not block "${body}" (a repeated key is ambiguous)`, async () => {
      // Prepare
      const h = harness();

      // Act
      await handleWebhook(twilioForm(body), h.deps);

      // Assess
      expect(h.queued).toEqual([]);
    });

    it(`extract --source twilio does not block "${body}" either`, async () => {
      // Act
      const out = await extract(['extract', '--source', 'twilio'], body);

      // Assess
      expect(out).not.toContain('"action":"block"');
      expect(out).toContain('"source":"twilio"');
    });
  }
});

/** `hood-blocker extract` in-process: stdout as text. */
async function extract(args: string[], stdin: string): Promise<string> {
  const chunks: Buffer[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const stderr = new Writable({ write: (_c, _e, done) => done() });
  await main(args, { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]), env: {} });
  return Buffer.concat(chunks).toString('utf8');
}

describe('ReplayStore (Mailgun tokens)', () => {
  function recordingStore() {
    const claimed = new Set<string>();
    const calls: string[] = [];
    const store: ReplayStore = {
      claim: async (key, ttlMs) => {
        calls.push(`claim ${key} ${ttlMs}`);
        if (claimed.has(key)) return false;
        claimed.add(key);
        return true;
      },
      release: async (key) => {
        calls.push(`release ${key}`);
        claimed.delete(key);
      },
    };
    return { store, calls };
  }
  const unsubscribed = { event: 'unsubscribed', recipient: 'jane@example.com', timestamp: 1_700_000_000, id: 'ev-1' };

  it('claims the token of an authentic request for the whole 9-hour window and keeps it once queued', async () => {
    // Prepare
    const h = harness();
    const { store, calls } = recordingStore();
    h.deps.replayStore = store;

    // Act
    const response = await handleWebhook(mailgunRequest(unsubscribed, 'tok-1'), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual([`claim mailgun:tok-1 ${9 * 3_600_000 + 5 * 60_000}`]);
  });

  it("releases the token when the request could not be queued, so the provider's retry is accepted", async () => {
    // Prepare
    const h = harness();
    const { store, calls } = recordingStore();
    h.deps.replayStore = store;
    h.deps.sendToQueue = async () => {
      throw new QueueError('queue_unavailable', 'down');
    };

    // Act
    const failed = await handleWebhook(mailgunRequest(unsubscribed, 'tok-2'), h.deps);
    h.deps.sendToQueue = async () => {};
    const retried = await handleWebhook(mailgunRequest(unsubscribed, 'tok-2'), h.deps);

    // Assess
    expect([failed.statusCode, retried.statusCode]).toEqual([503, 200]);
    expect(calls).toContain('release mailgun:tok-2');
  });

  it('refuses a second use of a token', async () => {
    // Prepare
    const h = harness();
    h.deps.replayStore = recordingStore().store;
    await handleWebhook(mailgunRequest(unsubscribed, 'tok-3'), h.deps);

    // Act
    const replay = await handleWebhook(mailgunRequest(unsubscribed, 'tok-3'), h.deps);

    // Assess
    expect(replay.statusCode).toBe(401);
  });
});

describe('ReplayStore (Svix message ids)', () => {
  const complained = {
    type: 'email.complained',
    created_at: '2026-01-15T10:00:00.000Z',
    data: { email_id: 'em_1', to: ['jane@example.com'] },
  };

  it('answers a second delivery of the same Svix message 200 without queueing it again', async () => {
    // Prepare
    const h = harness();
    await handleWebhook(resendRequest(complained), h.deps);

    // Act
    const again = await handleWebhook(resendRequest(complained), h.deps);

    // Assess
    expect(again.statusCode).toBe(200);
    expect(h.queued).toHaveLength(1);
  });

  it('accepts the retry of a Svix message whose first delivery could not be queued', async () => {
    // Prepare
    const h = harness();
    h.deps.sendToQueue = async () => {
      throw new QueueError('queue_unavailable', 'down');
    };
    const failed = await handleWebhook(resendRequest(complained), h.deps);
    h.deps.sendToQueue = async (messages) => void h.queued.push(...messages);

    // Act
    const retried = await handleWebhook(resendRequest(complained), h.deps);

    // Assess
    expect([failed.statusCode, retried.statusCode]).toEqual([503, 200]);
    expect(h.queued).toHaveLength(1);
  });
});

describe('webhook configuration', () => {
  it('names POSTMARK_WEBHOOK_BASIC_AUTH when it is not user:password, without echoing it', () => {
    // Act / Assess
    expect(() => testConfig({ POSTMARK_WEBHOOK_BASIC_AUTH: 'no-colon-secret' })).toThrow(
      /POSTMARK_WEBHOOK_BASIC_AUTH/u,
    );
    expect(() => testConfig({ POSTMARK_WEBHOOK_BASIC_AUTH: 'no-colon-secret' })).not.toThrow(/no-colon-secret/u);
  });

  it('refreshes secrets every 5 minutes by default', () => {
    // Act / Assess
    expect(testConfig().secretsRefreshMs).toBe(300_000);
  });

  it('refuses a refresh interval under a minute (SSM would be read on nearly every request)', () => {
    // Act / Assess
    expect(() => testConfig({ WEBHOOK_SECRETS_REFRESH_SECONDS: '5' })).toThrow(/WEBHOOK_SECRETS_REFRESH_SECONDS/u);
  });
});
