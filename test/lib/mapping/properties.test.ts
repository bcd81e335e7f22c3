import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseContact } from '../../../lib/contact.js';
import { type Mapper, mapAwsNative, mapQueueBody } from '../../../lib/mapping/index.js';
import { mapAwsSms } from '../../../lib/providers/aws-sms/map.js';
import { mapBrevo } from '../../../lib/providers/brevo/map.js';
import { mapEventBridge } from '../../../lib/providers/eventbridge/map.js';
import { mapGeneric } from '../../../lib/providers/generic/map.js';
import { mapMailgun } from '../../../lib/providers/mailgun/map.js';
import { mapMandrill } from '../../../lib/providers/mandrill/map.js';
import { mapPostmark } from '../../../lib/providers/postmark/map.js';
import { mapResend } from '../../../lib/providers/resend/map.js';
import { mapSendgrid } from '../../../lib/providers/sendgrid/map.js';
import { mapSes } from '../../../lib/providers/ses/map.js';
import { mapCarried } from '../../../lib/providers/queue-native.js';
import { mapSnsWith } from '../../../lib/providers/sns/map.js';

const mapSns = mapSnsWith(mapCarried);
import { mapSparkpost } from '../../../lib/providers/sparkpost/map.js';
import { mapTwilio } from '../../../lib/providers/twilio/map.js';
import { mapVonage } from '../../../lib/providers/vonage/map.js';
import { NormalisedMessageSchema } from '../../../lib/queue/message.js';
import { ReasonSchema } from '../../../lib/types.js';
import { fcRuns } from '../../helpers/fc-runs.js';
import { fixture, policy, snsEnvelope } from './helpers.js';

// 2,000 cases per mapper, a quarter of them unshaped, reach every branch the shaped arbitraries aim at within a
// few hundred; FC_RUNS=10000 (or more) is the deep run.
const RUNS = fcRuns(2_000);
const REJECT_REASONS = new Set(['invalid_contact', 'unrecognised_event', 'malformed_message', 'ambiguous_recipient']);

/**
 * The contract every mapper keeps for any input: an array of well-formed decisions. A block carries a
 * contact that normaliseContact returns unchanged and survives being re-queued as a normalised message;
 * an ignore has a snake_case reason; a reject has one of the three reject reasons.
 */
function assertWellFormed(decisions: unknown): true {
  if (!Array.isArray(decisions)) throw new Error('mapper did not return an array');
  for (const d of decisions as Array<Record<string, unknown>>) {
    if (typeof d.source !== 'string' || d.source === '')
      throw new Error(`decision without source: ${JSON.stringify(d)}`);
    switch (d.action) {
      case 'block': {
        const n = normaliseContact(d.contact);
        if (!n.ok || n.contact !== d.contact)
          throw new Error(`block contact is not normalised: ${JSON.stringify(d.contact)}`);
        if (!ReasonSchema.safeParse(d.reason).success)
          throw new Error(`block reason is not a Reason: ${String(d.reason)}`);
        const requeued = NormalisedMessageSchema.safeParse({
          contact: d.contact,
          reason: d.reason,
          source: d.source,
          description: d.description,
          eventId: d.eventId,
          occurredAt: d.occurredAt,
        });
        if (!requeued.success) throw new Error(`block would not survive re-queueing: ${requeued.error.message}`);
        break;
      }
      case 'ignore':
        if (typeof d.reason !== 'string' || !/^[a-z][a-z0-9_]*$/u.test(d.reason))
          throw new Error(`ignore reason is not snake_case: ${JSON.stringify(d.reason)}`);
        break;
      case 'reject':
        if (typeof d.reason !== 'string' || !REJECT_REASONS.has(d.reason))
          throw new Error(`unknown reject reason: ${JSON.stringify(d.reason)}`);
        break;
      default:
        throw new Error(`unknown action: ${JSON.stringify(d.action)}`);
    }
  }
  return true;
}

