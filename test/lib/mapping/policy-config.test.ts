import { describe, expect, it } from 'vitest';
import { loadPolicyConfig } from '../../../lib/config.js';
import { ConfigError } from '../../../lib/errors.js';
import { gateDecisions } from '../../../lib/policy/index.js';
import { resolveSecretParameters, type SsmLike } from '../../../lib/ssm-env.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadPolicyConfig: NEVER_BLOCK', () => {
  it('reads exact contacts and *@domain patterns, comma-separated', () => {
    // Act
    const policy = loadPolicyConfig({ NEVER_BLOCK: ' Seed@Example.com , *@Company.example,+44 7700 900123 ' });

    // Assess
    expect([...policy.neverBlock!.contacts].sort()).toEqual(['+447700900123', 'seed@example.com']);
    expect([...policy.neverBlock!.domains]).toEqual(['company.example']);
  });

  it('is empty when unset', () => {
    // Act
    const policy = loadPolicyConfig({});

    // Assess
    expect(policy.neverBlock!.contacts.size + policy.neverBlock!.domains.size).toBe(0);
  });

  it('fails naming NEVER_BLOCK and the entry position, never the entry', () => {
    // Act
    const error = configError(() => loadPolicyConfig({ NEVER_BLOCK: 'ok@example.com,John Smith +1 415 555 0100' }));

    // Assess
    expect(error.message).toContain('NEVER_BLOCK');
    expect(error.message).toContain('2');
    expect(error.message).not.toMatch(/John|415/u);
  });

  it('makes the configured policy ignore a listed contact with reason never_block', () => {
    // Prepare
    const policy = loadPolicyConfig({ NEVER_BLOCK: '*@company.example' });

    // Act
    const applied = gateDecisions(
      [{ action: 'block', contact: 'ceo@company.example', reason: 'complaint', source: 'ses' }],
      policy,
    );

    // Assess
    expect(applied.map((d) => [d.action, d.reason])).toEqual([['ignore', 'never_block']]);
  });
});

describe('loadPolicyConfig: soft_bounce', () => {
  it('accepts soft_bounce in BLOCK_REASONS (scripts list every label), yet a soft bounce still never blocks', () => {
    // Prepare
    const policy = loadPolicyConfig({ BLOCK_REASONS: 'hard_bounce,soft_bounce' });

    // Act
    const applied = gateDecisions(
      [{ action: 'block', contact: 'jane@example.com', reason: 'soft_bounce', source: 'ses' }],
      policy,
    );

    // Assess
    expect(applied.map((d) => [d.action, d.reason])).toEqual([['ignore', 'soft_bounce']]);
  });
});

describe('NEVER_BLOCK_PARAMETER', () => {
  it('is resolved from SSM like the other _PARAMETER values', async () => {
    // Prepare
    const ssm: SsmLike = {
      async send() {
        return { Parameters: [{ Name: '/hood-blocker/never-block', Value: '*@company.example' }] };
      },
    };

    // Act
    const env = await resolveSecretParameters(
      { NEVER_BLOCK_PARAMETER: '/hood-blocker/never-block' },
      { ssm, names: ['NEVER_BLOCK'] },
    );

    // Assess
    expect([...loadPolicyConfig(env).neverBlock!.domains]).toEqual(['company.example']);
  });
});
