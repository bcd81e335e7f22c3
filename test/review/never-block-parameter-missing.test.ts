import { describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../lib/config.js';
import { resolveSecretParameters, type SsmLike } from '../../lib/ssm-env.js';

/**
 * handlers/block-contacts.ts resolves NEVER_BLOCK_PARAMETER with resolveSecretParameters, whose rule for
 * webhook secrets is "a parameter that does not exist leaves the secret unset (the provider stays
 * disabled)". That fails safe for a secret (404) but OPEN for NEVER_BLOCK: a mistyped or deleted parameter
 * name leaves the last safety net empty, without an error or even a log line, and the company's own
 * test and seed addresses are blocked for good.
 */
const ssmWithout: SsmLike = {
  async send(command: unknown) {
    const names = (command as { input: { Names: string[] } }).input.Names;
    return { Parameters: [], InvalidParameters: names };
  },
};

describe('NEVER_BLOCK_PARAMETER naming a parameter that does not exist', () => {
  it('fails the cold start naming the variable instead of running without the never-block list', async () => {
    // Prepare
    const env = {
      HOOD_API_TOKEN: 'test-token',
      BLOCK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/block',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
      NEVER_BLOCK_PARAMETER: '/hood-blocker/never-blok',
    };

    // Act
    const load = async () =>
      loadConsumerConfig(await resolveSecretParameters(env, { ssm: ssmWithout, names: ['NEVER_BLOCK'] }));

    // Assess
    await expect(load()).rejects.toThrow(/NEVER_BLOCK_PARAMETER/u);
  });
});
