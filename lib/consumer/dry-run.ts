import { maskContact } from '../contact.js';
import type { CallOptions, CreateResult } from '../hood/client.js';
import { wouldBlock } from '../policy/index.js';
import type { HoodCreator, Log } from './types.js';

/**
 * Shadow mode (`HOOD_DRY_RUN=true`): the Hood creator the consumer uses instead of the real client. Every
 * decision, the pacing, the logs, the metrics and the ledger run as usual; only the HTTP call is replaced by
 * a log line ("would have blocked", masked contact) and a count (`dry_run_blocked`). No Hood client is built
 * in this mode, so no request can reach Hood whatever the rest of the code does. What the synthetic answer is,
 * and what the ledger and the metrics make of it, is policy (lib/policy/shadow.ts).
 */

export interface DryRunHood extends HoodCreator {
  /** Would-be blocks since the previous call (the consumer publishes them per invocation). */
  takeCount(): number;
  close(): Promise<void>;
}

export function createDryRunHood(logger: Log): DryRunHood {
  let sequence = 0;
  let pending = 0;
  return {
    async createBlockedContact(
      request: { contact: string; description: string },
      options?: CallOptions,
    ): Promise<CreateResult> {
      sequence += 1;
      pending += 1;
      const result = wouldBlock(request.contact, sequence);
      logger.info('Shadow mode: would have blocked (HOOD_DRY_RUN=true, nothing sent to Hood)', {
        outcome: 'dry_run_blocked',
        contact: maskContact(request.contact),
        correlationId: options?.correlationId,
        hoodId: result.id,
      });
      return result;
    },
    takeCount() {
      const n = pending;
      pending = 0;
      return n;
    },
    async close() {},
  };
}
