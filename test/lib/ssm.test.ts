import type { GetParametersCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { readParameters, type SsmLike } from '../../lib/ssm.js';

function recordingSsm(store: Record<string, string>): SsmLike & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async send(command: unknown) {
      const names = (command as GetParametersCommand).input.Names ?? [];
      calls.push(names);
      return {
        Parameters: names.filter((n) => store[n] !== undefined).map((n) => ({ Name: n, Value: store[n] })),
        InvalidParameters: names.filter((n) => store[n] === undefined),
      };
    },
  };
}

describe('readParameters (the one SSM reader)', () => {
  it('reads 23 names in calls of at most 10 and returns every value and every unknown name', async () => {
    // Prepare
    const names = Array.from({ length: 23 }, (_, i) => `/p/${i}`);
    const store = Object.fromEntries(names.filter((_, i) => i % 5 !== 0).map((n) => [n, `v${n}`]));
    const ssm = recordingSsm(store);

    // Act
    const read = await readParameters(names, { ssm });

    // Assess
    expect(ssm.calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(read.values.size).toBe(Object.keys(store).length);
    expect(read.values.get('/p/1')).toBe('v/p/1');
    expect(read.invalid.sort()).toEqual(['/p/0', '/p/10', '/p/15', '/p/20', '/p/5'].sort());
  });

  it('makes no call for no names', async () => {
    // Prepare
    const ssm = recordingSsm({});

    // Act
    const read = await readParameters([], { ssm });

    // Assess
    expect(ssm.calls).toEqual([]);
    expect(read.values.size).toBe(0);
  });
});
