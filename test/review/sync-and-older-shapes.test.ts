import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mapMailgun } from '../../lib/providers/mailgun/map.js';
import { mapMandrill } from '../../lib/providers/mandrill/map.js';
import { mapPostmark } from '../../lib/providers/postmark/map.js';
import { detectSource } from '../../lib/mapping/provider.js';
import type { Decision } from '../../lib/types.js';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { fixture, policy } from '../lib/mapping/helpers.js';
import { fixtureBytes } from '../lib/webhook/fixtures.js';
import {
  basicRequest,
  harness,
  mandrillRequest,
  NOW_S,
  queuedMessages,
  request,
  SECRETS,
} from '../lib/webhook/harness.js';

/**
 * Issue 19 item 6: shapes the providers send (or sent) that were dead-lettered as unrecognised or, worse,
 * silently ignored: Mandrill sync events with a safelist `entry` or an `event: "sync"`, Postmark bounces
 * from before `RecordType`, and legacy Mailgun drops whose code says the address does not exist.
 */

const actions = (decisions: readonly Decision[]) =>
  decisions.map((d) => [d.action, d.reason, d.action === 'block' ? d.contact : undefined]);

describe('Mandrill sync events, every shape', () => {
  it('ignores a safelist (whitelist) change whose entry is under "entry", with a reason', () => {
    // Act
    const decisions = mapMandrill(
      [
        {
          type: 'whitelist',
          action: 'add',
          entry: { email: 'vip@example.com', detail: 'VIP', created_at: '2017-01-01 16:56:20' },
          ts: 1483289780,
        },
      ],
      policy,
    );

    // Assess
    expect(actions(decisions)).toEqual([['ignore', 'whitelist', undefined]]);
  });

  it('blocks a denylist addition that carries event "sync"', () => {
    // Act
    const decisions = mapMandrill(
      [
        {
          event: 'sync',
          type: 'blacklist',
          action: 'add',
          reject: { email: 'Bounced@Example.com', reason: 'hard-bounce' },
          ts: 1483289780,
        },
      ],
      policy,
    );

    // Assess
    expect(actions(decisions)).toEqual([['block', 'suppressed', 'bounced@example.com']]);
  });

  it.each([
    [{ type: 'denylist', action: 'add' }, [['block', 'suppressed', 'x@example.com']]],
    [{ type: 'blacklist', action: 'change' }, [['block', 'suppressed', 'x@example.com']]],
    [{ event: 'blacklist', action: 'add' }, [['block', 'suppressed', 'x@example.com']]],
    [{ type: 'blacklist', action: 'remove' }, [['ignore', 'blacklist_removed', undefined]]],
    [{ type: 'safelist', action: 'remove' }, [['ignore', 'whitelist', undefined]]],
  ])("decides %j from Mandrill's sync event documentation", (shape, expected) => {
    // Act
    const decisions = mapMandrill([{ ...shape, reject: { email: 'x@example.com', reason: 'spam' } }], policy);

    // Assess
    expect(actions(decisions)).toEqual(expected);
  });

  it.each([
    [{ type: 'blacklist', action: 'expire' }],
    [{ type: 'blacklist' }],
    [{ event: 'sync' }],
    [{ type: 'greylist', action: 'add' }],
  ])('dead-letters a sync event it cannot read (%j) instead of dropping a possible addition', (shape) => {
    // Act
    const decisions = mapMandrill([{ ...shape, reject: { email: 'x@example.com', reason: 'hard-bounce' } }], policy);

    // Assess
    expect(actions(decisions)).toEqual([['reject', 'unrecognised_event', undefined]]);
  });

  it('is auto-detected as Mandrill in each shape', () => {
    // Act / Assess
    for (const event of [
      { type: 'whitelist', action: 'add', entry: { email: 'vip@example.com' } },
      { event: 'sync', type: 'blacklist', action: 'add', reject: { email: 'x@example.com' } },
      { type: 'denylist', action: 'remove', reject: { email: 'x@example.com' } },
    ]) {
      expect(detectSource([event])).toBe('mandrill');
    }
  });

  it('queues a signed sync post: the denylist addition, not the safelist change', async () => {
    // Prepare
    const h = harness();
    const events = [
      {
        type: 'whitelist',
        action: 'add',
        entry: { email: 'vip@example.com', detail: 'VIP', created_at: '2017-01-01 16:56:20' },
        ts: 1483289780,
      },
      {
        event: 'sync',
        type: 'blacklist',
        action: 'add',
        reject: { email: 'bounced@example.com', reason: 'hard-bounce' },
        ts: 1483289780,
      },
    ];

    // Act
    const response = await handleWebhook(mandrillRequest(events), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued).map((m) => m.body)).toEqual([
      expect.objectContaining({ contact: 'bounced@example.com', reason: 'suppressed', source: 'mandrill' }),
    ]);
    expect(h.deadLetters).toEqual([]);
  });
});

