import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/shared/command.js';
import { listsFromFlag, loadSuppressionConfig, sinceFromFlag } from '../../cli/shared/suppression-flags.js';

// `import` and `reconcile` read a provider's lists with the same flags: --types, --since, its variables.

const source = { lists: ['bounces', 'spam_reports', 'unsubscribes'], defaultLists: ['bounces', 'spam_reports'] };

describe('listsFromFlag (--types)', () => {
  it.each([
    ['not given: the default lists', undefined, ['bounces', 'spam_reports']],
    ['one list', 'unsubscribes', ['unsubscribes']],
    ['several, in the order given', 'unsubscribes,bounces', ['unsubscribes', 'bounces']],
    ['spaces and empty items dropped', ' bounces , ,spam_reports,', ['bounces', 'spam_reports']],
  ])('%s', (_name, flag, expected) => {
    // Act
    const lists = listsFromFlag(flag, source, 'sendgrid');

    // Assess
    expect(lists).toEqual(expected);
  });

  it.each([
    ['a list the provider lacks', 'bounces,blocks'],
    ['nothing but commas', ' , '],
  ])('%s is a usage error naming the lists there are', (_name, flag) => {
    // Act
    const act = () => listsFromFlag(flag, source, 'sendgrid');

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow('--types: sendgrid lists are bounces, spam_reports, unsubscribes');
  });
});

describe('sinceFromFlag (--since)', () => {
  it.each([
    ['not given', undefined, undefined],
    ['a day, from its UTC midnight', '2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['an ISO-8601 time', '2026-03-01T12:30:00+02:00', '2026-03-01T10:30:00.000Z'],
  ])('%s', (_name, flag, expected) => {
    // Act
    const since = sinceFromFlag(flag);

    // Assess
    expect(since?.toISOString()).toBe(expected);
  });

  it.each([
    ['without a hint', '', '--since "last week" is not a date'],
    [
      'with the hint after it',
      ' (YYYY-MM-DD or ISO-8601)',
      '--since "last week" is not a date (YYYY-MM-DD or ISO-8601)',
    ],
  ])('a value that is no date is a usage error, %s', (_name, hint, message) => {
    // Act
    const act = () => sinceFromFlag('last week', hint);

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(new UsageError(message));
  });
});

describe('loadSuppressionConfig', () => {
  it("reads BLOCK_REASONS and the provider's credentials", async () => {
    // Prepare
    const env = { BLOCK_REASONS: 'unsubscribe', SENDGRID_API_KEY: 'SG.test-key' };

    // Act
    const { policy, config } = await loadSuppressionConfig('sendgrid', env);

    // Assess
    expect([...policy.blockReasons]).toEqual(['unsubscribe']);
    expect(config.provider).toBe('sendgrid');
  });

  it('makes a missing credential a usage error (exit 2)', async () => {
    // Act
    const loaded = loadSuppressionConfig('sendgrid', {});

    // Assess
    await expect(loaded).rejects.toSatisfy((e) => e instanceof UsageError && e.exitCode === 2);
  });
});
