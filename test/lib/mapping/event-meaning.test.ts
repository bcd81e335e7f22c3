import { describe, expect, it } from 'vitest';
import { gateDecisions } from '../../../lib/policy/index.js';
import { mapProvider } from '../../../lib/mapping/provider.js';
import { REASONS, type Decision } from '../../../lib/types.js';
import { fixture, policy } from './helpers.js';

/**
 * Issue 9 item 14: an event blocks at once only for the recipient's own action or a permanent failure of
 * the recipient's address; sender, network, retry and reputation events never do. Mailbox-level soft
 * bounces are reported as the count-only `soft_bounce` (issue 11), which never blocks by itself.
 */
const verdicts = (decisions: readonly Decision[]) => decisions.map((d) => [d.action, d.reason]);
const ALL = new Set(REASONS);

describe('SES', () => {
  const bounce = (bounceType: string, bounceSubType: string) => {
    const n = fixture('ses/aws-docs-notification-bounce-with-dsn.json');
    n.bounce.bounceType = bounceType;
    n.bounce.bounceSubType = bounceSubType;
    return n;
  };

  it('reports Transient/MailboxFull as soft_bounce, with the sent message id as event id', () => {
    // Act
    const decisions = mapProvider('ses', bounce('Transient', 'MailboxFull'), policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'jane@example.com',
        reason: 'soft_bounce',
        eventId: fixture('ses/aws-docs-notification-bounce-with-dsn.json').mail.messageId,
      }),
    ]);
  });

  it.each(['General', 'MessageTooLarge', 'ContentRejected', 'AttachmentRejected'])(
    'does not count Transient/%s (auto-replies, sender or content)',
    (sub) => {
      expect(verdicts(mapProvider('ses', bounce('Transient', sub), policy))).toEqual([['ignore', 'transient_bounce']]);
    },
  );

  it.each(['auth-failure', 'virus'])(
    'ignores a complaint whose feedback type %s is a system report, not the recipient',
    (type) => {
      // Prepare
      const n = fixture('ses/aws-docs-notification-complaint-with-feedback.json');
      n.complaint.complaintFeedbackType = type;

      // Act
      const decisions = mapProvider('ses', n, policy);

      // Assess
      expect(verdicts(decisions)).toEqual([['ignore', 'not_a_recipient_complaint']]);
    },
  );

  it('still blocks an abuse complaint', () => {
    expect(
      verdicts(mapProvider('ses', fixture('ses/aws-docs-notification-complaint-with-feedback.json'), policy)),
    ).toEqual([['block', 'complaint']]);
  });
});

describe('SendGrid', () => {
  const event = (fields: Record<string, unknown>) => [
    {
      email: 'jane@example.com',
      timestamp: 1539462305,
      event: 'bounce',
      sg_event_id: 'e-1',
      sg_message_id: 'm-1',
      ...fields,
    },
  ];

  it.each(['Technical', 'Content', 'Reputation', 'Frequency or Volume'])(
    'ignores a bounce classified %s: it is about the sender',
    (classification) => {
      expect(
        verdicts(
          mapProvider(
            'sendgrid',
            event({
              type: 'bounce',
              bounce_classification: classification,
              reason: '550 5.7.1 blocked',
              status: '5.7.1',
            }),
            policy,
          ),
        ),
      ).toEqual([['ignore', 'not_recipient_address']]);
    },
  );

  it('ignores an unclassified bounce whose status is a policy rejection (5.7.1)', () => {
    expect(
      verdicts(
        mapProvider(
          'sendgrid',
          event({
            type: 'bounce',
            reason: '550 5.7.1 Service unavailable; client host blocked using Spamhaus',
            status: '5.7.1',
          }),
          policy,
        ),
      ),
    ).toEqual([['ignore', 'not_recipient_address']]);
  });

  it('blocks a bounce classified Invalid Address', () => {
    expect(
      verdicts(
        mapProvider(
          'sendgrid',
          event({
            type: 'bounce',
            bounce_classification: 'Invalid Address',
            reason: '550 5.1.1 no such user',
            status: '5.1.1',
          }),
          policy,
        ),
      ),
    ).toEqual([['block', 'hard_bounce']]);
  });

  it('counts a blocked (temporary) bounce of a full mailbox as soft_bounce, with sg_message_id as event id', () => {
    // Prepare
    const body = event({
      type: 'blocked',
      bounce_classification: 'Mailbox Unavailable',
      reason: '452 4.2.2 The email account that you tried to reach is over quota',
      status: '4.2.2',
    });

    // Act
    const decisions = mapProvider('sendgrid', body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'block', reason: 'soft_bounce', eventId: 'm-1' })]);
  });

  it('does not count a blocked bounce about the sender', () => {
    expect(
      verdicts(
        mapProvider(
          'sendgrid',
          event({
            type: 'blocked',
            bounce_classification: 'Reputation',
            reason: '421 4.7.0 IP not in whitelist',
            status: '4.7.0',
          }),
          policy,
        ),
      ),
    ).toEqual([['ignore', 'blocked_bounce']]);
  });
});

