import { beforeAll, describe, expect, it } from 'vitest';
import { QueueError } from '../../../lib/errors.js';
import { EMPTY_TWIML } from '../../../lib/providers/twilio/index.js';
import { redactContacts } from '../../../lib/contact.js';
import { handleWebhook, publicRequestUrl } from '../../../lib/webhook/ingress.js';
import { fixtureBytes, fixtureJson } from './fixtures.js';
import {
  basicRequest,
  genericRequest,
  harness,
  mailgunRequest,
  mandrillRequest,
  NOW_MS,
  queuedMessages,
  request,
  resendRequest,
  SECRETS,
  sendgridRequest,
  snsRequest,
  testConfig,
  twilioRequest,
  vonageRequest,
} from './harness.js';
import { createTestSnsSigner, snsNotification, snsSubscriptionConfirmation, type TestSnsSigner } from './sns-signer.js';

let signer: TestSnsSigner;
beforeAll(() => {
  signer = createTestSnsSigner();
});

const sendgridDroppedBody = fixtureBytes('sendgrid/signed-single-dropped-body.raw').toString('utf8');
const attrs = (correlationId: string, source: string) => ({ correlation_id: correlationId, source });
const bodyOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe('handleWebhook: one signed request per provider is queued as normalised messages', () => {
  it('sendgrid: a dropped "Bounced Address" event becomes one suppressed block request', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(sendgridRequest(sendgridDroppedBody), h.deps);

    // Assess
    const correlationId = response.headers['x-correlation-id']!;
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ queued: 1, ignored: 0, rejected: 0, correlationId });
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: {
          contact: 'hello@world.com',
          reason: 'suppressed',
          source: 'sendgrid',
          description: 'dropped: Bounced Address',
          eventId: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
          occurredAt: '2020-09-14T19:41:32.000Z',
        },
        attributes: attrs(correlationId, 'sendgrid'),
      },
    ]);
  });

  it('twilio: an inbound STOP becomes an sms_opt_out and is answered with empty TwiML', async () => {
    // Prepare
    const h = harness();
    const params = {
      From: '+14155550100',
      To: '+14155550199',
      Body: 'STOP',
      MessageSid: 'SM0123456789abcdef',
      AccountSid: 'AC0123456789abcdef',
    };

    // Act
    const response = await handleWebhook(twilioRequest(params), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml');
    expect(response.body).toBe(EMPTY_TWIML);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: {
          contact: '+14155550100',
          reason: 'sms_opt_out',
          source: 'twilio',
          description: 'inbound SMS "STOP"',
          eventId: 'SM0123456789abcdef',
        },
        attributes: attrs(response.headers['x-correlation-id']!, 'twilio'),
      },
    ]);
  });

  it('mailgun: an unsubscribed event becomes an unsubscribe', async () => {
    // Prepare
    const h = harness();
    const eventData = fixtureJson('mailgun/mailgun-docs-event-data-unsubscribed.json');

    // Act
    const response = await handleWebhook(mailgunRequest(eventData), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: {
          contact: 'recipient@example.com',
          reason: 'unsubscribe',
          source: 'mailgun',
          description: 'unsubscribed',
          eventId: 'W3X4JOhFT-OZidZGKKr9iA',
          occurredAt: '2013-08-22T23:23:11.421Z',
        },
        attributes: attrs(response.headers['x-correlation-id']!, 'mailgun'),
      },
    ]);
  });

  it('mandrill: a hard_bounce in mandrill_events becomes a hard_bounce', async () => {
    // Prepare
    const h = harness();
    const event = fixtureJson('mandrill/telegraf-mandrill-hard-bounce-event.json');

    // Act
    const response = await handleWebhook(mandrillRequest([event]), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: expect.objectContaining({
          contact: 'example.webhook@mandrillapp.com',
          reason: 'hard_bounce',
          source: 'mandrill',
          eventId: 'id2',
          occurredAt: '2013-11-20T13:26:44.000Z',
        }),
        attributes: attrs(response.headers['x-correlation-id']!, 'mandrill'),
      },
    ]);
  });

  it('postmark (basic auth): a HardBounce becomes a hard_bounce', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(
      basicRequest('postmark', fixtureJson('postmark/spatie-postmark-bounce-hardbounce.json')),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: {
          contact: 'john@example.com',
          reason: 'hard_bounce',
          source: 'postmark',
          description: 'HardBounce: Test bounce details',
          eventId: '42',
          occurredAt: '2019-11-05T16:33:54.907Z',
        },
        attributes: attrs(response.headers['x-correlation-id']!, 'postmark'),
      },
    ]);
  });

  it('brevo (bearer token = the basic-auth password): a hard_bounce is queued', async () => {
    // Prepare
    const h = harness();
    const pass = SECRETS.WEBHOOK_BASIC_AUTH.split(':')[1]!;
    const req = request('brevo', JSON.stringify(fixtureJson('brevo/anymail-brevo-hard-bounce.json')), {
      'content-type': 'application/json',
      authorization: `Bearer ${pass}`,
    });

    // Act
    const response = await handleWebhook(req, h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: expect.objectContaining({ contact: 'not-a-user@example.com', reason: 'hard_bounce', source: 'brevo' }),
        attributes: attrs(response.headers['x-correlation-id']!, 'brevo'),
      },
    ]);
  });

  it('sparkpost (basic auth): a class-10 bounce is queued', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(
      basicRequest('sparkpost', fixtureJson('sparkpost/anymail-sparkpost-bounce-class-10.json')),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: expect.objectContaining({
          contact: 'bounce@example.com',
          reason: 'hard_bounce',
          source: 'sparkpost',
          eventId: '84345317653491230',
        }),
        attributes: attrs(response.headers['x-correlation-id']!, 'sparkpost'),
      },
    ]);
  });

  it('resend (svix): email.bounced is queued', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(
      resendRequest(fixtureJson('resend-svix/anymail-resend-email-bounced.json')),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: expect.objectContaining({
          contact: 'bounced@resend.dev',
          reason: 'hard_bounce',
          source: 'resend',
          eventId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        }),
        attributes: attrs(response.headers['x-correlation-id']!, 'resend'),
      },
    ]);
  });

  it('vonage (signed JSON): an inbound STOP is queued with an E.164 contact', async () => {
    // Prepare
    const h = harness();
    const params = {
      msisdn: '447700900001',
      to: '447700900000',
      messageId: '0A0000000123ABCD1',
      text: 'STOP',
      type: 'text',
      keyword: 'STOP',
      'message-timestamp': '2026-01-15 10:30:00',
    };

    // Act
    const response = await handleWebhook(vonageRequest(params), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: {
          contact: '+447700900001',
          reason: 'sms_opt_out',
          source: 'vonage',
          description: 'inbound SMS "STOP"',
          eventId: '0A0000000123ABCD1',
          occurredAt: '2026-01-15T10:30:00.000Z',
        },
        attributes: attrs(response.headers['x-correlation-id']!, 'vonage'),
      },
    ]);
  });

  it('sns: a signed Notification carrying an SES complaint is mapped AWS-natively (source ses)', async () => {
    // Prepare
    const h = harness({ signer });
    const ses = JSON.stringify(fixtureJson('ses/aws-docs-notification-complaint-with-feedback.json'));
    const message = signer.sign(snsNotification(ses));

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: expect.objectContaining({ contact: 'richard@example.com', reason: 'complaint', source: 'ses' }),
        attributes: attrs(response.headers['x-correlation-id']!, 'ses'),
      },
    ]);
  });

  it('generic: one normalised object is queued with reason manual', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(
      genericRequest({ contact: 'Jane@Example.com', description: 'asked by phone' }),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: { contact: 'jane@example.com', reason: 'manual', source: 'generic', description: 'asked by phone' },
        attributes: attrs(response.headers['x-correlation-id']!, 'generic'),
      },
    ]);
  });

  it('generic: an array is queued as one message per contact, and the invalid one is dead-lettered with its reason', async () => {
    // Prepare
    const h = harness();
    const payload = [
      { contact: 'a@example.com', reason: 'complaint' },
      { contact: '+38761234567' },
      { contact: 'nope' },
    ];

    // Act
    const response = await handleWebhook(genericRequest(payload), h.deps);

    // Assess
    const correlationId = response.headers['x-correlation-id']!;
    expect(bodyOf(response)).toEqual({ queued: 2, ignored: 0, rejected: 1, correlationId });
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: { contact: 'a@example.com', reason: 'complaint', source: 'generic' },
        attributes: attrs(correlationId, 'generic'),
      },
      {
        body: { contact: '+38761234567', reason: 'manual', source: 'generic' },
        attributes: attrs(correlationId, 'generic'),
      },
    ]);
    expect(h.deadLetters).toEqual([
      {
        body: JSON.stringify({
          contact: 'nope',
          reason: 'invalid_contact',
          source: 'generic',
          description: 'not a phone number (alphanumeric sender ID)',
        }),
        info: {
          reason: 'invalid_contact',
          detail: 'not a phone number (alphanumeric sender ID)',
          source: 'generic',
          correlationId,
        },
      },
    ]);
  });
});