// Anything at all, including objects without a prototype (no toString) and bigints (JSON.stringify throws).
const anything = fc.anything({
  maxDepth: 3,
  maxKeys: 6,
  withNullPrototype: true,
  withBigInt: true,
  withSparseArray: true,
  withBoxedValues: true,
});

const contactish = fc.oneof(
  fc.constantFrom(
    'jane@example.com',
    'Jane Doe <JANE@Example.COM>',
    '+14158675309',
    '447700900001',
    '55555',
    'MyBrand',
    '',
    '  ',
    'a@b',
    'x'.repeat(600),
    'a\u0000b@example.com',
  ),
  fc.emailAddress(),
  fc.string(),
);

type Enums = Readonly<Record<string, readonly unknown[]>>;
const DROP = Symbol('drop');

/**
 * Payloads shaped like a real event: the template's keys, each independently kept, dropped, replaced by a
 * plausible value (`enums`, by key name at any depth), by a contact-like string, or by anything at all.
 */
function shapedLike(template: unknown, enums: Enums, depth = 0): fc.Arbitrary<unknown> {
  const wild = fc.anything({ maxDepth: 2, maxKeys: 4, withNullPrototype: true, withBigInt: true });
  if (Array.isArray(template)) {
    const item = template.length > 0 ? fc.oneof(...template.map((t) => shapedLike(t, enums, depth + 1))) : wild;
    return fc.oneof({ weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) }, { weight: 1, arbitrary: wild });
  }
  if (typeof template === 'object' && template !== null && depth < 6) {
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [key, value] of Object.entries(template)) {
      const plausible = enums[key];
      const kept = plausible
        ? fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(...plausible) },
            { weight: 2, arbitrary: shapedLike(value, enums, depth + 1) },
          )
        : shapedLike(value, enums, depth + 1);
      // Each key is dropped now and then, not half the time: most payloads keep the event's shape.
      model[key] = fc.oneof({ weight: 12, arbitrary: kept }, { weight: 1, arbitrary: fc.constant(DROP) });
    }
    const shaped = fc.record(model).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== DROP)));
    return fc.oneof({ weight: 10, arbitrary: shaped }, { weight: 1, arbitrary: wild });
  }
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(template) },
    { weight: 1, arbitrary: contactish },
    { weight: 1, arbitrary: wild },
  );
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '{"not":"serialisable"}';
  }
}

const SES_TEMPLATES = [
  fixture('ses/aws-docs-notification-bounce-with-dsn.json'),
  fixture('ses/aws-docs-notification-complaint-with-feedback.json'),
  fixture('ses/aws-docs-event-publishing-subscription-unsubscribe-all.json'),
  fixture('ses/aws-docs-event-publishing-deliverydelay.json'),
];
const SES_ENUMS: Enums = {
  notificationType: ['Bounce', 'Complaint', 'Delivery', 'AmazonSnsSubscriptionSucceeded', 'toString', '__proto__'],
  eventType: ['Bounce', 'Complaint', 'Subscription', 'DeliveryDelay', 'Send', 'Rendering Failure', 'constructor'],
  bounceType: ['Permanent', 'Transient', 'Undetermined', 'Other'],
  bounceSubType: ['General', 'OnAccountSuppressionList', 'MailboxFull'],
  complaintFeedbackType: ['abuse', 'not-spam', 'NOT-SPAM'],
  unsubscribeAll: [true, false, 'true'],
  subscriptionStatus: ['OptIn', 'OptOut'],
  emailAddress: ['jane@example.com', '"Jane" <jane@example.com>', 'not an address'],
  timestamp: ['2016-01-27T14:59:38.237Z', '2016-01-27 14:59:38', 'soon', 1453906778, 8.64e15, -1],
};
const sesPayload = fc.oneof(...SES_TEMPLATES.map((t) => shapedLike(t, SES_ENUMS)));

