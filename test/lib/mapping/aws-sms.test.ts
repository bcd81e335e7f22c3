import { describe, expect, it } from 'vitest';
import { mapAwsSms } from '../../../lib/providers/aws-sms/map.js';
import { fixture, policy } from './helpers.js';

const INBOUND = 'aws-sms/aws-docs-two-way-sms-inbound-join.json';

describe('AWS End User Messaging inbound SMS', () => {
  it('ignores the JOIN keyword of the AWS example', () => {
    // Prepare
    const message = fixture(INBOUND);

    // Act
    const decisions = mapAwsSms(message, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        reason: 'not_an_opt_out_keyword',
        source: 'aws-sms',
        detail: 'keyword: JOIN',
        eventId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
      },
    ]);
  });

  it('blocks the origination number when the whole body is STOP', () => {
    // Prepare
    const message = fixture(INBOUND);
    message.messageKeyword = undefined;
    message.messageBody = 'STOP';

    // Act
    const decisions = mapAwsSms(message, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: '+14255550182',
        reason: 'sms_opt_out',
        source: 'aws-sms',
        description: 'inbound SMS "STOP" to +12125550101',
        eventId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
      },
    ]);
  });

  it('matches the body case-insensitively after trimming', () => {
    // Prepare
    const message = fixture(INBOUND);
    message.messageKeyword = 'JOIN';
    message.messageBody = '  unsubscribe \n';

    // Act
    const decisions = mapAwsSms(message, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['block', 'sms_opt_out']]);
  });

  it('blocks when AWS reports the matched keyword as an opt-out keyword', () => {
    // Prepare
    const message = fixture(INBOUND);
    message.messageKeyword = 'STOP';
    message.messageBody = 'Stop';

    // Act
    const decisions = mapAwsSms(message, policy);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['block']);
  });

  it('does not block a sentence that merely starts with STOP', () => {
    // Prepare
    const message = fixture(INBOUND);
    message.messageKeyword = undefined;
    message.messageBody = 'STOP sending me these';

    // Act
    const decisions = mapAwsSms(message, policy);

    // Assess
    expect(decisions.map((d) => d.reason)).toEqual(['not_an_opt_out_keyword']);
  });

  it('follows SMS_OPT_OUT_KEYWORDS rather than a built-in list', () => {
    // Prepare
    const message = fixture(INBOUND);
    message.messageBody = 'HALT';

    // Act
    const decisions = mapAwsSms(message, { smsOptOutKeywords: new Set(['HALT']) });

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['block']);
  });

  it('rejects a STOP from a short code as invalid_contact', () => {
    // Prepare
    const message = fixture(INBOUND);
    message.originationNumber = '12345';
    message.messageBody = 'STOP';

    // Act
    const decisions = mapAwsSms(message, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: '12345' }),
    ]);
  });

  it('ignores delivery events of the same service', () => {
    // Prepare
    const event = {
      eventType: 'TEXT_DELIVERED',
      eventVersion: '1.0',
      messageId: 'm-1',
      destinationPhoneNumber: '+14255550182',
      messageStatus: 'DELIVERED',
    };

    // Act
    const decisions = mapAwsSms(event, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'ignore', reason: 'sms_delivery_event', source: 'aws-sms', detail: 'TEXT_DELIVERED', eventId: 'm-1' },
    ]);
  });
});
