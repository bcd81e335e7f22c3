import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDescription, MAX_DESCRIPTION } from '../../lib/description.js';
import { REASONS } from '../../lib/types.js';

describe('buildDescription', () => {
  it('says why, from where, which event and when', () => {
    // Act
    const text = buildDescription({
      reason: 'hard_bounce',
      source: 'ses',
      description: 'Permanent/General',
      eventId: 'fb-1',
      occurredAt: '2016-01-27T14:59:38.237Z',
    });
    // Assess
    expect(text).toBe(
      'hood-blocker: Hard bounce (hard_bounce) via ses; Permanent/General; event fb-1; at 2016-01-27T14:59:38.237Z',
    );
  });

  it('stays bounded and free of control characters for any provider text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...REASONS),
        fc.string({ maxLength: 3000 }),
        fc.string({ maxLength: 600 }),
        (reason, description, eventId) => {
          const text = buildDescription({ reason, source: 'x', description, eventId });
          expect([...text].length).toBeLessThanOrEqual(MAX_DESCRIPTION);
          expect(text).not.toMatch(/[\u0000-\u001F\u007F]/u);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('buildDescription: hidden characters in provider text', () => {
  it('removes bidi overrides and zero-width characters that could disguise the text in Hood', () => {
    // Act
    const text = buildDescription({
      reason: 'hard_bounce',
      source: 'ses',
      description: 'user \u202Eknown\u202C un\u200Bknown \u2066x\u2069',
    });

    // Assess
    expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B\u200E\u200F]/u);
    expect(text).toContain('user known unknown x');
  });

  it('keeps emoji joined sequences readable', () => {
    expect(
      buildDescription({ reason: 'manual', source: 'crm', description: 'family \u{1F468}\u200D\u{1F469}' }),
    ).toContain('\u{1F468}\u200D\u{1F469}');
  });

  it('never contains a format character other than the emoji joiner, for any provider text (property)', () => {
    const hidden = fc.constantFrom(
      '\u202E',
      '\u200B',
      '\u2066',
      '\uFEFF',
      '\u00AD',
      '\u{E0041}',
      '\u061C',
      '\u200E',
      '\u2060',
    );
    const text = fc
      .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), hidden), { maxLength: 30 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (description) => {
        const text = buildDescription({ reason: 'complaint', source: 'sendgrid', description });
        return !/(?!\u200D)\p{Cf}/u.test(text);
      }),
    );
  });
});
