import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { block, dedupe, detail, isoFrom, isoFromUnix, optOutKeyword } from '../../../lib/providers/shared/map.js';
import { mapMailgun } from '../../../lib/providers/mailgun/map.js';
import { policy } from './helpers.js';

describe('timestamps', () => {
  it.each([
    [1453906778, '2016-01-27T14:59:38.000Z'],
    ['1529701969.818328', '2018-06-22T21:12:49.818Z'],
    [1520363423000, '2018-03-06T19:10:23.000Z'],
  ])('reads unix time %j as %s (seconds, or milliseconds above 1e11)', (value, iso) => {
    // Act
    const result = isoFromUnix(value);

    // Assess
    expect(result).toBe(iso);
  });

  it.each([
    ['2019-11-05T16:33:54.9070259Z', '2019-11-05T16:33:54.907Z'],
    ['2020-01-01T12:00:00+0200', '2020-01-01T10:00:00.000Z'],
  ])('reads ISO time %s with its zone', (value, iso) => {
    // Act
    const result = isoFrom(value);

    // Assess
    expect(result).toBe(iso);
  });

  it('refuses a zone-less time unless the provider documents it as UTC', () => {
    // Act
    const local = isoFrom('2020-01-01 12:00:00');
    const utc = isoFrom('2020-01-01 12:00:00', true);

    // Assess
    expect(local).toBeUndefined();
    expect(utc).toBe('2020-01-01T12:00:00.000Z');
  });

  it.each([8.64e15, -1, '1e3', 'soon', Number.NaN, {}])('gives no time for %j rather than throwing', (value) => {
    // Act
    const result = isoFrom(value);

    // Assess
    expect(result).toBeUndefined();
  });
});

describe('decision helpers', () => {
  it('bounds and single-lines provider detail', () => {
    // Act
    const result = detail('bounce', `550\r\n${'x'.repeat(300)}`);

    // Assess
    expect(result).toMatch(/^bounce: 550 x+…$/u);
    expect(result!.length).toBe(120);
  });

  it('truncates the raw contact of an invalid_contact reject to 320 characters', () => {
    // Act
    const result = block('y'.repeat(400), 'hard_bounce', 'ses');

    // Assess
    expect(result).toEqual(
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: 'y'.repeat(320) }),
    );
  });

  it('dedupes blocks by (contact, reason) but keeps different reasons and every ignore', () => {
    // Prepare
    const decisions = [
      block('a@example.com', 'hard_bounce', 'x'),
      block('A@example.com', 'hard_bounce', 'x'),
      block('a@example.com', 'complaint', 'x'),
      { action: 'ignore' as const, reason: 'open', source: 'x' },
      { action: 'ignore' as const, reason: 'open', source: 'x' },
    ];

    // Act
    const result = dedupe(decisions);

    // Assess
    expect(result.map((d) => d.reason)).toEqual(['hard_bounce', 'complaint', 'open', 'open']);
  });

  it('matches opt-out keywords on the whole trimmed body only', () => {
    // Act
    const matches = ['STOP', ' stop\n', 'Stop please', 'opt-out', 'S T O P'].map((body) => optOutKeyword(body, policy));

    // Assess
    expect(matches).toEqual(['STOP', 'STOP', undefined, 'OPT-OUT', undefined]);
  });
});

describe('rejected raw input is never echoed in a detail (issue 9 item 8)', () => {
  it('masks addresses and numbers that provider text repeats in an invalid_contact detail', () => {
    // Act
    const decision = block('x@y.z John Smith +1 415 555 0100', 'hard_bounce', 'ses', {
      description: 'Permanent/General: smtp; 550 5.1.1 <x@y.z> unknown; callback +1 415 555 0100',
    });

    // Assess
    expect(decision.action).toBe('reject');
    expect(decision.action === 'reject' ? decision.detail : '').not.toMatch(/x@y\.z|415 555|0100/u);
  });

  it('names why the contact was refused in the detail, never the contact itself (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 6, maxLength: 60 }), (raw) => {
        const decision = block(`${raw} \u202E`, 'unsubscribe', 'generic');
        return decision.action === 'reject' && !(decision.detail ?? '').includes(raw.trim());
      }),
    );
  });
});

describe('ignore details are safe to log', () => {
  it('masks an address quoted by provider text in an ignore detail', () => {
    // Act
    const decision = mapMailgun(
      {
        event: 'failed',
        severity: 'temporary',
        recipient: 'jane@example.com',
        'delivery-status': { code: 451, message: '451 4.7.1 <jane@example.com>: greylisted, try again' },
      },
      policy,
    );

    // Assess
    expect(JSON.stringify(decision)).not.toContain('jane@example.com');
  });
});
