import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_BLOCK_REASONS } from '../../../lib/config.js';
import { compileNeverBlock } from '../../../lib/sources/never-block.js';
import { REASONS } from '../../../lib/types.js';
import { applyBlockReasons, mapAwsNative, mapQueueBody } from '../../../lib/sources/index.js';
import { detectSource, mapProvider, PROVIDERS } from '../../../lib/sources/provider.js';
import type { Decision } from '../../../lib/types.js';
import { blocks, fixture, policy, snsEnvelope } from './helpers.js';

const SES_BOUNCE = 'ses/aws-docs-notification-bounce-with-dsn.json';

describe('mapQueueBody', () => {
  it('blocks a normalised message with source queue and reason manual by default', () => {
    // Prepare
    const body = JSON.stringify({ contact: 'jane@example.com' });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([{ action: 'block', contact: 'jane@example.com', reason: 'manual', source: 'queue' }]);
  });

  it('keeps the source a re-queued message already names', () => {
    // Prepare
    const body = JSON.stringify({ contact: 'jane@example.com', reason: 'hard_bounce', source: 'ses', eventId: 'f-1' });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'block', contact: 'jane@example.com', reason: 'hard_bounce', source: 'ses', eventId: 'f-1' },
    ]);
  });

  it('rejects a normalised message with a bad field as malformed_message', () => {
    // Prepare
    const body = JSON.stringify({ contact: 'jane@example.com', occurredAt: 'yesterday' });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'malformed_message', source: 'queue' }),
    ]);
  });

  it('rejects a body that is not JSON as unrecognised_event', () => {
    // Prepare
    const body = 'contact=jane@example.com';

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'reject', reason: 'unrecognised_event', source: 'queue', detail: 'the message body is not JSON' },
    ]);
  });

  it('maps a raw-delivery SES body', () => {
    // Prepare
    const body = JSON.stringify(fixture(SES_BOUNCE));

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it('maps an SNS-wrapped SES body', () => {
    // Prepare
    const body = JSON.stringify(snsEnvelope(fixture(SES_BOUNCE)));

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it('ignores an SNS SubscriptionConfirmation body', () => {
    // Prepare
    const body = JSON.stringify(
      snsEnvelope('confirm', {
        Type: 'SubscriptionConfirmation',
        Token: 't',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
      }),
    );

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'subscription_confirmation']]);
  });

  it('maps an AWS SMS inbound STOP body', () => {
    // Prepare
    const body = JSON.stringify({
      ...fixture('aws-sms/aws-docs-two-way-sms-inbound-join.json'),
      messageKeyword: 'STOP',
      messageBody: 'stop',
    });

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: '+14255550182', reason: 'sms_opt_out' }]);
  });

  it('rejects a provider webhook body that was put on the queue unmapped', () => {
    // Prepare
    const body = JSON.stringify(fixture('sendgrid/sendgrid-nodejs-example-event-notification-all-types.json'));

    // Act
    const decisions = mapQueueBody(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});

describe('mapAwsNative', () => {
  it('maps an EventBridge-wrapped SES bounce', () => {
    // Prepare
    const payload = {
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      id: 'eb-1',
      detail: { ...fixture(SES_BOUNCE), eventType: 'Bounce' },
    };

    // Act
    const decisions = mapAwsNative(payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'jane@example.com', reason: 'hard_bounce' }]);
  });

  it('rejects anything that is not an AWS payload as unrecognised_event', () => {
    // Prepare
    const payload = { hello: 'world' };

    // Act
    const decisions = mapAwsNative(payload, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});

describe('mapProvider', () => {
  it('maps with the named provider', () => {
    // Prepare
    const payload = fixture('postmark/spatie-postmark-spamcomplaint.json');

    // Act
    const decisions = mapProvider('postmark', payload, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'john@example.com', reason: 'complaint' }]);
  });

  it('rejects a payload given to the wrong provider instead of guessing', () => {
    // Prepare
    const payload = fixture('postmark/spatie-postmark-spamcomplaint.json');

    // Act
    const decisions = mapProvider('sendgrid', payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'unrecognised_event', source: 'sendgrid' }),
    ]);
  });

  it('lists the thirteen webhook providers plus the AWS sources', () => {
    // Assess
    expect([...PROVIDERS].sort()).toEqual([
      'aws-sms',
      'brevo',
      'generic',
      'mailgun',
      'mandrill',
      'postmark',
      'resend',
      'sendgrid',
      'ses',
      'sns',
      'sparkpost',
      'twilio',
      'vonage',
    ]);
  });
});

