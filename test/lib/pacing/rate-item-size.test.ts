import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { callEntry, parseRateItem, type StoredCall } from '../../../lib/pacing/rate-item.js';

/** Virtual time: calls are placed relative to it. */
const T = 1_765_000_000_000;

/** An attribute's size as DynamoDB bills it: a number by its significant digits, a map by its names and values. */
function size(v: AttributeValue): number {
  if ('S' in v && v.S !== undefined) return Buffer.byteLength(v.S);
  if ('N' in v && v.N !== undefined) {
    const digits = v.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(digits.length / 2) + 1;
  }
  if ('M' in v && v.M !== undefined)
    return 3 + Object.entries(v.M).reduce((sum, [name, x]) => sum + Buffer.byteLength(name) + size(x) + 1, 0);
  return 1;
}

function itemOf(calls: StoredCall[]): Record<string, AttributeValue> {
  return {
    pk: { S: 'rate#hood' },
    sk: { S: 'calls' },
    v: { N: '123456' },
    c: { M: Object.fromEntries(calls.map((call) => [call.id, callEntry(call)])) },
    lw: { N: '0' },
    expiresAt: { N: '1765000131' },
    pc: { M: { n: { N: '4' }, ok: { N: '4' }, h: { N: '0' } } },
  };
}

/** A window's count of answered live calls (150 per minute, answered after about a second) and 10 in flight. */
function fullWindow(): StoredCall[] {
  return Array.from({ length: 160 }, (_, i) => ({
    id: `k3j9x0qa.${1000 + i}`,
    start: T + i * 400,
    deadline: T + i * 400 + 10_000,
    end: i < 150 ? T + i * 400 + 1003 : undefined,
    lane: 'live' as const,
  }));
}

describe('the rate item size', () => {
  it('stays within 7 KB with a window of live calls: 7 write units a claim', () => {
    // Prepare
    const item = itemOf(fullWindow());

    // Act
    const bytes = Object.entries(item).reduce((sum, [name, v]) => sum + name.length + size(v), 0);

    // Assess
    expect(bytes).toBeLessThanOrEqual(7 * 1024);
  });

  it('reads a live call stored without its lane as live, and a bulk call as bulk', () => {
    // Prepare
    const [live, bulk] = fullWindow();
    const item = itemOf([live!, { ...bulk!, lane: 'bulk' }]);

    // Act
    const parsed = parseRateItem(item, { now: T + 2000, requestTimeoutMs: 10_000, longestMs: 60_000 });

    // Assess
    expect(parsed.calls.map((c) => c.lane)).toEqual(['live', 'bulk']);
  });
});