const SMS_TEMPLATE = fixture('aws-sms/aws-docs-two-way-sms-inbound-join.json');
const SMS_ENUMS: Enums = {
  messageBody: ['STOP', ' stop ', 'Stop please', 'JOIN', 'arret', ''],
  messageKeyword: ['STOP', 'JOIN', 'HELP', null],
  originationNumber: ['+14255550182', '14255550182', '12345', 'ALPHA'],
  eventType: ['TEXT_DELIVERED', 'TEXT_BLOCKED', 'Bounce'],
};
const smsPayload = shapedLike(SMS_TEMPLATE, SMS_ENUMS);

const SNS_MESSAGES = [...SES_TEMPLATES, { ...SMS_TEMPLATE, messageBody: 'STOP' }].map((m) => `${JSON.stringify(m)}\n`);
const snsPayload = fc.oneof(
  shapedLike(snsEnvelope(SES_TEMPLATES[0]), {
    Type: ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation', 'Other'],
    Message: [...SNS_MESSAGES, 'Hello from SNS!', '{"message": "hello world"}', '[1,2]', 'null'],
  }),
  shapedLike(fixture('sns/powertools-lambda-sns-event-direct.json'), {
    Message: SNS_MESSAGES,
    EventSource: ['aws:sns', 'aws:sqs'],
  }),
);

const eventBridgePayload = shapedLike(
  {
    version: '0',
    id: 'eb-1',
    'detail-type': 'Email Bounced',
    source: 'aws.ses',
    time: '2016-01-27T14:59:38Z',
    detail: { ...SES_TEMPLATES[0], eventType: 'Bounce' },
  },
  { ...SES_ENUMS, source: ['aws.ses', 'aws.ec2'], 'detail-type': ['Email Bounced', 'Email Complaint Received'] },
);

const sendgridPayload = shapedLike(fixture('sendgrid/sendgrid-nodejs-example-event-notification-all-types.json'), {
  event: [
    'bounce',
    'dropped',
    'spamreport',
    'unsubscribe',
    'group_unsubscribe',
    'group_resubscribe',
    'deferred',
    'hasOwnProperty',
  ],
  type: ['bounce', 'blocked', 'expired', 7],
  reason: ['Bounced Address', 'Unsubscribed Address', 'Spam Content', ' invalid '],
  email: ['example@test.com', 'Example <EXAMPLE@test.com>', 'nobody'],
  timestamp: [1539462305, '1539462305', 1e20, -5, 1.5],
});

const twilioPayload = shapedLike(
  {
    ...fixture<Record<string, string>>('twilio/botbuilder-inbound-sms-hello.form'),
    OptOutType: 'STOP',
    ErrorCode: '21610',
    MessageStatus: 'undelivered',
  },
  {
    Body: ['STOP', '  stop ', 'Stop please', 'START', 'Hello'],
    OptOutType: ['STOP', 'START', 'HELP', 'stop', 'OTHER'],
    From: ['+14158675309', '+571138050810', '55555', 'MyBrand', 'whatsapp:+14155238886'],
    ErrorCode: ['21610', '30003'],
    type: ['com.twilio.messaging.inbound-message.received', 'com.twilio.other'],
  },
);

const MAILGUN_ENUMS: Enums = {
  event: ['failed', 'bounced', 'dropped', 'complained', 'unsubscribed', 'delivered', 'accepted', 'valueOf'],
  severity: ['permanent', 'temporary', 'unknown'],
  recipient: ['slava@mailgun.com', 'Slava <SLAVA@mailgun.com>', 'nobody', ''],
};
const mailgunPayload = fc.oneof(
  ...[
    'mailgun/mailgun-docs-event-data-failed-permanent-suppress-bounce.json',
    'mailgun/mailgun-docs-event-data-failed-temporary.json',
    'mailgun/mailgun-docs-event-data-complained.json',
  ].map((f) =>
    fc.oneof(
      shapedLike(fixture(f), MAILGUN_ENUMS),
      shapedLike(
        { signature: { timestamp: '1', token: 't', signature: 's' }, 'event-data': fixture(f) },
        MAILGUN_ENUMS,
      ),
    ),
  ),
);