describe('detectSource', () => {
  it.each([
    [{ Type: 'Notification', MessageId: 'm', Message: '{}' }, 'sns'],
    [{ 'detail-type': 'Email Bounced', source: 'aws.ses', detail: {} }, 'eventbridge'],
    [{ notificationType: 'Bounce', mail: {} }, 'ses'],
    [{ originationNumber: '+14255550182', messageBody: 'STOP' }, 'aws-sms'],
    [[{ email: 'a@example.com', event: 'bounce', sg_event_id: 'x' }], 'sendgrid'],
    [{ From: '+14158675309', Body: 'STOP', AccountSid: 'AC1' }, 'twilio'],
    [{ signature: {}, 'event-data': {} }, 'mailgun'],
    [{ event: 'failed', recipient: 'a@example.com', id: 'x' }, 'mailgun'],
    [{ RecordType: 'Bounce' }, 'postmark'],
    [{ event: 'hard_bounce', email: 'a@example.com', 'message-id': '<x>' }, 'brevo'],
    [{ mandrill_events: '[]' }, 'mandrill'],
    [[{ event: 'hard_bounce', msg: { email: 'a@example.com' } }], 'mandrill'],
    [[{ msys: {} }], 'sparkpost'],
    [{ type: 'email.bounced', data: {} }, 'resend'],
    [{ msisdn: '447700900001', text: 'STOP' }, 'vonage'],
    [{ contact: 'a@example.com' }, 'generic'],
  ])('recognises %j as %s', (payload, source) => {
    // Act
    const detected = detectSource(payload);

    // Assess
    expect(detected).toBe(source);
  });

  it.each([[{ hello: 'world' }], [[]], ['text'], [42], [null]])('recognises nothing in %j', (payload) => {
    // Act
    const detected = detectSource(payload);

    // Assess
    expect(detected).toBeUndefined();
  });
});

describe('applyBlockReasons', () => {
  const decisions: Decision[] = [
    { action: 'block', contact: 'a@example.com', reason: 'group_unsubscribe', source: 'sendgrid', eventId: 'e-1' },
    { action: 'block', contact: 'b@example.com', reason: 'hard_bounce', source: 'sendgrid' },
    { action: 'ignore', reason: 'delivered', source: 'sendgrid' },
  ];

  it('turns a block whose reason is not enabled into an ignore carrying that reason', () => {
    // Act
    const applied = applyBlockReasons(decisions, new Set(['hard_bounce']));

    // Assess
    expect(applied).toEqual([
      {
        action: 'ignore',
        reason: 'group_unsubscribe',
        source: 'sendgrid',
        detail: 'reason not in BLOCK_REASONS',
        eventId: 'e-1',
      },
      decisions[1],
      decisions[2],
    ]);
  });

  it('leaves every decision alone when all reasons are enabled', () => {
    // Act
    const applied = applyBlockReasons(decisions, new Set(['hard_bounce', 'group_unsubscribe']));

    // Assess
    expect(applied).toEqual(decisions);
  });
});

describe('applyBlockReasons: soft_bounce is count-only', () => {
  const softBounce: Decision = {
    action: 'block',
    contact: 'jane@example.com',
    reason: 'soft_bounce',
    source: 'ses',
    eventId: 'm-1',
  };

  it('turns a soft_bounce into an ignore with reason soft_bounce', () => {
    // Act
    const applied = applyBlockReasons([softBounce], new Set(['hard_bounce']));

    // Assess
    expect(applied).toEqual([
      {
        action: 'ignore',
        reason: 'soft_bounce',
        source: 'ses',
        detail: expect.stringContaining('SOFT_BOUNCE_POLICY'),
        eventId: 'm-1',
      },
    ]);
  });

  it('never lets a soft_bounce block, even when the reason set contains it', () => {
    // Act
    const applied = applyBlockReasons([softBounce], new Set(REASONS));

    // Assess
    expect(applied.map((d) => [d.action, d.reason])).toEqual([['ignore', 'soft_bounce']]);
  });

  it('does not put soft_bounce in the default BLOCK_REASONS', () => {
    expect(DEFAULT_BLOCK_REASONS).not.toContain('soft_bounce');
  });
});

