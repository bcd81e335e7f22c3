import { describe, expect, it } from 'vitest';
import { block, dedupe, detail, isoFrom, isoFromUnix, optOutKeyword } from '../../../lib/sources/shared.js';
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
    expect(result).toEqual(expect.objectContaining({ action: 'reject', reason: 'invalid_contact', contact: 'y'.repeat(320) }));
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