describe('handleWebhook: fan-out rules', () => {
  it('queues one message per distinct contact (the first decision wins)', async () => {
    // Prepare
    const h = harness();
    const payload = [
      { contact: 'a@example.com', reason: 'complaint' },
      { contact: 'A@example.com', reason: 'hard_bounce' },
    ];

    // Act
    const response = await handleWebhook(genericRequest(payload), h.deps);

    // Assess
    expect(bodyOf(response)).toMatchObject({ queued: 1 });
    expect(queuedMessages(h.queued).map((m) => m.body)).toEqual([
      { contact: 'a@example.com', reason: 'complaint', source: 'generic' },
    ]);
  });

  it('only counts and logs ignored events (processed, blocked bounce)', async () => {
    // Prepare
    const h = harness();
    const multi = fixtureBytes('sendgrid/signed-multi-event-body.raw').toString('utf8');

    // Act
    const response = await handleWebhook(sendgridRequest(multi), h.deps);

    // Assess
    expect(bodyOf(response)).toMatchObject({ queued: 0, ignored: 2, rejected: 0 });
    expect(h.queued).toEqual([]);
    expect(h.logger.lines.find((l) => l.message === 'webhook processed')?.fields.ignoredReasons).toEqual({
      processed: 1,
      soft_bounce: 1,
    });
  });

  it('turns a block whose reason is not in BLOCK_REASONS into an ignore', async () => {
    // Prepare
    const h = harness({ config: testConfig({ BLOCK_REASONS: 'hard_bounce,complaint' }) });

    // Act
    const response = await handleWebhook(sendgridRequest(sendgridDroppedBody), h.deps);

    // Assess
    expect(bodyOf(response)).toMatchObject({ queued: 0, ignored: 1 });
    expect(h.queued).toEqual([]);
  });

  it('without a dead-letter queue puts rejects on the block queue with a reason the consumer can never block', async () => {
    // Prepare
    const h = harness({ withDeadLetterQueue: false });

    // Act
    const response = await handleWebhook(genericRequest([{ contact: 'nope' }]), h.deps);

    // Assess
    const correlationId = response.headers['x-correlation-id']!;
    expect(bodyOf(response)).toMatchObject({ queued: 0, rejected: 1 });
    expect(queuedMessages(h.queued)).toEqual([
      {
        body: {
          contact: 'nope',
          reason: 'invalid_contact',
          source: 'generic',
          description: 'not a phone number (alphanumeric sender ID)',
        },
        attributes: { correlation_id: correlationId, source: 'generic', reject_reason: 'invalid_contact' },
      },
    ]);
  });

  it('uses the same correlation id in the response header, the body, the queue attributes and the logs', async () => {
    // Prepare
    const h = harness();
    h.deps.newCorrelationId = () => 'corr-1234';

    // Act
    const response = await handleWebhook(genericRequest({ contact: 'jane@example.com' }), h.deps);

    // Assess
    expect(response.headers['x-correlation-id']).toBe('corr-1234');
    expect(bodyOf(response).correlationId).toBe('corr-1234');
    expect(h.queued[0]!.attributes?.correlation_id).toBe('corr-1234');
    expect(h.logger.lines.every((l) => l.fields.correlationId === 'corr-1234')).toBe(true);
  });

  it('never logs a full contact, a secret or the raw body', async () => {
    // Prepare
    const h = harness();

    // Act
    await handleWebhook(genericRequest([{ contact: 'jane.doe@example.com' }, { contact: 'not-an-address@' }]), h.deps);

    // Assess
    const text = h.logger.text();
    expect(h.logger.lines).toHaveLength(1);
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('not-an-address@');
    expect(text).not.toContain(SECRETS.GENERIC_WEBHOOK_TOKEN);
  });

  it('redacts addresses and numbers a provider quoted inside a detail before it is logged', () => {
    // Prepare
    const detail = '550 5.1.1 <jane.doe@example.com>: Recipient address rejected; callback +14155550100';

    // Act
    const redacted = redactContacts(detail);

    // Assess
    expect(redacted).toBe('550 5.1.1 <j***@e***.com>: Recipient address rejected; callback +14*******00');
  });
});