describe('applyBlockReasons: NEVER_BLOCK (issue 9 item 15)', () => {
  const neverBlock = compileNeverBlock(['Seed@Example.COM', '*@Company.example', '+1 415 555 0100']);
  const policyWith = { blockReasons: new Set(REASONS), neverBlock };
  const blockOf = (contact: string, reason: Decision['reason'] = 'unsubscribe'): Decision => ({
    action: 'block',
    contact,
    reason: reason as never,
    source: 'sendgrid',
    eventId: 'e-9',
  });

  it('ignores an exact contact with reason never_block, whatever the event says', () => {
    // Act
    const applied = applyBlockReasons([blockOf('seed@example.com', 'complaint')], policyWith);

    // Assess
    expect(applied).toEqual([
      {
        action: 'ignore',
        reason: 'never_block',
        source: 'sendgrid',
        detail: 'NEVER_BLOCK matches s***@e***.com',
        eventId: 'e-9',
      },
    ]);
  });

  it('ignores every address of a *@domain pattern', () => {
    expect(applyBlockReasons([blockOf('anyone@company.example')], policyWith).map((d) => d.reason)).toEqual([
      'never_block',
    ]);
  });

  it('does not treat a subdomain or a look-alike domain as the pattern domain', () => {
    // Act
    const applied = applyBlockReasons(
      [blockOf('a@mail.company.example'), blockOf('a@company.example.evil.test'), blockOf('a@xcompany.example')],
      policyWith,
    );

    // Assess
    expect(applied.map((d) => d.action)).toEqual(['block', 'block', 'block']);
  });

  it('matches a phone number written differently in NEVER_BLOCK (E.164 on both sides)', () => {
    expect(applyBlockReasons([blockOf('+14155550100', 'sms_opt_out')], policyWith).map((d) => d.reason)).toEqual([
      'never_block',
    ]);
  });

  it('matches an internationalised domain given in either Unicode or punycode', () => {
    // Prepare
    const list = compileNeverBlock(['*@bücher.example']);

    // Act
    const applied = applyBlockReasons([blockOf('jane@xn--bcher-kva.example'), blockOf('jane@BÜCHER.example')], {
      blockReasons: new Set(REASONS),
      neverBlock: list,
    });

    // Assess
    expect(applied.map((d) => d.reason)).toEqual(['never_block', 'never_block']);
  });

  it('wins over soft_bounce and over reasons outside BLOCK_REASONS', () => {
    // Act
    const applied = applyBlockReasons(
      [blockOf('seed@example.com', 'soft_bounce'), blockOf('seed@example.com', 'group_unsubscribe')],
      { blockReasons: new Set(['hard_bounce']), neverBlock },
    );

    // Assess
    expect(applied.map((d) => d.reason)).toEqual(['never_block', 'never_block']);
  });

  it('leaves other contacts, ignores and rejects alone', () => {
    // Prepare
    const decisions: Decision[] = [
      blockOf('jane@example.com'),
      { action: 'ignore', reason: 'delivered', source: 'sendgrid' },
      { action: 'reject', reason: 'invalid_contact', source: 'sendgrid', contact: 'seed@example.com x' },
    ];

    // Act
    const applied = applyBlockReasons(decisions, policyWith);

    // Assess
    expect(applied).toEqual(decisions);
  });

  it('reports entries that are neither a contact nor *@domain without echoing them', () => {
    // Act
    const compiled = compileNeverBlock(['ok@example.com', 'John Smith', '*@', '*@*.example.com']);

    // Assess
    expect(compiled.invalid).toEqual([2, 3, 4]);
  });

  it('never blocks a contact in the list, however the provider wrote it (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'Seed@example.com',
          'SEED@EXAMPLE.COM',
          ' seed@example.com',
          '"Seed" <seed@Example.com>',
          'x@COMPANY.example',
          'y@company.example.',
        ),
        (raw) => {
          const decisions = mapProvider('sendgrid', [{ event: 'unsubscribe', email: raw, sg_event_id: 'e' }], policy);
          return applyBlockReasons(decisions, policyWith).every((d) => d.action !== 'block');
        },
      ),
    );
  });
});
