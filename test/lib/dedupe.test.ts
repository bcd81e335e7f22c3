import { describe, expect, it } from 'vitest';
import { byContactAndReason, distinctBlocks, withoutRepeatedBlocks } from '../../lib/dedupe.js';
import type { Decision } from '../../lib/types.js';

const block = (contact: string, reason: 'complaint' | 'hard_bounce'): Decision => ({
  action: 'block',
  contact,
  reason,
  source: 'test',
});
const ignore: Decision = { action: 'ignore', reason: 'delivery', source: 'test' };

describe('de-duplication of block decisions', () => {
  it('by contact and reason keeps a second reason for the same contact, and every ignore', () => {
    // Prepare
    const decisions = [
      block('a@example.com', 'complaint'),
      ignore,
      block('a@example.com', 'complaint'),
      block('a@example.com', 'hard_bounce'),
      ignore,
    ];

    // Act
    const kept = withoutRepeatedBlocks(decisions, byContactAndReason);

    // Assess
    expect(kept).toEqual([block('a@example.com', 'complaint'), ignore, block('a@example.com', 'hard_bounce'), ignore]);
  });

  it('by contact keeps the first block of each contact, in order', () => {
    // Prepare
    const decisions = [
      block('b@example.com', 'hard_bounce'),
      block('a@example.com', 'complaint'),
      ignore,
      block('b@example.com', 'complaint'),
    ];

    // Act
    const blocks = distinctBlocks(decisions);

    // Assess
    expect(blocks).toEqual([block('b@example.com', 'hard_bounce'), block('a@example.com', 'complaint')]);
  });
});
