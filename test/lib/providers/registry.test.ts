import { describe, expect, it } from 'vitest';
import { loadWebhookSecrets } from '../../../lib/webhook/config.js';
import {
  REGISTRY,
  SECRET_VARIABLES,
  unorderedDetectors,
  WEBHOOK_PROVIDERS,
  webhookOf,
} from '../../../lib/providers/index.js';
import type { SecretKind } from '../../../lib/providers/types.js';

// A well-formed value of each secret kind (the format checks of lib/config.ts accept them).
const SAMPLE: Record<SecretKind, string> = {
  text: 'sample-secret',
  basicAuth: 'user:password',
  topicArns: 'arn:aws:sns:eu-west-1:123456789012:ses-events',
};

describe('provider registry', () => {
  it('lists each name once', () => {
    // Prepare
    const names = REGISTRY.map((p) => p.name);

    // Act
    const distinct = new Set(names);

    // Assess
    expect(distinct.size).toBe(names.length);
  });

  it('puts every detector of every provider in the detection order', () => {
    // Act
    const left = unorderedDetectors();

    // Assess
    expect(left).toEqual([]);
  });

  it.each(WEBHOOK_PROVIDERS.map((p) => [p]))(
    'enables %s with each of its own secrets and with nothing else',
    (provider) => {
      for (const secret of webhookOf(provider).secrets) {
        // Prepare
        const env = { [secret.variable]: SAMPLE[secret.kind] };

        // Act
        const secrets = loadWebhookSecrets(env);
        const enabled = WEBHOOK_PROVIDERS.filter((p) => webhookOf(p).isEnabled(secrets));

        // Assess: the provider, and only providers that declare that same variable.
        expect(enabled).toContain(provider);
        expect(enabled.every((p) => webhookOf(p).secrets.some((s) => s.variable === secret.variable))).toBe(true);
      }
    },
  );

  it('offers _PARAMETER for every secret except the SNS topic allowlist', () => {
    // Prepare
    const all = WEBHOOK_PROVIDERS.flatMap((p) => webhookOf(p).secrets.map((s) => s.variable));

    // Act
    const withoutParameter = [...new Set(all)].filter((v) => !SECRET_VARIABLES.includes(v));

    // Assess
    expect(withoutParameter).toEqual(['SNS_TOPIC_ARNS']);
  });
});
