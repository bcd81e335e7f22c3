import { maskContact } from '../contact.js';
import type { CallOptions, CreateResult, HoodCreated } from '../hood/client.js';
import type { HoodCreator, Log } from './types.js';

/**
 * Shadow mode (`HOOD_DRY_RUN=true`): the Hood creator the consumer uses instead of the real client. Every
 * decision, the pacing, the logs, the metrics and the ledger run as usual; only the HTTP call is replaced by
 * a log line ("would have blocked", masked contact) and a count (`dry_run_blocked`). No Hood client is built
 * in this mode, so no request can reach Hood whatever the rest of the code does.
 *
 * The synthetic answer is a `created` result so the rest of the pipeline treats it as a block, but it is
 * recognisable: `dryRun: true` and an id starting with `dry-run-` (Hood's ids are numeric strings). Code that
 * keeps state across containers (the ledger) must check `isDryRunResult` and never record such a contact
 * as blocked: leaving shadow mode must send every one of them to Hood.
 */
export const DRY_RUN_ID_PREFIX = 'dry-run-';

export interface DryRunCreated extends HoodCreated {
  dryRun: true;
}

export function isDryRunResult(result: CreateResult): result is DryRunCreated {
  return result.kind === 'created' && (result as Partial<DryRunCreated>).dryRun === true;
}

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
      const id = `${DRY_RUN_ID_PREFIX}${sequence}`;
      logger.info('Shadow mode: would have blocked (HOOD_DRY_RUN=true, nothing sent to Hood)', {
        outcome: 'dry_run_blocked',
        contact: maskContact(request.contact),
        correlationId: options?.correlationId,
        hoodId: id,
      });
      const result: DryRunCreated = {
        kind: 'created',
        id,
        type: request.contact.startsWith('+') ? 'mobile_phone_number' : 'email',
        status: 201,
        dryRun: true,
      };
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