const postmarkPayload = fc.oneof(
  ...['postmark/spatie-postmark-bounce-hardbounce.json', 'postmark/spatie-postmark-spamcomplaint.json'].map((f) =>
    shapedLike(fixture(f), {
      RecordType: ['Bounce', 'SpamComplaint', 'SubscriptionChange', 'Delivery'],
      Type: ['HardBounce', 'SoftBounce', 'Unsubscribe', 'ManuallyDeactivated', 'toString'],
      TypeCode: [1, 16, 4096, '100000'],
      Email: ['john@example.com', null, ''],
      BouncedAt: ['2019-11-05T16:33:54.9070259Z', 'never'],
    }),
  ),
  shapedLike(fixture('postmark/postmarker-bounce-webhook-no-recordtype.json'), {
    Type: ['HardBounce', 'SoftBounce', 'SpamComplaint', 'SpamNotification', 'Unsubscribe'],
    TypeCode: [1, 16, 512, 4096, 100001, '100002', 7, -1],
    Email: ['john@example.com', null, ''],
  }),
  shapedLike(
    {
      RecordType: 'SubscriptionChange',
      Recipient: 'a@example.com',
      Origin: 'Recipient',
      SuppressSending: true,
      SuppressionReason: 'HardBounce',
      MessageID: null,
      ChangedAt: '2019-11-05T16:33:54Z',
    },
    {
      SuppressSending: [true, false, 'true'],
      SuppressionReason: ['HardBounce', 'SpamComplaint', 'ManualSuppression', null],
      Origin: ['Recipient', 'Customer', 'Admin'],
    },
  ),
);

const brevoPayload = shapedLike([fixture('brevo/anymail-brevo-hard-bounce.json')], {
  event: [
    'hard_bounce',
    'hardBounce',
    'soft_bounce',
    'deferred',
    'spam',
    'unsubscribed',
    'blocked',
    'invalid_email',
    'constructor',
  ],
  ts_epoch: [1520363423000, '1520363423000', 1e30],
});

const MANDRILL_EVENTS = [
  fixture('mandrill/telegraf-mandrill-hard-bounce-event.json'),
  { type: 'blacklist', action: 'add', reject: { email: 'recipient@example.com', reason: 'hard-bounce' } },
  {
    type: 'whitelist',
    action: 'add',
    entry: { email: 'recipient@example.com', detail: 'vip', created_at: '2017-01-01 16:56:20' },
  },
  {
    event: 'sync',
    type: 'blacklist',
    action: 'add',
    reject: { email: 'recipient@example.com', reason: 'custom' },
    ts: 1483289780,
  },
];
const MANDRILL_ENUMS: Enums = {
  event: ['hard_bounce', 'soft_bounce', 'spam', 'unsub', 'reject', 'send', 'sync', 'blacklist'],
  type: ['blacklist', 'whitelist', 'denylist', 'safelist', 'other'],
  action: ['add', 'remove', 'change', 'ADD', 'other'],
};
const mandrillPayload = fc.oneof(
  shapedLike(MANDRILL_EVENTS, MANDRILL_ENUMS),
  shapedLike(MANDRILL_EVENTS, MANDRILL_ENUMS).map((events) => ({ mandrill_events: safeJson(events) })),
  fc.record({ mandrill_events: fc.oneof(fc.string(), anything) }),
);

const sparkpostPayload = fc.oneof(
  shapedLike(fixture('sparkpost/anymail-sparkpost-bounce-class-10.json'), {
    type: ['bounce', 'out_of_band', 'spam_complaint', 'list_unsubscribe', 'delay', 'Weird Type'],
    bounce_class: ['10', '25', '30', '90', '21', 10],
    fbtype: ['abuse', 'not-spam'],
  }),
  fc.constant([{ msys: {} }]),
);

