import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, encodeRejected, type NormalisedMessage } from '../../../lib/queue/message.js';
import { REASONS } from '../../../lib/types.js';

const message: fc.Arbitrary<NormalisedMessage> = fc.record(
  {
    contact: fc.string({ minLength: 1, maxLength: 512 }),
    description: fc.string({ maxLength: 2000 }),
    reason: fc.constantFrom(...REASONS),
    source: fc.string({ minLength: 1, maxLength: 100 }),
    eventId: fc.string({ maxLength: 512 }),
    occurredAt: fc
      .date({ min: new Date(0), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  { requiredKeys: ['contact'] },
);

describe('queue message', () => {
  it('decodes what it encodes, key for key', () => {
    fc.assert(
      fc.property(message, (m) => {
        // Act
        const decoded = decodeMessage(JSON.parse(encodeMessage(m)));

        // Assess
        expect(decoded.success && decoded.data).toEqual(m);
      }),
      { numRuns: 10_000 },
    );
  });

  it('writes only the keys of the message, not the rest of a decision', () => {
    // Prepare
    const decision = {
      action: 'block' as const,
      contact: 'jane@example.com',
      reason: 'complaint' as const,
      source: 'ses',
    };

    // Act
    const body = JSON.parse(encodeMessage(decision)) as Record<string, unknown>;

    // Assess
    expect(body).toEqual({ contact: 'jane@example.com', reason: 'complaint', source: 'ses' });
  });

  it('keeps a rejected event replayable: its contact, the reject reason and the detail as description', () => {
    // Prepare
    const reject = {
      action: 'reject' as const,
      reason: 'invalid_contact' as const,
      source: 'twilio',
      contact: '12345',
      detail: 'short code',
      eventId: 'SM1',
    };

    // Act
    const body = JSON.parse(encodeRejected(reject)) as Record<string, unknown>;

    // Assess
    expect(body).toEqual({
      contact: '12345',
      reason: 'invalid_contact',
      source: 'twilio',
      description: 'short code',
      eventId: 'SM1',
    });
  });
});