describe('handleWebhook: refusals', () => {
  it('answers 404 for an unknown provider', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(request('acme', '{}', { 'content-type': 'application/json' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('answers 404, never an unauthenticated 200, for a provider whose secret is unset', async () => {
    // Prepare
    const h = harness({ config: testConfig({ MANDRILL_WEBHOOK_KEY: undefined }) });
    const req = mandrillRequest([fixtureJson('mandrill/telegraf-mandrill-hard-bounce-event.json')]);

    // Act
    const response = await handleWebhook(req, h.deps);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(h.queued).toEqual([]);
  });

  it('answers 404 for sns when SNS_TOPIC_ARNS is unset', async () => {
    // Prepare
    const h = harness({ config: testConfig({ SNS_TOPIC_ARNS: undefined }), signer });

    // Act
    const response = await handleWebhook(snsRequest(signer.sign(snsSubscriptionConfirmation())), h.deps);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(h.confirmSubscription).not.toHaveBeenCalled();
  });

  it('answers 200 to HEAD (Mandrill checks a new webhook URL with HEAD)', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(request('mandrill', '', {}, { method: 'HEAD' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
  });

  it('answers 405 to GET', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(request('generic', '', {}, { method: 'GET' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST, HEAD');
  });

  it('answers 413 for a body over the limit before looking at its signature', async () => {
    // Prepare
    const h = harness();
    const huge = Buffer.alloc(h.deps.config.maxBodyBytes + 1, 0x20);

    // Act
    const response = await handleWebhook(request('sendgrid', huge, { 'content-type': 'application/json' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(413);
  });

  it('answers 413 when Content-Length announces a body over the limit', async () => {
    // Prepare
    const h = harness();
    const req = genericRequest({ contact: 'jane@example.com' });
    req.headers = { ...req.headers, 'content-length': String(h.deps.config.maxBodyBytes + 1) };

    // Act
    const response = await handleWebhook(req, h.deps);

    // Assess
    expect(response.statusCode).toBe(413);
  });

  it('answers 401 with the one generic reason to a bad signature and queues nothing', async () => {
    // Prepare
    const h = harness();
    const req = sendgridRequest(sendgridDroppedBody);
    req.rawBody = Buffer.from(sendgridDroppedBody.replace('hello@world.com', 'victim@world.com'));

    // Act
    const response = await handleWebhook(req, h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ error: 'unauthorized', correlationId: response.headers['x-correlation-id'] });
    expect(h.queued).toEqual([]);
  });

  it('answers 401 to a stale SendGrid timestamp', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(sendgridRequest(sendgridDroppedBody, String(NOW_MS / 1000 - 3600)), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).reason).toBeUndefined();
    expect(h.logger.lines.map((l) => l.fields.reason)).toContain('stale_timestamp');
  });

  it('answers 401 to a generic request with the wrong token', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(genericRequest({ contact: 'jane@example.com' }, 'guessed'), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.queued).toEqual([]);
  });

  it('answers 401 to a replayed Mailgun token', async () => {
    // Prepare
    const h = harness();
    const eventData = fixtureJson('mailgun/mailgun-docs-event-data-unsubscribed.json');
    const req = mailgunRequest(eventData, 'one-time-token');
    await handleWebhook(req, h.deps);

    // Act
    const response = await handleWebhook(req, h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).reason).toBeUndefined();
    expect(h.logger.lines.map((l) => l.fields.reason)).toContain('replayed');
    expect(h.queued).toHaveLength(1);
  });

  it('answers 400 to an authenticated body that is not JSON', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(genericRequest('{"contact": "jane@example.com"'), h.deps);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).reason).toBe('malformed_json');
    expect(h.queued).toEqual([]);
  });

  it('answers 400 to an authenticated empty body', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(genericRequest(''), h.deps);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).reason).toBe('empty_body');
  });
});