const resendPayload = shapedLike(fixture('resend-svix/anymail-resend-email-bounced.json'), {
  type: [
    'email.bounced',
    'email.complained',
    'email.suppressed',
    'email.delivery_delayed',
    'suppression.added',
    'contact.updated',
  ],
  to: [['Name <a@example.com>', 'b@example.com'], 'c@example.com', []],
  origin: ['bounce', 'complaint', 'manual'],
  unsubscribed: [true, false],
});

const vonagePayload = fc.oneof(
  shapedLike(
    {
      msisdn: '447700900001',
      to: '447700900000',
      messageId: 'm-1',
      text: 'STOP',
      type: 'text',
      keyword: 'STOP',
      'message-timestamp': '2020-01-01 12:00:00',
    },
    { text: ['STOP', 'stop please', 'Hello'], msisdn: ['447700900001', '+447700900001', 'AcmeInc', '123'] },
  ),
  shapedLike(
    {
      msisdn: '447700900001',
      to: 'AcmeInc',
      messageId: 'm-2',
      status: 'failed',
      scts: '2001011400',
      'err-code': '9',
      'message-timestamp': '2020-01-01 12:00:00',
    },
    { 'err-code': ['9', '09', 9, '0', 'x'] },
  ),
  shapedLike(
    { channel: 'sms', from: '447700900001', text: 'STOP', message_uuid: 'u-1' },
    { from: ['447700900001', { type: 'sms', number: '447700900001' }] },
  ),
);

const GENERIC_TEMPLATE = {
  contact: 'jane@example.com',
  reason: 'manual',
  source: 'crm',
  description: 'replied STOP',
  eventId: 'e-1',
  occurredAt: '2024-05-01T10:00:00+02:00',
};
const GENERIC_ENUMS: Enums = {
  reason: ['manual', 'hard_bounce', 'sms_opt_out', 'annoyed'],
  contact: ['jane@example.com', '+14158675309', '55555', 'x'.repeat(513)],
};
const genericPayload = fc.oneof(
  shapedLike(GENERIC_TEMPLATE, GENERIC_ENUMS),
  shapedLike([GENERIC_TEMPLATE, GENERIC_TEMPLATE], GENERIC_ENUMS),
);

const MAPPERS: Array<[string, Mapper, fc.Arbitrary<unknown>]> = [
  ['ses', mapSes, sesPayload],
  ['sns', mapSns, snsPayload],
  ['eventbridge', mapEventBridge, eventBridgePayload],
  ['aws-sms', mapAwsSms, smsPayload],
  ['sendgrid', mapSendgrid, sendgridPayload],
  ['twilio', mapTwilio, twilioPayload],
  ['mailgun', mapMailgun, mailgunPayload],
  ['postmark', mapPostmark, postmarkPayload],
  ['brevo', mapBrevo, brevoPayload],
  ['mandrill', mapMandrill, mandrillPayload],
  ['sparkpost', mapSparkpost, sparkpostPayload],
  ['resend', mapResend, resendPayload],
  ['vonage', mapVonage, vonagePayload],
  ['generic', mapGeneric, genericPayload],
  ['aws-native', mapAwsNative, fc.oneof(sesPayload, snsPayload, eventBridgePayload, smsPayload)],
];

describe('every mapper is total', () => {
  it.each(MAPPERS)(
    '%s never throws and returns well-formed decisions for anything, shaped or not',
    (_name, mapper, shaped) => {
      // Prepare
      const payloads = fc.oneof({ weight: 1, arbitrary: anything }, { weight: 3, arbitrary: shaped });

      // Act / Assess
      fc.assert(
        fc.property(payloads, (payload) => assertWellFormed(mapper(payload, policy))),
        { numRuns: RUNS },
      );
    },
  );

  it('mapQueueBody never throws for any string, JSON or not', () => {
    // Prepare
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      anything.map(safeJson),
      fc.oneof(sesPayload, snsPayload, eventBridgePayload, smsPayload, genericPayload).map(safeJson),
    );

    // Act / Assess
    fc.assert(
      fc.property(bodies, (body) => assertWellFormed(mapQueueBody(body, policy))),
      { numRuns: RUNS },
    );
  });
});

