import type { ReplayConfig } from '../config.js';
import { resolveHashKey, type SecretsSender } from '../ledger/index.js';
import { LedgerKeys } from '../ledger/keys.js';
import { LedgerUnavailableError } from '../ledger/types.js';
import type { ReplayStore } from '../providers/shared/replay.js';
import type { ReplayItemStore } from './replay-items.js';

/**
 * The webhook's replay store shared by every container: one-time values (Mailgun tokens, Svix ids) as items
 * `pk` = `r#<HMAC(REPLAY_HASH_KEY, "token:webhook:<value>")>`, `sk` = `token` of the ledger table — the
 * same derivation as the ledger's own tokens (LedgerKeys.token), under a key of their own. The webhook's
 * role may write only `r#` items (serverless.yml, dynamodb:LeadingKeys), and it never holds LEDGER_HASH_KEY:
 * a compromised webhook can neither mark a contact blocked nor find which hash is whose.
 *
 * The DynamoDB client (and its SDK) are imported at the first claim, as the ledger's are.
 */
export type { ReplayItemStore } from './replay-items.js';

export interface ReplayStoreOptions {
  clock?: () => number;
  secrets?: SecretsSender;
  /** A prepared item store (tests); default: DynamoDB on `config.table`. */
  items?: ReplayItemStore;
}

const NAMESPACE = 'webhook';

/**
 * Opens at the first use (the handler is built synchronously); a failed opening (the secret unreadable)
 * is retried at the next request, and answers as the store being unavailable (503, the provider retries).
 */
export function sharedReplayStore(config: ReplayConfig, options: ReplayStoreOptions = {}): ReplayStore {
  const clock = options.clock ?? (() => Date.now());
  let opening: Promise<{ keys: LedgerKeys; items: ReplayItemStore }> | undefined;
  const open = () => {
    opening ??= (async () => {
      const key = await resolveHashKey(config.hashKey, options.secrets, config.hashKeyVariable);
      const items = options.items ?? (await import('./replay-store-dynamo.js')).dynamoReplayItems(config);
      return { keys: new LedgerKeys(key), items };
    })().catch((error: unknown) => {
      opening = undefined;
      throw new LedgerUnavailableError('open replay store', error);
    });
    return opening;
  };
  return {
    claim: async (value, ttlMs) => {
      const { keys, items } = await open();
      const now = clock();
      return items.put(keys.token(`${NAMESPACE}:${value}`), now, now + ttlMs);
    },
    release: async (value) => {
      const { keys, items } = await open();
      await items.delete(keys.token(`${NAMESPACE}:${value}`));
    },
  };
}
