import { describe, expect, it } from 'vitest';
import { mapGeneric } from '../../../lib/providers/generic/map.js';
import { policy } from './helpers.js';

describe('generic normalised messages', () => {
  it('blocks one message with reason manual by default and source generic', () => {
    // Prepare
    const body = { contact: ' Jane@Example.COM ' };

    // Act
    const decisions = mapGeneric(body, policy);

    // Assess
    expect(decisions).toEqual([{ action: 'block', contact: 'jane@example.com', reason: 'manual', source: 'generic' }]);
  });

  it('keeps reason, source, description, eventId and occurredAt from the message', () => {
    // Prepare
    const body = {
      contact: '+387 61 234 567',
      reason: 'sms_opt_out',
      source: 'crm',
      description: 'replied STOP',
      eventId: 'e-1',
      occurredAt: '2024-05-01T10:00:00+02:00',
    };

    // Act
    const decisions = mapGeneric(body, policy);

    // Assess
    expect(decisions).toEqual([
      {
        action: 'block',
        contact: '+38761234567',
        reason: 'sms_opt_out',
        source: 'crm',
        description: 'replied STOP',
        eventId: 'e-1',
        occurredAt: '2024-05-01T10:00:00+02:00',
      },
    ]);
  });

  it('maps an array message by message, deduping repeats', () => {
    // Prepare
    const body = [{ contact: 'a@example.com' }, { contact: 'A@example.com' }, { contact: 'b@example.com' }];

    // Act
    const decisions = mapGeneric(body, policy);

    // Assess
    expect(decisions.map((d) => (d.action === 'block' ? d.contact : d.action))).toEqual([
      'a@example.com',
      'b@example.com',
    ]);
  });

  it('rejects a message with an unknown reason as malformed_message', () => {
    // Prepare
    const body = { contact: 'a@example.com', reason: 'annoyed' };

    // Act
    const decisions = mapGeneric(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'reject',
        reason: 'malformed_message',
        source: 'generic',
        contact: 'a@example.com',
      }),
    ]);
  });

  it('rejects a message without a contact as malformed_message', () => {
    // Prepare
    const body = { email: 'a@example.com' };

    // Act
    const decisions = mapGeneric(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'malformed_message' })]);
  });

  it('rejects a contact that is neither an address nor a number as invalid_contact', () => {
    // Prepare
    const body = { contact: 'jane at example dot com' };

    // Act
    const decisions = mapGeneric(body, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: 'jane at example dot com' }),
    ]);
  });
});
