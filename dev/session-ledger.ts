import { randomBytes } from 'node:crypto';
import type { Env } from '../lib/config.js';
import type { LocalDynamo } from './dynalite.js';

/**
 * `npm start`'s ledger: dynalite in this process with the table, and a hash key for this session
 * (nothing outlives the process, so nothing needs the same key later). Undefined when the operator
 * points `npm start` at a ledger of their own with LEDGER_TABLE.
 */
export async function startSessionLedger(env: Env): Promise<
  | {
      env: Record<string, string>;
      state: { endpoint: string; region: string; table: string; hashKey: string };
      dynamo: LocalDynamo;
    }
  | undefined
> {
  if (env.LEDGER_TABLE?.trim()) return undefined;
  const { startLocalDynamo } = await import('./dynalite.js');
  const dynamo = await startLocalDynamo({
    table: 'hood-blocker-ledger',
    region: env.AWS_REGION?.trim() || 'us-east-1',
  });
  const hashKey = randomBytes(32).toString('base64url');
  return {
    dynamo,
    state: { endpoint: dynamo.endpoint, region: dynamo.region, table: dynamo.table, hashKey },
    env: { LEDGER_TABLE: dynamo.table, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, LEDGER_HASH_KEY: hashKey },
  };
}

/**
 * The webhook's replay key (REPLAY_HASH_KEY) for this session, unless the environment names one: replay
 * tokens live only for their short acceptance window, so nothing later needs the same key.
 */
export function sessionReplayKeyEnv(env: Env): Record<string, string> {
  if (env.REPLAY_HASH_KEY?.trim() || env.REPLAY_HASH_KEY_SECRET?.trim()) return {};
  return { REPLAY_HASH_KEY: randomBytes(32).toString('base64url') };
}