describe('Postmark', () => {
  const bounce = (fields: Record<string, unknown>) => ({
    ...fixture('postmark/spatie-postmark-bounce-hardbounce.json'),
    ...fields,
  });

  it('labels a bounce the account deactivated by hand manual', () => {
    expect(
      verdicts(mapProvider('postmark', bounce({ Type: 'ManuallyDeactivated', TypeCode: 100002 }), policy)),
    ).toEqual([['block', 'manual']]);
  });

  it('ignores a SpamNotification: a filter classified the message, the recipient did not complain', () => {
    expect(verdicts(mapProvider('postmark', bounce({ Type: 'SpamNotification', TypeCode: 512 }), policy))).toEqual([
      ['ignore', 'spam_notification'],
    ]);
  });

  it('counts a SoftBounce of a full mailbox as soft_bounce, with MessageID as event id', () => {
    // Act
    const decisions = mapProvider(
      'postmark',
      bounce({ Type: 'SoftBounce', TypeCode: 4096, Details: 'smtp;552 5.2.2 This mailbox is full' }),
      policy,
    );

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        reason: 'soft_bounce',
        eventId: '20130503192659.13651.20287@mg.craftremote.com',
      }),
    ]);
  });

  it('does not count a SoftBounce about the network', () => {
    expect(
      verdicts(
        mapProvider(
          'postmark',
          bounce({ Type: 'SoftBounce', TypeCode: 4096, Details: 'smtp;421 4.4.2 Connection timed out' }),
          policy,
        ),
      ),
    ).toEqual([['ignore', 'transient_bounce']]);
  });

  it('does not count an AutoResponder', () => {
    expect(
      verdicts(
        mapProvider(
          'postmark',
          bounce({ Type: 'AutoResponder', TypeCode: 64, Details: 'Out of office; mailbox full of holiday pictures' }),
          policy,
        ),
      ),
    ).toEqual([['ignore', 'not_a_hard_bounce']]);
  });

  it('labels a suppression the customer added by hand manual', () => {
    // Prepare
    const change = {
      RecordType: 'SubscriptionChange',
      MessageID: null,
      ServerID: 1,
      MessageStream: 'outbound',
      ChangedAt: '2024-01-01T00:00:00Z',
      Recipient: 'jane@example.com',
      Origin: 'Customer',
      SuppressSending: true,
      SuppressionReason: 'ManualSuppression',
    };

    // Act
    const decisions = mapProvider('postmark', change, policy);

    // Assess
    expect(verdicts(decisions)).toEqual([['block', 'manual']]);
  });
});

describe('Mandrill', () => {
  const message = (event: string, msg: Record<string, unknown>) => ({
    mandrill_events: JSON.stringify([
      { event, _id: 'id-1', ts: 1365109999, msg: { email: 'jane@example.com', _id: 'id-1', ...msg } },
    ]),
  });

  it.each(['spam_related', 'policy_related'])(
    'ignores a hard bounce classified %s: it is about the sender',
    (bounce_description) => {
      expect(
        verdicts(
          mapProvider(
            'mandrill',
            message('hard_bounce', { bounce_description, diag: '550 5.7.1 message rejected' }),
            policy,
          ),
        ),
      ).toEqual([['ignore', 'not_recipient_address']]);
    },
  );

  it('counts a soft bounce of a full mailbox as soft_bounce', () => {
    expect(
      verdicts(
        mapProvider(
          'mandrill',
          message('soft_bounce', { bounce_description: 'mailbox_full', diag: '452 4.2.2 Over quota' }),
          policy,
        ),
      ),
    ).toEqual([['block', 'soft_bounce']]);
  });

  it('does not count another soft bounce', () => {
    expect(
      verdicts(
        mapProvider(
          'mandrill',
          message('soft_bounce', { bounce_description: 'general', diag: '421 4.4.2 timeout' }),
          policy,
        ),
      ),
    ).toEqual([['ignore', 'transient_bounce']]);
  });

  it('labels a rejection-list entry the account added by hand (reason custom) manual', () => {
    // Prepare
    const sync = {
      mandrill_events: JSON.stringify([
        { type: 'blacklist', action: 'add', reject: { email: 'jane@example.com', reason: 'custom' }, ts: 1365109999 },
      ]),
    };

    // Act
    const decisions = mapProvider('mandrill', sync, policy);

    // Assess
    expect(verdicts(decisions)).toEqual([['block', 'manual']]);
  });

  it('ignores a rejection-list entry added for soft bounces: it expires, the address is not dead', () => {
    // Prepare
    const sync = {
      mandrill_events: JSON.stringify([
        {
          type: 'blacklist',
          action: 'add',
          reject: { email: 'jane@example.com', reason: 'soft-bounce' },
          ts: 1365109999,
        },
      ]),
    };

    // Act
    const decisions = mapProvider('mandrill', sync, policy);

    // Assess
    expect(verdicts(decisions)).toEqual([['ignore', 'soft_bounce_rejection']]);
  });
});

