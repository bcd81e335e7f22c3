import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { genericRequest, harness, testConfig } from '../lib/webhook/harness.js';

/**
 * lib/webhook/ingress.ts gates with `{ blockReasons: policy.blockReasons }` only (line 490 after the
 * ledger merge; applyBlockReasons with the bare Set before it), so NEVER_BLOCK is never consulted there. The ingress therefore queues never-block contacts and reports
 * them as queued; only the consumer's own gate stands between them and Hood (one layer, not two), and
 * the webhook's summary/metrics say "queued" where issue 9 item 15 wants "ignored, reason never_block".
 */
describe('webhook ingress and NEVER_BLOCK', () => {
  it('ignores a never-block contact with reason never_block instead of queueing it', async () => {
    // Prepare
    const h = harness({ config: testConfig({ NEVER_BLOCK: 'seed@example.com,*@our-company.example' }) });

    // Act
    const response = await handleWebhook(
      genericRequest([{ contact: 'seed@example.com' }, { contact: 'ops@our-company.example' }]),
      h.deps,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(h.queued).toHaveLength(0);
    expect(response.summary).toMatchObject({ queued: 0, ignored: 2 });
  });
});
