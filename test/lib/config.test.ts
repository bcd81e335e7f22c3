import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_BLOCK_REASONS,
  DEFAULT_RATE_LIMITS,
  loadConsumerConfig,
  loadLedgerConfig,
  loadPolicyConfig,
  loadQueueConfig,
  loadRateLimits,
  loadReplayConfig,
  parseRateLimits,
} from '../../lib/config.js';
import { loadWebhookConfig } from '../../lib/webhook/config.js';
import { ConfigError } from '../../lib/errors.js';

const base = { HOOD_API_TOKEN: 'tok-SECRET-123' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRateLimits', () => {
  it('reads the default windows of Hood', () => {
    // Act
    const windows = parseRateLimits('10/1s,150/1m');
    // Assess
    expect(windows).toEqual([
      { count: 10, windowMs: 1000 },
      { count: 150, windowMs: 60_000 },
    ]);
  });

  it('reads millisecond windows and implicit unit counts', () => {
    // Act
    const windows = parseRateLimits('10/100ms, 150/m');
    // Assess
    expect(windows).toEqual([
      { count: 10, windowMs: 100 },
      { count: 150, windowMs: 60_000 },
    ]);
  });

  it('names the variable and the bad pair', () => {
    // Act
    const error = configError(() => parseRateLimits('10/1h'));
    // Assess
    expect(error.message).toBe('HOOD_RATE_LIMITS: "10/1h" is not count/window (units ms, s, m), e.g. "150/1m"');
  });
});

describe('HOOD_PACING_TUNING_OFF', () => {
  it('turns no tuning layer off by default', () => {
    // Act
    const config = loadConsumerConfig({ ...base, BLOCK_QUEUE_URL: 'http://q', DEAD_LETTER_QUEUE_URL: 'http://d' });
    // Assess
    expect(config.hood.pacingTuningOff).toEqual([]);
  });

  it('reads a comma-separated list of layers', () => {
    // Act
    const config = loadConsumerConfig({
      ...base,
      BLOCK_QUEUE_URL: 'http://q',
      DEAD_LETTER_QUEUE_URL: 'http://d',
      HOOD_PACING_TUNING_OFF: 'batch, replace',
    });
    // Assess
    expect(config.hood.pacingTuningOff).toEqual(['batch', 'replace']);
  });

  it('names an unknown layer and lists the known ones', () => {
    // Act
    const error = configError(() =>
      loadConsumerConfig({
        ...base,
        BLOCK_QUEUE_URL: 'http://q',
        DEAD_LETTER_QUEUE_URL: 'http://d',
        HOOD_PACING_TUNING_OFF: 'batch,warp',
      }),
    );
    // Assess
    expect(error.message).toMatch(/^HOOD_PACING_TUNING_OFF: names no tuning layer: warp \(known: batch, poll-at-cap, /);
  });
});

describe('loadConsumerConfig', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadConsumerConfig(base);
    // Assess
    expect(config.hood.apiUrl).toBe('https://api.ocamba.com/v1/hood');
    expect(config.hood.consumerMaxConcurrency).toBe(2);
    expect(config.hood.rateLimits).toEqual(parseRateLimits('10/1s,150/1m'));
    expect([...config.policy.blockReasons]).toEqual([...DEFAULT_BLOCK_REASONS]);
  });

  it('fails at cold start naming HOOD_API_TOKEN when no token is configured', () => {
    // Act
    const error = configError(() => loadConsumerConfig({}));
    // Assess
    expect(error.variable).toBe('HOOD_API_TOKEN');
  });

  it('accepts an SSM parameter name instead of the token', () => {
    // Act
    const config = loadConsumerConfig({ HOOD_API_TOKEN_PARAMETER: '/hood-blocker/prod/hood-api-token' });
    // Assess
    expect(config.hood.token).toEqual({ kind: 'ssm', parameterName: '/hood-blocker/prod/hood-api-token' });
  });

  it('never echoes the token in a configuration error', () => {
    // Act
    const error = configError(() => loadConsumerConfig({ HOOD_API_TOKEN: 'tok SECRET' }));
    // Assess
    expect(error.message).not.toContain('SECRET');
    expect(error.variable).toBe('HOOD_API_TOKEN');
  });

  it('rejects a concurrency that is not a positive integer', () => {
    // Act
    const error = configError(() => loadConsumerConfig({ ...base, CONSUMER_MAX_CONCURRENCY: 'two' }));
    // Assess
    expect(error.variable).toBe('CONSUMER_MAX_CONCURRENCY');
  });

  it('rejects a Hood URL that is not http(s)', () => {
    // Act
    const error = configError(() => loadConsumerConfig({ ...base, HOOD_API_URL: 'ftp://example.com' }));
    // Assess
    expect(error.variable).toBe('HOOD_API_URL');
  });
});