describe('Brevo', () => {
  const event = (fields: Record<string, unknown>) => ({
    ...fixture('brevo/anymail-brevo-hard-bounce.json'),
    ...fields,
  });

  it('counts a soft bounce of a full mailbox as soft_bounce, with message-id as event id', () => {
    expect(
      mapProvider('brevo', event({ event: 'soft_bounce', reason: ' RecipientError: 452 4.2.2 Mailbox full' }), policy),
    ).toEqual([
      expect.objectContaining({
        action: 'block',
        reason: 'soft_bounce',
        eventId: '<201803011158.9876543210@smtp-relay.mailin.fr>',
      }),
    ]);
  });

  it('does not count a soft bounce about the sender', () => {
    expect(
      verdicts(
        mapProvider(
          'brevo',
          event({ event: 'soft_bounce', reason: ' 421 4.7.0 Try again later, closing connection' }),
          policy,
        ),
      ),
    ).toEqual([['ignore', 'transient_bounce']]);
  });

  it('does not count a deferral, even of a full mailbox (Brevo is still retrying)', () => {
    expect(
      verdicts(mapProvider('brevo', event({ event: 'deferred', reason: '452 4.2.2 Mailbox full' }), policy)),
    ).toEqual([['ignore', 'deferred']]);
  });
});

describe('Resend', () => {
  const bounced = (bounce: Record<string, unknown>) => {
    const e = fixture('resend-svix/anymail-resend-email-bounced.json');
    e.data.bounce = bounce;
    return e;
  };

  it('counts a Transient/MailboxFull bounce as soft_bounce, with email_id as event id', () => {
    expect(
      mapProvider('resend', bounced({ type: 'Transient', subType: 'MailboxFull', message: 'mailbox full' }), policy),
    ).toEqual([
      expect.objectContaining({
        action: 'block',
        reason: 'soft_bounce',
        eventId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      }),
    ]);
  });

  it('does not count Transient/General (may be an auto-reply)', () => {
    expect(verdicts(mapProvider('resend', bounced({ type: 'Transient', subType: 'General' }), policy))).toEqual([
      ['ignore', 'transient_bounce'],
    ]);
  });

  it('labels a suppression the account added by hand manual', () => {
    // Prepare
    const added = {
      type: 'suppression.added',
      created_at: '2025-01-01T00:00:00Z',
      data: { id: 's-1', email: 'jane@example.com', origin: 'manual' },
    };

    // Act
    const decisions = mapProvider('resend', added, policy);

    // Assess
    expect(verdicts(decisions)).toEqual([['block', 'manual']]);
  });
});

describe('SparkPost complaints', () => {
  it.each(['auth-failure', 'virus'])(
    'ignores a feedback report of type %s: not the recipient complaining',
    (fbtype) => {
      // Prepare
      const body = [
        {
          msys: {
            message_event: {
              type: 'spam_complaint',
              fbtype,
              rcpt_to: 'jane@example.com',
              event_id: 'e-1',
              timestamp: '1464824548',
            },
          },
        },
      ];

      // Act
      const decisions = mapProvider('sparkpost', body, policy);

      // Assess
      expect(verdicts(decisions)).toEqual([['ignore', 'not_a_recipient_complaint']]);
    },
  );
});

describe('soft_bounce through the policy gate', () => {
  it('becomes an ignore with reason soft_bounce for every provider that reports one', () => {
    // Prepare
    const ses = fixture('ses/aws-docs-notification-bounce-with-dsn.json');
    ses.bounce.bounceType = 'Transient';
    ses.bounce.bounceSubType = 'MailboxFull';

    // Act
    const applied = gateDecisions(mapProvider('ses', ses, policy), { blockReasons: ALL });

    // Assess
    expect(verdicts(applied)).toEqual([['ignore', 'soft_bounce']]);
  });
});
