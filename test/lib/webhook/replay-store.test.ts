import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../dev/dynalite.js';
import { loadReplayConfig, type ReplayConfig } from '../../../lib/config.js';
import { ConfigError } from '../../../lib/errors.js';
import { LedgerKeys } from '../../../lib/ledger/keys.js';
import { isLedgerUnavailable } from '../../../lib/ledger/types.js';
import { createWebhookHandler } from '../../../lib/webhook/lambda.js';
import { sharedReplayStore } from '../../../lib/webhook/replay-store.js';
import { NOW_MS, recordingLogger, testConfig } from './harness.js';

// The webhook's replay tokens on the ledger table (dynalite), keyed with REPLAY_HASH_KEY, never LEDGER_HASH_KEY.

const REPLAY_HASH_KEY = 'replay-store-test-key-3c9e1f7a2b';
const LEDGER_HASH_KEY = 'ledger-store-test-key-8d2a6b0c4e';
let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ table: 'replay-store' });
});
afterAll(async () => {
  await dynamo.stop();
});

function config(env: Record<string, string>): ReplayConfig {
  return loadReplayConfig({ LEDGER_TABLE: dynamo.table, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, ...env })!;
}

async function tokenItems(): Promise<string[]> {
  const out = await dynamo.client.send(new ScanCommand({ TableName: dynamo.table }));
  return (out.Items ?? []).map((i) => i.pk!.S!).filter((pk) => pk.startsWith('r#'));
}

describe('sharedReplayStore', () => {
  it('claims a value once, across stores, until it is released', async () => {
    // Prepare
    const a = sharedReplayStore(config({ REPLAY_HASH_KEY }), { clock: () => NOW_MS });
    const b = sharedReplayStore(config({ REPLAY_HASH_KEY }), { clock: () => NOW_MS });

    // Act
    const first = await a.claim('mailgun:tok-once', 60_000);
    const replay = await b.claim('mailgun:tok-once', 60_000);
    await a.release('mailgun:tok-once');
    const afterRelease = await b.claim('mailgun:tok-once', 60_000);

    // Assess
    expect([first, replay, afterRelease]).toEqual([true, false, true]);
  });

  it('accepts a value again once its window has passed (TTL deletes only eventually)', async () => {
    // Prepare
    let now = NOW_MS;
    const store = sharedReplayStore(config({ REPLAY_HASH_KEY }), { clock: () => now });
    await store.claim('svix:msg-expiring', 1000);

    // Act
    now += 1000;
    const again = await store.claim('svix:msg-expiring', 1000);

    // Assess
    expect(again).toBe(true);
  });

  it('keys tokens with REPLAY_HASH_KEY, so that the ledger key cannot find them and is not needed', async () => {
    // Prepare
    const store = sharedReplayStore(config({ REPLAY_HASH_KEY, LEDGER_HASH_KEY }), { clock: () => NOW_MS });

    // Act
    await store.claim('mailgun:tok-keyed', 60_000);
    const items = await tokenItems();

    // Assess
    expect(items).toContain(new LedgerKeys(REPLAY_HASH_KEY).token('webhook:mailgun:tok-keyed'));
    expect(items).not.toContain(new LedgerKeys(LEDGER_HASH_KEY).token('webhook:mailgun:tok-keyed'));
  });

  it('keys tokens as before (LEDGER_HASH_KEY) for a webhook set up before REPLAY_HASH_KEY', async () => {
    // Prepare
    const store = sharedReplayStore(config({ LEDGER_HASH_KEY }), { clock: () => NOW_MS });

    // Act
    await store.claim('mailgun:tok-legacy', 60_000);

    // Assess
    expect(await tokenItems()).toContain(new LedgerKeys(LEDGER_HASH_KEY).token('webhook:mailgun:tok-legacy'));
  });

  it('answers unavailable, naming REPLAY_HASH_KEY_SECRET, when the secret is unreadable; retries later', async () => {
    // Prepare
    let reads = 0;
    const secrets = {
      send: async () => {
        reads += 1;
        if (reads === 1) throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
        return { SecretString: REPLAY_HASH_KEY };
      },
    };
    const store = sharedReplayStore(config({ REPLAY_HASH_KEY_SECRET: 'replay-secret' }), {
      clock: () => NOW_MS,
      secrets,
    });

    // Act
    const failure = await store.claim('mailgun:tok-secret', 60_000).catch((error: unknown) => error);
    const second = await store.claim('mailgun:tok-secret', 60_000);

    // Assess
    expect(isLedgerUnavailable(failure)).toBe(true);
    const cause = (failure as Error).cause;
    expect(cause).toBeInstanceOf(ConfigError);
    expect((cause as ConfigError).variable).toBe('REPLAY_HASH_KEY_SECRET');
    expect(second).toBe(true);
  });
});

describe("the webhook handler's replay key", () => {
  it('warns at cold start when it falls back to LEDGER_HASH_KEY', () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    createWebhookHandler({
      config: testConfig({ LEDGER_TABLE: dynamo.table, LEDGER_HASH_KEY }),
      sendToQueue: async () => {},
      logger,
    });

    // Assess
    expect(
      logger.lines.filter((l) => l.level === 'warn' && l.message.startsWith('REPLAY_HASH_KEY is not set')),
    ).toHaveLength(1);
    expect(logger.text()).not.toContain(LEDGER_HASH_KEY);
  });

  it('says nothing when REPLAY_HASH_KEY is set', () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    createWebhookHandler({
      config: testConfig({ LEDGER_TABLE: dynamo.table, REPLAY_HASH_KEY }),
      sendToQueue: async () => {},
      logger,
    });

    // Assess
    expect(logger.lines.filter((l) => l.message.includes('REPLAY_HASH_KEY'))).toEqual([]);
  });
});