describe('handleWebhook: queue failures', () => {
  it('answers 503 and reports nothing as done when the queue is unavailable', async () => {
    // Prepare
    const h = harness();
    h.deps.sendToQueue = async () => {
      throw new QueueError(
        'queue_unavailable',
        '1 of 1 message(s) could not be sent to the queue (ServiceUnavailable)',
      );
    };

    // Act
    const response = await handleWebhook(genericRequest({ contact: 'jane@example.com' }), h.deps);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toEqual({
      error: 'unavailable',
      reason: 'queue_unavailable',
      correlationId: response.headers['x-correlation-id'],
    });
    expect(h.logger.lines.some((l) => l.message === 'webhook processed')).toBe(false);
  });

  it('answers 503 when dead-lettering a reject fails', async () => {
    // Prepare
    const h = harness();
    h.deps.deadLetter = async () => {
      throw new QueueError('queue_unavailable', 'DLQ down');
    };

    // Act
    const response = await handleWebhook(genericRequest([{ contact: 'nope' }]), h.deps);

    // Assess
    expect(response.statusCode).toBe(503);
  });

  it('accepts the Mailgun retry of a request that was answered 503 (its token is released)', async () => {
    // Prepare
    const h = harness();
    const req = mailgunRequest(
      fixtureJson('mailgun/mailgun-docs-event-data-unsubscribed.json'),
      'token-of-a-failed-attempt',
    );
    const working = h.deps.sendToQueue;
    h.deps.sendToQueue = async () => {
      throw new QueueError('queue_unavailable', 'down');
    };
    await handleWebhook(req, h.deps);
    h.deps.sendToQueue = working;

    // Act
    const retry = await handleWebhook(req, h.deps);

    // Assess
    expect(retry.statusCode).toBe(200);
    expect(h.queued).toHaveLength(1);
  });
});

