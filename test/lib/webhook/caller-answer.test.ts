import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../lib/webhook/ingress.js';
import { genericRequest, harness, testConfig } from './harness.js';

/**
 * Issue 19 item 11: on the generic route the caller chooses the contacts, so its answer must not say which
 * of them the policy ignored (post one contact, read `ignored: 1`: it is on NEVER_BLOCK). The answer counts
 * the contacts accepted; the reason stays in the log line and the metrics.
 */

const NEVER_BLOCK = 'ceo@example.com,*@our-company.example,+14155550100';
const POOL = [
  'ceo@example.com',
  'ops@our-company.example',
  '+14155550100',
  'jane@example.com',
  'bob@example.org',
  '+14155550199',
  'not-a-contact',
];
const REASONS = ['manual', 'unsubscribe', 'complaint', 'soft_bounce', 'hard_bounce'] as const;

const bodyOf = (response: { body: string }) => {
  const { correlationId: _, ...rest } = JSON.parse(response.body) as Record<string, unknown>;
  return rest;
};

describe('the generic route answer and the policy', () => {
  it('answers one NEVER_BLOCK contact exactly as one contact that is not listed', async () => {
    // Prepare
    const config = testConfig({ NEVER_BLOCK });

    // Act
    const listed = await handleWebhook(genericRequest([{ contact: 'ceo@example.com' }]), harness({ config }).deps);
    const unlisted = await handleWebhook(genericRequest([{ contact: 'jane@example.com' }]), harness({ config }).deps);

    // Assess
    expect(listed.statusCode).toBe(200);
    expect(bodyOf(listed)).toEqual(bodyOf(unlisted));
    expect(bodyOf(listed)).toEqual({ queued: 1, ignored: 0, rejected: 0 });
  });

  it('answers any body the same with or without NEVER_BLOCK and BLOCK_REASONS', async () => {
    const request = fc.array(fc.record({ contact: fc.constantFrom(...POOL), reason: fc.constantFrom(...REASONS) }), {
      minLength: 1,
      maxLength: 8,
    });
    const strict = harness({ config: testConfig({ NEVER_BLOCK, BLOCK_REASONS: 'hard_bounce,complaint' }) });
    const open = harness({ config: testConfig({ BLOCK_REASONS: 'hard_bounce,complaint,unsubscribe,manual' }) });
    await fc.assert(
      fc.asyncProperty(request, async (payload) => {
        // Act
        const withPolicy = await handleWebhook(genericRequest(payload), strict.deps);
        const without = await handleWebhook(genericRequest(payload), open.deps);

        // Assess
        expect(withPolicy.statusCode).toBe(without.statusCode);
        expect(bodyOf(withPolicy)).toEqual(bodyOf(without));
      }),
      { numRuns: 200 },
    );
  });

  it('still logs and counts what the policy ignored, with its reason', async () => {
    // Prepare
    const h = harness({ config: testConfig({ NEVER_BLOCK }) });

    // Act
    const response = await handleWebhook(genericRequest([{ contact: 'ceo@example.com' }]), h.deps);

    // Assess
    expect(response.summary).toMatchObject({ queued: 0, ignored: 1 });
    expect(h.queued).toHaveLength(0);
    expect(h.logger.lines.find((l) => l.message === 'webhook processed')?.fields.ignoredReasons).toEqual({
      never_block: 1,
    });
  });
});