describe('loadPolicyConfig', () => {
  it('rejects an unknown reason naming the known ones', () => {
    // Act
    const error = configError(() => loadPolicyConfig({ BLOCK_REASONS: 'hard_bounce,bounced' }));
    // Assess
    expect(error.message).toContain('unknown reason "bounced"');
    expect(error.message).toContain('group_unsubscribe');
  });

  it('upper-cases custom SMS keywords', () => {
    // Act
    const policy = loadPolicyConfig({ SMS_OPT_OUT_KEYWORDS: 'stop, halt' });
    // Assess
    expect([...policy.smsOptOutKeywords]).toEqual(['STOP', 'HALT']);
  });
});

describe('loadQueueConfig', () => {
  it('uses dummy credentials only for a local emulator without credentials', () => {
    // Act
    const local = loadQueueConfig({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566' });
    const aws = loadQueueConfig({});
    const withKeys = loadQueueConfig({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566', AWS_ACCESS_KEY_ID: 'k' });
    // Assess
    expect(local.localCredentials).toBeDefined();
    expect(aws.localCredentials).toBeUndefined();
    expect(withKeys.localCredentials).toBeUndefined();
  });

  it('applies the same local-credentials rule to the SQS and the DynamoDB endpoints', () => {
    // Prepare: endpoints on this machine or elsewhere, with or without credentials in the environment.
    const endpoint = fc.constantFrom(
      'http://127.0.0.1:4566',
      'http://localhost:8000',
      'http://[::1]:9324',
      'https://sqs.eu-west-1.amazonaws.com',
      'http://10.0.0.5:4566',
    );
    const credentials = fc.record({
      AWS_ACCESS_KEY_ID: fc.option(fc.constant('k'), { nil: undefined }),
      AWS_PROFILE: fc.option(fc.constant('dev'), { nil: undefined }),
    });
    fc.assert(
      fc.property(endpoint, credentials, (url, creds) => {
        // Act
        const queue = loadQueueConfig({ ...creds, AWS_ENDPOINT_URL_SQS: url });
        const ledger = loadLedgerConfig({ ...creds, AWS_ENDPOINT_URL_DYNAMODB: url });
        const pacing = loadConsumerConfig({
          ...base,
          ...creds,
          LEDGER_TABLE: 'ledger',
          LEDGER_HASH_KEY: 'k'.repeat(32),
          AWS_ENDPOINT_URL_DYNAMODB: url,
        }).hood.rateLedger!;
        // Assess
        expect(ledger.localCredentials).toEqual(queue.localCredentials);
        expect(pacing.localCredentials).toEqual(queue.localCredentials);
      }),
    );
  });
});

describe('loadRateLimits', () => {
  it('reads HOOD_RATE_LIMITS as the consumer does, and the default when it is blank', () => {
    // Act
    const given = loadRateLimits({ HOOD_RATE_LIMITS: ' 5/1s,100/1m ' });
    const blank = loadRateLimits({ HOOD_RATE_LIMITS: '  ' });
    // Assess
    expect(given).toEqual(loadConsumerConfig({ ...base, HOOD_RATE_LIMITS: '5/1s,100/1m' }).hood.rateLimits);
    expect(blank).toEqual(parseRateLimits(DEFAULT_RATE_LIMITS));
  });

  it('rejects a malformed value with the variable named', () => {
    // Act
    const error = configError(() => loadRateLimits({ HOOD_RATE_LIMITS: 'ten per second' }));
    // Assess
    expect(error.message).toContain('HOOD_RATE_LIMITS');
  });
});

describe('loadWebhookConfig', () => {
  it('leaves a provider disabled when its secret is unset', () => {
    // Act
    const config = loadWebhookConfig({ GENERIC_WEBHOOK_TOKEN: 'g' });
    // Assess
    expect(config.secrets).toEqual({ genericToken: 'g' });
  });

  it('requires WEBHOOK_BASIC_AUTH to be user:password', () => {
    // Act
    const error = configError(() => loadWebhookConfig({ WEBHOOK_BASIC_AUTH: 'nopassword' }));
    // Assess
    expect(error.variable).toBe('WEBHOOK_BASIC_AUTH');
    expect(error.message).not.toContain('nopassword');
  });

  it('rejects an SNS topic allowlist entry that is not a topic ARN', () => {
    // Act
    const error = configError(() => loadWebhookConfig({ SNS_TOPIC_ARNS: 'arn:aws:sqs:us-east-1:123456789012:q' }));
    // Assess
    expect(error.variable).toBe('SNS_TOPIC_ARNS');
  });
});

describe("the webhook's replay key (REPLAY_HASH_KEY), apart from the ledger key", () => {
  const REPLAY = 'r'.repeat(32);
  const LEDGER = 'l'.repeat(32);

  it("never puts the contact hash key in the webhook's configuration", () => {
    // Act
    const config = loadWebhookConfig({ LEDGER_TABLE: 'ledger', LEDGER_HASH_KEY: LEDGER, REPLAY_HASH_KEY: REPLAY });

    // Assess
    expect(config.ledger?.hashKey).toBeUndefined();
    expect(config.replay?.hashKey).toEqual({ kind: 'value', key: REPLAY });
    expect(JSON.stringify(config)).not.toContain(LEDGER);
  });

  it.each([
    [{ REPLAY_HASH_KEY: REPLAY, LEDGER_HASH_KEY: LEDGER }, 'REPLAY_HASH_KEY', { kind: 'value', key: REPLAY }],
    [
      { REPLAY_HASH_KEY_SECRET: 'arn:replay', LEDGER_HASH_KEY_SECRET: 'arn:ledger' },
      'REPLAY_HASH_KEY_SECRET',
      { kind: 'secret', secretId: 'arn:replay' },
    ],
    [{ LEDGER_HASH_KEY: LEDGER }, 'LEDGER_HASH_KEY', { kind: 'value', key: LEDGER }],
    [{ LEDGER_HASH_KEY_SECRET: 'arn:ledger' }, 'LEDGER_HASH_KEY_SECRET', { kind: 'secret', secretId: 'arn:ledger' }],
  ])('takes the key from %j: %s', (env, variable, hashKey) => {
    // Act
    const replay = loadReplayConfig({ LEDGER_TABLE: 'ledger', ...env });

    // Assess
    expect(replay).toMatchObject({ table: 'ledger', hashKeyVariable: variable, hashKey });
  });

  it('needs no key without LEDGER_TABLE (each container keeps its own replay cache)', () => {
    // Act
    const replay = loadReplayConfig({ REPLAY_HASH_KEY: REPLAY });

    // Assess
    expect(replay).toBeUndefined();
  });

  it('fails naming REPLAY_HASH_KEY when LEDGER_TABLE is set without any key', () => {
    // Act
    const error = configError(() => loadWebhookConfig({ LEDGER_TABLE: 'ledger' }));

    // Assess
    expect(error.variable).toBe('REPLAY_HASH_KEY');
  });

  it('refuses a short replay key without echoing it', () => {
    // Act
    const error = configError(() => loadReplayConfig({ LEDGER_TABLE: 'ledger', REPLAY_HASH_KEY: 'short-key' }));

    // Assess
    expect(error.variable).toBe('REPLAY_HASH_KEY');
    expect(error.message).not.toContain('short-key');
  });
});