describe('handleWebhook: SNS subscriptions', () => {
  it('confirms a signed SubscriptionConfirmation of an allow-listed topic by GET on its SubscribeURL', async () => {
    // Prepare
    const h = harness({ signer });
    const message = signer.sign(snsSubscriptionConfirmation());

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.confirmSubscription).toHaveBeenCalledWith(message.SubscribeURL);
    expect(h.queued).toEqual([]);
  });

  it('does not confirm a validly signed SubscriptionConfirmation of another topic', async () => {
    // Prepare
    const h = harness({ signer });
    const foreign = 'arn:aws:sns:eu-west-1:999999999999:attacker-topic';
    const message = signer.sign(
      snsSubscriptionConfirmation({
        TopicArn: foreign,
        SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${foreign}&Token=x`,
      }),
    );

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).reason).toBeUndefined();
    expect(h.logger.lines.map((l) => l.fields.reason)).toContain('topic_not_allowed');
    expect(h.confirmSubscription).not.toHaveBeenCalled();
    expect(h.fetchCertificate).not.toHaveBeenCalled();
  });

  it('does not confirm a signed confirmation whose SubscribeURL leaves the SNS host', async () => {
    // Prepare
    const h = harness({ signer });
    const message = signer.sign(
      snsSubscriptionConfirmation({
        SubscribeURL: 'https://sns.eu-west-1.amazonaws.com.evil.com/?Action=ConfirmSubscription',
      }),
    );

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(h.confirmSubscription).not.toHaveBeenCalled();
  });

  it('answers 503 when the confirmation GET fails, so SNS sends the confirmation again', async () => {
    // Prepare
    const h = harness({ signer });
    h.confirmSubscription.mockRejectedValueOnce(new Error('ECONNRESET'));

    // Act
    const response = await handleWebhook(snsRequest(signer.sign(snsSubscriptionConfirmation())), h.deps);

    // Assess
    expect(response.statusCode).toBe(503);
  });

  it('answers 503 when the signing certificate cannot be fetched', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(snsRequest(signer.sign(snsNotification('{}'))), h.deps);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(h.queued).toEqual([]);
  });

  it('rejects a Notification signed under a forged certificate URL', async () => {
    // Prepare
    const h = harness({ signer });
    const message = signer.sign(snsNotification('{}'), '2', { certUrl: 'https://sns.evil.com/cert.pem' });

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(h.fetchCertificate).not.toHaveBeenCalled();
  });

  it('fetches the certificate once across requests (cached per fetcher)', async () => {
    // Prepare
    const h = harness({ signer });
    await handleWebhook(snsRequest(signer.sign(snsNotification('{}'))), h.deps);

    // Act
    await handleWebhook(snsRequest(signer.sign(snsNotification('{"x":1}'))), h.deps);

    // Assess
    expect(h.fetchCertificate).toHaveBeenCalledTimes(1);
  });

  it('ignores an UnsubscribeConfirmation', async () => {
    // Prepare
    const h = harness({ signer });
    const message = signer.sign(snsSubscriptionConfirmation({ Type: 'UnsubscribeConfirmation' }));

    // Act
    const response = await handleWebhook(snsRequest(message), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.confirmSubscription).not.toHaveBeenCalled();
    expect(h.queued).toEqual([]);
  });
});

describe('publicRequestUrl', () => {
  it('joins WEBHOOK_PUBLIC_URL, the path and the query', () => {
    // Prepare
    const input = {
      publicUrl: 'https://hooks.example.com/',
      path: '/webhooks/twilio',
      rawQueryString: 'a=1&b=2',
      domainName: 'ignored.example',
    };

    // Act
    const url = publicRequestUrl(input);

    // Assess
    expect(url).toBe('https://hooks.example.com/webhooks/twilio?a=1&b=2');
  });

  it("falls back to https and API Gateway's domainName", () => {
    // Prepare
    const input = {
      publicUrl: undefined,
      path: '/webhooks/mandrill',
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
    };

    // Act
    const url = publicRequestUrl(input);

    // Assess
    expect(url).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/mandrill');
  });

  it('twilio: a request signed over the API Gateway URL verifies when WEBHOOK_PUBLIC_URL is unset', async () => {
    // Prepare
    const h = harness({ config: testConfig({ WEBHOOK_PUBLIC_URL: undefined }) });
    const url = 'https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/twilio';
    const req = twilioRequest({ From: '+14155550100', Body: 'stop', MessageSid: 'SM1' }, url);
    req.url = publicRequestUrl({
      publicUrl: h.deps.config.publicUrl,
      path: '/webhooks/twilio',
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
    });

    // Act
    const response = await handleWebhook(req, h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
  });
});
