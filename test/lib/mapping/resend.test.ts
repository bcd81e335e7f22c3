import { describe, expect, it } from 'vitest';
import { mapResend } from '../../../lib/providers/resend/map.js';
import { blocks, fixture, policy } from './helpers.js';

const BOUNCED = 'resend-svix/anymail-resend-email-bounced.json';

describe('Resend email events', () => {
  it('blocks the bounced recipient with the email id and event time', () => {
    // Prepare
    const body = fixture(BOUNCED);

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'bounced@resend.dev',
        reason: 'hard_bounce',
        source: 'resend',
        eventId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        occurredAt: '2023-10-02T18:11:26.101Z',
      }),
    ]);
  });

  it('blocks a single "Name <addr>" recipient by its address', () => {
    // Prepare
    const body = fixture(BOUNCED);
    body.data.to = ['Recipient <To@Example.org>'];

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'to@example.org', reason: 'hard_bounce' }]);
  });

  it('dead-letters a bounce on a message to several even when its SMTP reply names one of them', () => {
    // Prepare: data.to lists the whole message's recipients; the reply is the receiving server's text.
    const body = fixture(BOUNCED);
    body.data.to = ['Recipient <To@Example.org>', 'to2@example.org'];
    body.data.bounce = {
      type: 'Permanent',
      subType: 'General',
      message: '550 5.1.1 <to2@example.org>: Recipient address rejected: User unknown',
    };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient', eventId: body.data.email_id }),
    ]);
  });

  it('dead-letters a bounce on a message to several that names none of them as ambiguous_recipient', () => {
    // Prepare
    const body = fixture(BOUNCED);
    body.data.to = ['Recipient <To@Example.org>', 'to2@example.org'];
    body.data.bounce = {
      type: 'Permanent',
      subType: 'General',
      message: 'The recipient mail server rejected the message',
    };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient' })]);
  });

  it('dead-letters email.complained on a message to several as ambiguous_recipient', () => {
    // Prepare
    const body = { ...fixture(BOUNCED), type: 'email.complained' };
    body.data.to = ['Recipient <To@Example.org>', 'to2@example.org'];

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient', eventId: body.data.email_id }),
    ]);
  });

  it('dead-letters email.suppressed on a message to several as ambiguous_recipient', () => {
    // Prepare
    const body = {
      type: 'email.suppressed',
      created_at: '2025-01-01T00:00:00.000Z',
      data: {
        email_id: 'e1',
        to: ['a@example.org', 'b@example.org'],
        suppressed: { type: 'OnAccountSuppressionList', message: 'on the suppression list' },
      },
    };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient' })]);
  });

  it('does not block a bounce that Resend types Transient', () => {
    // Prepare
    const body = fixture(BOUNCED);
    body.data.bounce = { type: 'Transient', subType: 'MessageTooLarge', message: 'too large' };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'transient_bounce']]);
  });

  it('blocks a bounce typed Permanent/Suppressed as hard_bounce', () => {
    // Prepare
    const body = fixture(BOUNCED);
    body.data.bounce = { type: 'Permanent', subType: 'Suppressed', message: 'on the suppression list' };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounced@resend.dev', reason: 'hard_bounce' }]);
  });

  it('blocks email.complained as complaint', () => {
    // Prepare
    const body = { ...fixture(BOUNCED), type: 'email.complained' };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounced@resend.dev', reason: 'complaint' }]);
  });

  it('labels email.suppressed suppressed', () => {
    // Prepare
    const body = { ...fixture(BOUNCED), type: 'email.suppressed' };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounced@resend.dev', reason: 'suppressed' }]);
  });

  it.each([
    ['email.delivery_delayed', 'delivery_delayed'],
    ['email.delivered', 'delivered'],
    ['email.opened', 'opened'],
    ['email.clicked', 'clicked'],
    ['email.sent', 'sent'],
  ])('ignores %s', (type, reason) => {
    // Prepare
    const body = { ...fixture(BOUNCED), type };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', reason]]);
  });

  it('dead-letters a bounce without any recipient', () => {
    // Prepare
    const body = fixture(BOUNCED);
    body.data.to = [];

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'invalid_contact' })]);
  });
});

describe('Resend contact and suppression events', () => {
  it('blocks contact.updated with unsubscribed true as unsubscribe', () => {
    // Prepare
    const body = {
      type: 'contact.updated',
      created_at: '2024-11-17T19:32:22.980Z',
      data: { id: 'c-1', audience_id: 'a-1', email: 'steve.wozniak@gmail.com', unsubscribed: true },
    };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'steve.wozniak@gmail.com',
        reason: 'unsubscribe',
        eventId: 'c-1',
      }),
    ]);
  });

  it('ignores contact.updated without unsubscribed true', () => {
    // Prepare
    const body = {
      type: 'contact.updated',
      data: { id: 'c-1', email: 'steve.wozniak@gmail.com', unsubscribed: false },
    };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'contact_subscribed']]);
  });

  it.each([
    ['bounce', 'hard_bounce'],
    ['complaint', 'complaint'],
    ['manual', 'manual'],
    ['unknown-origin', 'suppressed'],
  ])('labels suppression.added with origin %s as %s', (origin, reason) => {
    // Prepare
    const body = { type: 'suppression.added', data: { id: 's-1', email: 'x@example.com', origin, source_id: null } };

    // Act
    const decisions = mapResend(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'x@example.com', reason }]);
  });
});