describe('Postmark bounces without RecordType (the older webhook)', () => {
  it('blocks TypeCode 1 (HardBounce) as hard_bounce', () => {
    // Act
    const decisions = mapPostmark(fixture('postmark/postmarker-bounce-webhook-no-recordtype.json'), policy);

    // Assess
    expect(actions(decisions)).toEqual([['block', 'hard_bounce', 'john@example.com']]);
  });

  it.each([
    [4096, 'SoftBounce'],
    [2, 'Transient'],
    [64, 'AutoResponder'],
    [512, 'SpamNotification'],
    [100006, 'Blocked'],
  ])('does not block TypeCode %s (%s)', (TypeCode, Type) => {
    // Act
    const decisions = mapPostmark(
      { ...fixture<Record<string, unknown>>('postmark/postmarker-bounce-webhook-no-recordtype.json'), TypeCode, Type },
      policy,
    );

    // Assess
    expect(decisions.filter((d) => d.action !== 'ignore')).toEqual([]);
  });

  it.each([
    [16, 'Unsubscribe', 'unsubscribe'],
    [100000, 'BadEmailAddress', 'hard_bounce'],
    [100001, 'SpamComplaint', 'complaint'],
    [512, 'SpamComplaint', 'complaint'],
    [100002, 'ManuallyDeactivated', 'manual'],
  ])('blocks TypeCode %s (%s) as %s', (TypeCode, Type, reason) => {
    // Act
    const decisions = mapPostmark(
      { ...fixture<Record<string, unknown>>('postmark/postmarker-bounce-webhook-no-recordtype.json'), TypeCode, Type },
      policy,
    );

    // Assess
    expect(actions(decisions)).toEqual([['block', reason, 'john@example.com']]);
  });

  it('decides on TypeCode alone when Type is missing', () => {
    // Prepare
    const { Type: _type, ...payload } = fixture('postmark/postmarker-bounce-webhook-no-recordtype.json');

    // Act
    const decisions = mapPostmark({ ...payload, TypeCode: 4096 }, policy);

    // Assess
    expect(actions(decisions)).toEqual([['ignore', 'transient_bounce', undefined]]);
  });

  it('dead-letters a Type that names another type than its TypeCode', () => {
    // Act
    const decisions = mapPostmark(
      {
        ...fixture<Record<string, unknown>>('postmark/postmarker-bounce-webhook-no-recordtype.json'),
        Type: 'HardBounce',
        TypeCode: 4096,
      },
      policy,
    );

    // Assess
    expect(actions(decisions)).toEqual([['reject', 'unrecognised_event', undefined]]);
  });

  it('queues a Basic-authenticated older bounce through the ingress', async () => {
    // Prepare
    const h = harness();

    // Act
    const response = await handleWebhook(
      basicRequest('postmark', fixture('postmark/postmarker-bounce-webhook-no-recordtype.json')),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued).map((m) => m.body)).toEqual([
      expect.objectContaining({ contact: 'john@example.com', reason: 'hard_bounce', source: 'postmark' }),
    ]);
  });
});

describe('legacy Mailgun dropped posts whose code is a permanent recipient-address failure', () => {
  const legacy = (fields: Record<string, string>) => ({
    event: 'dropped',
    recipient: 'gone@example.com',
    timestamp: '1403645220',
    token: 't',
    signature: 's',
    'Message-Id': '<m@example.com>',
    ...fields,
  });

  it.each([
    [{ reason: 'maxfails', code: '5.1.1', description: 'smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' }],
    [{ reason: 'old', code: '5.1.1', description: '' }],
    [
      {
        reason: 'hardfail',
        code: '550',
        description: '550 5.1.1 The email account that you tried to reach does not exist.',
      },
    ],
    [{ code: '5.1.10', description: 'null MX' }],
  ])('blocks %j as hard_bounce', (fields) => {
    // Act
    const decisions = mapMailgun(legacy(fields), policy);

    // Assess
    expect(actions(decisions)).toEqual([['block', 'hard_bounce', 'gone@example.com']]);
  });

  it.each([
    [
      { reason: 'old', code: '499', description: 'Unable to connect to MX servers: [example.com]' },
      'retry_limit_reached',
    ],
    [{ reason: 'maxfails', code: '5.2.2', description: 'mailbox full' }, 'retry_limit_reached'],
    [{ reason: 'maxfails', code: '5.7.1', description: 'blocked by policy' }, 'retry_limit_reached'],
  ])('keeps other codes on their drop reason: %j', (fields, reason) => {
    // Act
    const decisions = mapMailgun(legacy(fields), policy);

    // Assess
    expect(actions(decisions)).toEqual([['ignore', reason, undefined]]);
  });

  it('blocks a legacy bounced post whose only code is 5.1.1', () => {
    // Act
    const decisions = mapMailgun({ event: 'bounced', recipient: 'gone@example.com', code: '5.1.1' }, policy);

    // Assess
    expect(actions(decisions)).toEqual([['block', 'hard_bounce', 'gone@example.com']]);
  });

  it('queues the signed form-encoded legacy post through the ingress', async () => {
    // Prepare: the fixture's form fields, signed now (Mailgun signs timestamp + token).
    const h = harness();
    const form = new URLSearchParams(fixtureBytes('mailgun/constructed-legacy-dropped-5.1.1.form').toString('utf8'));
    const token = 'legacy-dropped-5-1-1-token';
    form.set('timestamp', NOW_S);
    form.set('token', token);
    form.set(
      'signature',
      createHmac('sha256', SECRETS.MAILGUN_WEBHOOK_SIGNING_KEY)
        .update(NOW_S + token)
        .digest('hex'),
    );

    // Act
    const response = await handleWebhook(
      request('mailgun', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' }),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(queuedMessages(h.queued).map((m) => m.body)).toEqual([
      expect.objectContaining({ contact: 'gone@example.com', reason: 'hard_bounce', source: 'mailgun' }),
    ]);
  });
});
