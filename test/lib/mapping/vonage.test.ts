import { describe, expect, it } from 'vitest';
import { mapVonage } from '../../../lib/providers/vonage/map.js';
import { policy } from './helpers.js';

// Field names from developer.vonage.com/messaging/sms/guides/inbound-sms (form or query string: all strings).
function inbound(fields: Record<string, string>): Record<string, string> {
  return {
    msisdn: '447700900001',
    to: '447700900000',
    messageId: '0A0000000123ABCD1',
    text: 'Hello world',
    type: 'text',
    keyword: 'HELLO',
    'api-key': 'abcd1234',
    'message-timestamp': '2020-01-01 12:00:00',
    ...fields,
  };
}

function receipt(fields: Record<string, string>): Record<string, string> {
  return {
    msisdn: '447700900001',
    to: 'AcmeInc',
    'network-code': '12345',
    messageId: '0A0000001234567B',
    price: '0.03330000',
    status: 'failed',
    scts: '2001011400',
    'err-code': '9',
    'message-timestamp': '2020-01-01 12:00:00',
    ...fields,
  };
}

describe('Vonage inbound SMS', () => {
  it.each([
    ['a BOM', '\uFEFF447700900001'],
    ['a no-break space', '447700900001\u00A0'],
  ])('does not read a msisdn with %s at an end as a number', (_name, msisdn) => {
    // Prepare
    const body = inbound({ msisdn, text: 'STOP', keyword: 'STOP' });
    // Act
    const decisions = mapVonage(body, policy);
    // Assess
    expect(decisions.some((d) => d.action === 'block')).toBe(false);
  });

  it('blocks the sender, adding the + that msisdn omits', () => {
    // Prepare
    const body = inbound({ text: 'STOP', keyword: 'STOP' });

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: '+447700900001',
        reason: 'sms_opt_out',
        source: 'vonage',
        description: 'inbound SMS "STOP"',
        eventId: '0A0000000123ABCD1',
        occurredAt: '2020-01-01T12:00:00.000Z',
      },
    ]);
  });

  it('does not block "STOP please" although Vonage sets keyword STOP', () => {
    // Prepare
    const body = inbound({ text: 'STOP please', keyword: 'STOP' });

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'not_an_opt_out_keyword']]);
  });

  it('ignores ordinary text', () => {
    // Prepare
    const body = inbound({});

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['ignore']);
  });

  it('rejects an opt-out from an alphanumeric sender as invalid_contact', () => {
    // Prepare
    const body = inbound({ msisdn: 'AcmeInc', text: 'STOP' });

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: 'AcmeInc' }),
    ]);
  });

  it('applies the same rule to Messages API inbound SMS', () => {
    // Prepare
    const body = {
      channel: 'sms',
      message_type: 'text',
      from: '447700900001',
      to: '447700900000',
      text: 'stop',
      message_uuid: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
      timestamp: '2020-01-01T14:00:00Z',
    };

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: '+447700900001',
        eventId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
      }),
    ]);
  });
});

describe('Vonage delivery receipts', () => {
  it('labels err-code 9 (recipient opted out) suppressed, blocking the recipient msisdn', () => {
    // Prepare
    const body = receipt({});

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: '+447700900001',
        reason: 'suppressed',
        eventId: '0A0000001234567B',
      }),
    ]);
  });

  it('ignores a delivered receipt', () => {
    // Prepare
    const body = receipt({ status: 'delivered', 'err-code': '0' });

    // Act
    const decisions = mapVonage(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'delivery_receipt']]);
  });
});
