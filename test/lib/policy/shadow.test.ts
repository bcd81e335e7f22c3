import { describe, expect, it } from 'vitest';
import {
  DRY_RUN_ID_PREFIX,
  isDryRunResult,
  isShadowAnswer,
  shadowCounts,
  wouldBlock,
} from '../../../lib/policy/index.js';

describe('wouldBlock: the stand-in’s answer in shadow mode', () => {
  it.each([
    ['an address', 'jane@example.com', 'email'],
    ['a phone number', '+14155550100', 'mobile_phone_number'],
  ])('is a recognisable created result for %s', (_name, contact, type) => {
    // Act
    const answer = wouldBlock(contact, 7);

    // Assess
    expect(answer).toEqual({ kind: 'created', id: `${DRY_RUN_ID_PREFIX}7`, type, status: 201, dryRun: true });
    expect(isDryRunResult(answer)).toBe(true);
  });
});

describe('isShadowAnswer: whether Hood holds nothing for an answer', () => {
  it.each([
    [false, '12345', false],
    [false, undefined, false],
    [false, 'dry-run-3', true],
    [true, '12345', true],
    [true, undefined, true],
    [true, 'dry-run-3', true],
  ])('shadow mode %s, Hood id %s → %s', (dryRun, hoodId, expected) => {
    expect(isShadowAnswer(dryRun, hoodId)).toBe(expected);
  });
});

describe('shadowCounts: would-be blocks are counted apart from blocked', () => {
  it.each([
    ['no would-be block: unchanged', { blocked: 2, ignored: 1 }, 0, { blocked: 2, ignored: 1 }],
    ['every block a would-be block', { blocked: 3, ignored: 1 }, 3, { ignored: 1, dry_run_blocked: 3 }],
    ['some real blocks left', { blocked: 5 }, 2, { blocked: 3, dry_run_blocked: 2 }],
    ['more would-be blocks than blocks', { blocked: 1 }, 2, { dry_run_blocked: 2 }],
  ])('%s', (_name, counts: { blocked?: number; ignored?: number }, would, expected) => {
    // Act
    const published = shadowCounts(counts, would);

    // Assess
    expect(published).toEqual(expected);
  });
});
