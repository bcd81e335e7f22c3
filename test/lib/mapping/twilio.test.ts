import { describe, expect, it } from 'vitest';
import { mapTwilio } from '../../../lib/providers/twilio/map.js';
import { fixture, policy } from './helpers.js';

const HELLO = 'twilio/botbuilder-inbound-sms-hello.form';

function inbound(fields: Record<string, string>): Record<string, string> {
  return { ...fixture<Record<string, string>>(HELLO), From: '+14158675309', ...fields };
}

describe('Twilio inbound SMS', () => {
  it('ignores the form-encoded "Hello" sample', () => {
    // Prepare
    const form = fixture(HELLO);

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        reason: 'not_an_opt_out_keyword',
        source: 'twilio',
        eventId: 'SMa56324aa4a31735561b7205472192d68',
      },
    ]);
  });

  it('blocks the sender when the body is "  stop " (trimmed, case-insensitive)', () => {
    // Prepare
    const form = inbound({ Body: '  stop ' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: '+14158675309',
        reason: 'sms_opt_out',
        source: 'twilio',
        description: 'inbound SMS "STOP"',
        eventId: 'SMa56324aa4a31735561b7205472192d68',
      },
    ]);
  });

  it('does not block "Stop please": the whole body must be the keyword', () => {
    // Prepare
    const form = inbound({ Body: 'Stop please' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'not_an_opt_out_keyword']]);
  });

  it('blocks on OptOutType STOP whatever the body says', () => {
    // Prepare
    const form = inbound({ Body: 'please remove me from this list', OptOutType: 'STOP' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['block', 'sms_opt_out']]);
  });

  it('never blocks on OptOutType START, even when the body is a keyword', () => {
    // Prepare
    const form = inbound({ Body: 'STOP', OptOutType: 'START' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'sms_opt_in']]);
  });

  it('never blocks on OptOutType HELP', () => {
    // Prepare
    const form = inbound({ Body: 'HELP', OptOutType: 'HELP' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'sms_help']]);
  });

  it('rejects a STOP from a short code as invalid_contact', () => {
    // Prepare
    const form = inbound({ Body: 'STOP', From: '55555' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: '55555' }),
    ]);
  });

  it('rejects a STOP from an alphanumeric sender ID as invalid_contact', () => {
    // Prepare
    const form = inbound({ Body: 'STOP', From: 'MyBrand' });

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: 'MyBrand' }),
    ]);
  });
});

describe('Twilio status callbacks', () => {
  it('labels error 21610 (recipient unsubscribed) suppressed, blocking the recipient To', () => {
    // Prepare
    const form = {
      MessageSid: 'SM1',
      MessageStatus: 'undelivered',
      ErrorCode: '21610',
      To: '+14158675310',
      From: '+15005550006',
    };

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'block', contact: '+14158675310', reason: 'suppressed', eventId: 'SM1' }),
    ]);
  });

  it('ignores an ordinary delivery status', () => {
    // Prepare
    const form = { MessageSid: 'SM1', MessageStatus: 'delivered', To: '+14158675310' };

    // Act
    const decisions = mapTwilio(form, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'status_callback']]);
  });
});

describe('Twilio Event Streams', () => {
  it('applies the keyword rule to inbound-message.received', () => {
    // Prepare
    const event = {
      specversion: '1.0',
      type: 'com.twilio.messaging.inbound-message.received',
      id: 'EZ1',
      data: { from: '+14158675309', body: 'Stop', messageSid: 'SM9' },
    };

    // Act
    const decisions = mapTwilio([event], policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'block', contact: '+14158675309', reason: 'sms_opt_out', eventId: 'SM9' }),
    ]);
  });
});
