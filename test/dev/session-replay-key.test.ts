import { describe, expect, it } from 'vitest';
import { loadReplayConfig } from '../../lib/config.js';
import { sessionReplayKeyEnv } from '../../dev/session-ledger.js';

// `npm start` gives its webhook a replay key of its own, so that it runs as deployed: without LEDGER_HASH_KEY.

describe('sessionReplayKeyEnv', () => {
  it('generates a REPLAY_HASH_KEY the webhook accepts when none is set', () => {
    // Prepare
    const env = { LEDGER_TABLE: 'hood-blocker-ledger', LEDGER_HASH_KEY: 'session-ledger-key-0123456789' };

    // Act
    const replay = loadReplayConfig({ ...env, ...sessionReplayKeyEnv(env) });

    // Assess
    expect(replay?.hashKeyVariable).toBe('REPLAY_HASH_KEY');
  });

  it.each([
    { REPLAY_HASH_KEY: 'operator-replay-key-0123456789' },
    { REPLAY_HASH_KEY_SECRET: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' },
  ])("keeps the operator's own key (%j)", (env) => {
    // Act
    const added = sessionReplayKeyEnv(env);

    // Assess
    expect(added).toEqual({});
  });
});