// Addresses the library accepts, unique once normalised (mappers dedupe by normalised contact).
const uniqueEmails = fc.uniqueArray(fc.emailAddress(), {
  minLength: 1,
  maxLength: 12,
  selector: (e) => (normaliseContact(e) as { contact?: string }).contact ?? e,
});
const normalised = (e: string): string => (normaliseContact(e) as { contact: string }).contact;

describe('no opt-out is lost', () => {
  it('an SES Permanent bounce with N valid recipients yields N hard_bounce blocks', () => {
    // Prepare
    const template = fixture('ses/aws-docs-notification-bounce-with-dsn.json');

    // Act / Assess
    fc.assert(
      fc.property(
        uniqueEmails,
        fc.constantFrom('General', 'NoEmail', 'Suppressed', 'OnAccountSuppressionList'),
        (emails, subType) => {
          const payload = structuredClone(template);
          payload.bounce.bounceSubType = subType;
          payload.bounce.bouncedRecipients = emails.map((emailAddress) => ({ emailAddress, status: '5.1.1' }));
          const decisions = mapSes(payload, policy);
          expect(decisions.map((d) => [d.action, d.action === 'block' ? d.contact : undefined])).toEqual(
            emails.map((e) => ['block', normalised(e)]),
          );
        },
      ),
      { numRuns: fcRuns(2_000) },
    );
  });

  it('a SendGrid batch of N opt-out events for N addresses yields N blocks', () => {
    // Prepare
    const kinds = fc.constantFrom(
      { event: 'bounce' },
      { event: 'bounce', type: 'bounce' },
      { event: 'dropped', reason: 'Bounced Address' },
      { event: 'spamreport' },
      { event: 'unsubscribe' },
    );

    // Act / Assess
    fc.assert(
      fc.property(
        uniqueEmails.chain((emails) =>
          fc.tuple(fc.constant(emails), fc.array(kinds, { minLength: emails.length, maxLength: emails.length })),
        ),
        ([emails, events]) => {
          const batch = emails.map((email, i) => ({
            email,
            timestamp: 1539462305,
            sg_event_id: `e-${i}`,
            ...events[i],
          }));
          const contacts = mapSendgrid(batch, policy).flatMap((d) => (d.action === 'block' ? [d.contact] : []));
          expect(contacts).toEqual(emails.map(normalised));
        },
      ),
      { numRuns: fcRuns(2_000) },
    );
  });

  it('a generic array of N messages yields N blocks', () => {
    // Act / Assess
    fc.assert(
      fc.property(uniqueEmails, (emails) => {
        const contacts = mapGeneric(
          emails.map((contact) => ({ contact })),
          policy,
        ).flatMap((d) => (d.action === 'block' ? [d.contact] : []));
        expect(contacts).toEqual(emails.map(normalised));
      }),
      { numRuns: fcRuns(2_000) },
    );
  });

  it('an SMS STOP from any possible number is blocked as that number in E.164', () => {
    // Prepare
    const numbers = fc.oneof(
      fc.stringMatching(/^[2-9]\d{2}[2-9]\d{6}$/u).map((n) => `+1${n}`),
      fc.stringMatching(/^7700\d{6}$/u).map((n) => `+44${n}`),
    );

    // Act / Assess
    fc.assert(
      fc.property(numbers, fc.constantFrom('STOP', ' stop', 'Unsubscribe ', 'QUIT'), (number, body) => {
        const twilio = mapTwilio({ From: number, Body: body, MessageSid: 'SM1' }, policy);
        const vonage = mapVonage({ msisdn: number.slice(1), text: body, messageId: 'm1' }, policy);
        const aws = mapAwsSms({ originationNumber: number, messageBody: body }, policy);
        for (const decisions of [twilio, vonage, aws])
          expect(decisions).toEqual([
            expect.objectContaining({ action: 'block', contact: number, reason: 'sms_opt_out' }),
          ]);
      }),
      { numRuns: fcRuns(2_000) },
    );
  });
});
