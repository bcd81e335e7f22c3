import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySmtp, enhancedCodeOf } from '../../../lib/providers/shared/smtp.js';

describe('classifySmtp', () => {
  it.each([
    ['5.1.1', 'address'],
    ['5.1.2', 'address'],
    ['5.1.10', 'address'],
    ['5.2.1', 'address'],
    ['5.2.2', 'mailbox'],
    ['4.2.2', 'mailbox'],
    ['4.2.1', 'mailbox'],
    ['5.7.1', 'other'],
    ['5.4.4', 'other'],
    ['5.3.4', 'other'],
    ['5.1.8', 'other'],
    ['4.7.652', 'other'],
    ['4.1.1', 'other'],
  ])('classifies enhanced code %s as %s', (enhanced, verdict) => {
    expect(classifySmtp({ enhanced })).toBe(verdict);
  });

  it('reads the enhanced code from the reply text when there is no separate field', () => {
    expect(
      classifySmtp({ code: '550', text: 'smtp; 550-5.1.1 The email account that you tried to reach does not exist.' }),
    ).toBe('address');
  });

  it('lets the text decide when the enhanced code is undefined (5.0.0)', () => {
    expect(classifySmtp({ enhanced: '5.0.0', text: '500 unknown recipient' })).toBe('address');
  });

  it('does not call a bare 550 without a telling text an address failure (it also means "rejected for policy")', () => {
    expect(classifySmtp({ code: '550', text: 'Requested action not taken: mailbox unavailable' })).toBe('unknown');
  });

  it('recognises a full mailbox from the text alone', () => {
    expect(classifySmtp({ text: 'The email account that you tried to reach is over quota' })).toBe('mailbox');
  });

  it('does not take an IP address for an enhanced status code', () => {
    expect(enhancedCodeOf('connection to 192.5.1.1 refused')).toBeUndefined();
  });

  it('never throws and always answers one of the four verdicts (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.string()), (enhanced, code, text) => {
        const v = classifySmtp({ enhanced: enhanced ?? undefined, code: code ?? undefined, text: text ?? undefined });
        return ['address', 'mailbox', 'other', 'unknown'].includes(v);
      }),
    );
  });
});
