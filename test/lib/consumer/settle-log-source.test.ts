import { describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config.js';
import type { ContactResult } from '../../../lib/consumer/types.js';
import { needsHood, planRecord, type SettleRecord, type SettleStep, settle } from '../../../lib/consumer/settle.js';
import { gateDecisions } from '../../../lib/policy/index.js';
import { mapQueueBody } from '../../../lib/mapping/index.js';

// A caller of the generic route or `enqueue` chooses `source`; it may hold a contact. Logs mask contacts, so
// the source a log line carries is redacted like any other free text (the dead letter keeps it: it is how
// an operator redrives the message).
const config = loadConsumerConfig({
  HOOD_API_TOKEN: 't',
  BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/block',
  DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/dlq',
  NEVER_BLOCK: 'ceo@example.com',
});
const policy = { maxAttempts: 5, retryBaseSeconds: 10, now: Date.UTC(2026, 10, 29), random: () => 0.5 };
const LEAKY_SOURCE = 'crm-export-for-leaky.person@example.com';

function run(body: string, results: readonly ContactResult[]): SettleStep[] {
  const plan = planRecord(gateDecisions(mapQueueBody(body, config.policy), config.policy));
  const rec: SettleRecord = { messageId: 'm-1', body, correlationId: 'c-1', receiveCount: 1, priorAttempts: 0 };
  const outcomes = needsHood(plan, rec, policy) ? plan.blocks.map((block, i) => ({ block, result: results[i]! })) : [];
  return settle(plan, outcomes, rec, policy);
}

const logText = (steps: readonly SettleStep[]) => JSON.stringify(steps.filter((s) => s.kind === 'log'));

describe('settle: the source a log line carries never holds a contact in clear text', () => {
  it.each([
    ['blocked', JSON.stringify({ contact: 'a@example.com', reason: 'unsubscribe', source: LEAKY_SOURCE })],
    ['ignored by policy', JSON.stringify({ contact: 'ceo@example.com', reason: 'unsubscribe', source: LEAKY_SOURCE })],
    ['dead-lettered', JSON.stringify({ contact: 'not-an-address', reason: 'unsubscribe', source: LEAKY_SOURCE })],
  ])('%s', (_, body) => {
    // Act
    const steps = run(body, [{ kind: 'done', outcome: 'blocked', hoodId: 'h-1' }]);
    // Assess
    expect(steps.some((s) => s.kind === 'log')).toBe(true);
    expect(logText(steps)).not.toContain('leaky.person@example.com');
  });
});
