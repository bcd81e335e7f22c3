import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDescription, MAX_DESCRIPTION } from '../../lib/description.js';
import { REASONS } from '../../lib/types.js';

describe('buildDescription', () => {
  it('says why, from where, which event and when', () => {
    // Act
    const text = buildDescription({ reason: 'hard_bounce', source: 'ses', description: 'Permanent/General', eventId: 'fb-1', occurredAt: '2016-01-27T14:59:38.237Z' });
    // Assess
    expect(text).toBe('hood-blocker: Hard bounce (hard_bounce) via ses; Permanent/General; event fb-1; at 2016-01-27T14:59:38.237Z');
  });

  it('stays bounded and free of control characters for any provider text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REASONS), fc.string({ maxLength: 3000 }), fc.string({ maxLength: 600 }), (reason, description, eventId) => {
        const text = buildDescription({ reason, source: 'x', description, eventId });
        expect([...text].length).toBeLessThanOrEqual(MAX_DESCRIPTION);
        expect(text).not.toMatch(/[\u0000-\u001F\u007F]/u);
      }),
      { numRuns: 2000 },
    );
  });
});
