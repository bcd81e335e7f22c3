import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConsumerConfig } from '../../../lib/config.js';
import { createDryRunHood } from '../../../lib/consumer/dry-run.js';
import { HELD_DELAY_SECONDS } from '../../../lib/consumer/hood-call.js';
import { needsHood, planRecord, type SettleRecord, type SettleStep, settle } from '../../../lib/consumer/settle.js';
import type { ContactResult } from '../../../lib/consumer/types.js';
import { gateDecisions } from '../../../lib/policy/index.js';
import { mapQueueBody } from '../../../lib/mapping/index.js';
import { captureLog } from '../../helpers/logs.js';

// The consumer's outcome table (docs/outcomes.md), row by row, on the pure settle step: the record's body goes through the
// real policy gate, the contacts' results are what the paced Hood call (or the ledger) returns, and the
// expected column is the SQS actions, counts and dead-letter reasons. A record that is not reported failed and
// not re-queued is deleted (explicitly, or by Lambda when the batch returns).
const config = loadConsumerConfig({
  HOOD_API_TOKEN: 't',
  BLOCK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/block',
  DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/000000000000/dlq',
  NEVER_BLOCK: 'ceo@example.com',
  HOOD_RETRY_BASE_SECONDS: '10',
  HOOD_MAX_ATTEMPTS: '5',
});
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const policy = {
  maxAttempts: config.hood.maxAttempts,
  retryBaseSeconds: config.hood.retryBaseSeconds,
  now: NOW,
  random: () => 0.5,
};

const one = (contact: string, reason = 'unsubscribe') => JSON.stringify({ contact, reason, source: 'table' });
const record = (body: string, priorAttempts = 0): SettleRecord => ({
  messageId: 'm-1',
  body,
  correlationId: 'c-1',
  receiveCount: 1,
  priorAttempts,
});

const created: ContactResult = { kind: 'done', outcome: 'blocked', hoodId: 'hood-7' };
const unavailable: ContactResult = { kind: 'retry', retry: 'unavailable', delaySeconds: 0, detail: 'timeout' };

/** The body through the real gate, then each contact's result (in order) through settle. */
function run(body: string, results: readonly ContactResult[], priorAttempts = 0): SettleStep[] {
  const plan = planRecord(gateDecisions(mapQueueBody(body, config.policy), config.policy));
  const rec = record(body, priorAttempts);
  const outcomes = needsHood(plan, rec, policy) ? plan.blocks.map((block, i) => ({ block, result: results[i]! })) : [];
  return settle(plan, outcomes, rec, policy);
}

const sqsActions = (steps: readonly SettleStep[]) =>
  steps.filter((s) => !['count', 'log', 'ledger_dead_lettered'].includes(s.kind)).map((s) => s.kind);
const counts = (steps: readonly SettleStep[]) => {
  const out: Record<string, number> = {};
  for (const s of steps) if (s.kind === 'count') out[s.outcome] = (out[s.outcome] ?? 0) + s.n;
  return out;
};
const deadLetters = (steps: readonly SettleStep[]) =>
  steps.flatMap((s) => (s.kind === 'dead_letter' ? s.messages : []));
const requeued = (steps: readonly SettleStep[]) => steps.flatMap((s) => (s.kind === 'requeue' ? s.messages : []));

interface Row {
  outcome: string;
  body: string;
  results: ContactResult[];
  priorAttempts?: number;
  actions: SettleStep['kind'][];
  counts: Record<string, number>;
  deadLetterReason?: string;
  requeue?: { bodies: 'original' | 'normalised'; delaySeconds: number; attempts: string };
}

const table: Row[] = [
  {
    outcome: 'Hood 201',
    body: one('jane@example.com'),
    results: [created],
    actions: ['delete'],
    counts: { blocked: 1 },
  },
  {
    outcome: 'already blocked in Hood',
    body: one('jane@example.com'),
    results: [{ kind: 'done', outcome: 'already_blocked' }],
    actions: ['delete'],
    counts: { already_blocked: 1 },
  },
  {
    outcome: 'not an opt-out (soft bounce)',
    body: one('jane@example.com', 'soft_bounce'),
    results: [],
    actions: [],
    counts: { ignored: 1 },
  },
  { outcome: 'never_block', body: one('ceo@example.com'), results: [], actions: [], counts: { ignored: 1 } },
  {
    outcome: 'malformed body',
    body: 'not json at all',
    results: [],
    actions: ['dead_letter'],
    counts: { dead_lettered: 1 },
    deadLetterReason: 'unrecognised_event',
  },
  {
    outcome: 'invalid contact',
    body: one('12345'),
    results: [],
    actions: ['dead_letter'],
    counts: { dead_lettered: 1 },
    deadLetterReason: 'invalid_contact',
  },
  {
    outcome: 'Hood 400',
    body: one('jane@example.com'),
    results: [{ kind: 'dead_letter', reason: 'hood_rejected', detail: 'HTTP 400: Bad Request', traceId: 'trace-1' }],
    actions: ['dead_letter', 'delete'],
    counts: { dead_lettered: 1 },
    deadLetterReason: 'hood_rejected',
  },
  {
    outcome: 'Hood 401/403',
    body: one('jane@example.com'),
    results: [{ kind: 'retry', retry: 'unauthorized', delaySeconds: HELD_DELAY_SECONDS, detail: 'HTTP 401' }],
    actions: ['requeue', 'delete'],
    counts: { unauthorized: 1 },
    requeue: { bodies: 'original', delaySeconds: HELD_DELAY_SECONDS, attempts: '0' },
  },
  {
    outcome: 'Hood 429',
    body: one('jane@example.com'),
    results: [{ kind: 'retry', retry: 'rate_limited', delaySeconds: 7, detail: 'Retry-After 7' }],
    actions: ['requeue', 'delete'],
    counts: { rate_limited: 1 },
    requeue: { bodies: 'original', delaySeconds: 7, attempts: '0' },
  },
  // 5xx, timeout and connection error are one result kind (`unavailable`); backoff = base × 2^attempts (jitter 0.5 → ×1).
  {
    outcome: 'Hood 5xx / timeout / connection error',
    body: one('jane@example.com'),
    results: [unavailable],
    priorAttempts: 2,
    actions: ['backoff'],
    counts: { retried: 1 },
  },
  {
    outcome: 'several contacts, some fail',
    // AWS's documented SES bounce notification naming two recipients (one message, two contacts).
    body: readFileSync('test/fixtures/ses/aws-docs-notification-bounce-without-dsn-2-recipients.json', 'utf8'),
    results: [created, unavailable],
    priorAttempts: 1,
    actions: ['requeue', 'delete'],
    counts: { blocked: 1, retried: 1 },
    requeue: { bodies: 'normalised', delaySeconds: 20, attempts: '2' },
  },
  {
    outcome: 'ledger unavailable',
    body: one('jane@example.com'),
    results: [{ kind: 'retry', retry: 'ledger_unavailable', delaySeconds: 12, detail: 'ledger unavailable' }],
    actions: ['requeue', 'delete'],
    counts: { ledger_unavailable: 1 },
    requeue: { bodies: 'original', delaySeconds: 12, attempts: '0' },
  },
  {
    outcome: 'not attempted before the deadline',
    body: one('jane@example.com'),
    results: [{ kind: 'retry', retry: 'deferred', delaySeconds: 0, detail: 'not attempted before the deadline' }],
    actions: ['requeue', 'delete'],
    counts: { deferred: 1 },
    requeue: { bodies: 'original', delaySeconds: 0, attempts: '0' },
  },
  {
    outcome: 'retries exhausted',
    body: one('jane@example.com'),
    results: [],
    priorAttempts: 5,
    actions: ['dead_letter'],
    counts: { dead_lettered: 1 },
    deadLetterReason: 'retries_exhausted',
  },
];

describe('settle: the outcome table of docs/outcomes.md', () => {
  it.each(table)('$outcome', (row) => {
    // Act
    const steps = run(row.body, row.results, row.priorAttempts);
    // Assess
    expect(sqsActions(steps)).toEqual(row.actions);
    expect(counts(steps)).toEqual(row.counts);
    const dead = deadLetters(steps);
    if (row.deadLetterReason) {
      expect(dead.map((m) => m.attributes?.reason)).toEqual([row.deadLetterReason]);
      expect(dead[0]!.body).toBe(row.body);
      expect(dead[0]!.attributes?.dead_lettered_at).toBe(new Date(NOW).toISOString());
    } else {
      expect(dead).toEqual([]);
    }
    const copies = requeued(steps);
    if (row.requeue) {
      const failedContacts = row.results.filter((r) => r.kind === 'retry').length;
      expect(copies).toHaveLength(row.requeue.bodies === 'original' ? 1 : failedContacts);
      for (const copy of copies) {
        if (row.requeue.bodies === 'original') expect(copy.body).toBe(row.body);
        else expect(JSON.parse(copy.body)).toMatchObject({ contact: 'richard@example.com', reason: 'hard_bounce' });
        expect(copy.delaySeconds).toBe(row.requeue.delaySeconds);
        expect(copy.attributes).toMatchObject({
          attempts: row.requeue.attempts,
          requeued_from: 'm-1',
          correlation_id: 'c-1',
        });
      }
    } else {
      expect(copies).toEqual([]);
    }
  });

  it('Hood 400 keeps Hood’s trace id on the dead letter', () => {
    const steps = run(one('jane@example.com'), [
      { kind: 'dead_letter', reason: 'hood_rejected', detail: 'HTTP 400', traceId: 'trace-1' },
    ]);
    expect(deadLetters(steps)[0]!.attributes).toMatchObject({
      reason: 'hood_rejected',
      trace_id: 'trace-1',
      detail: 'HTTP 400',
    });
  });

  it('Hood 201 logs Hood’s id and the masked contact, never the contact in clear', () => {
    const steps = run(one('jane.doe@example.com'), [created]);
    const logs = steps.filter((s) => s.kind === 'log');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ message: 'Blocked', fields: { outcome: 'blocked', hoodId: 'hood-7' } });
    expect(JSON.stringify(logs)).not.toContain('jane.doe@example.com');
  });

  it('Hood 5xx backs off by base × 2^attempts, jittered by the injected randomness', () => {
    const at = (random: number) => {
      const plan = planRecord(mapQueueBody(one('jane@example.com'), config.policy));
      const withResult = settle(
        plan,
        [{ block: plan.blocks[0]!, result: unavailable }],
        record(one('jane@example.com'), 2),
        { ...policy, random: () => random },
      );
      return withResult.find((s) => s.kind === 'backoff');
    };
    expect(at(0)).toEqual({ kind: 'backoff', visibilitySeconds: 32 });
    expect(at(0.5)).toEqual({ kind: 'backoff', visibilitySeconds: 40 });
    expect(at(0.999)).toEqual({ kind: 'backoff', visibilitySeconds: 48 });
  });

  it('a throttled or held record never moves towards the DLQ: its copy keeps the attempts it had', () => {
    for (const retry of ['rate_limited', 'unauthorized', 'deferred'] as const) {
      const steps = run(one('jane@example.com'), [{ kind: 'retry', retry, delaySeconds: 3 }], 3);
      expect(deadLetters(steps)).toEqual([]);
      expect(requeued(steps)[0]!.attributes?.attempts).toBe('3');
    }
  });

  it('dry run: the shadow Hood’s would-be block settles like a 201 (the consumer relabels the metric)', async () => {
    // Prepare
    const answer = await createDryRunHood(captureLog()).createBlockedContact({
      contact: 'jane@example.com',
      description: 'x',
    });
    expect(answer.kind).toBe('created');
    const result: ContactResult = {
      kind: 'done',
      outcome: 'blocked',
      hoodId: answer.kind === 'created' ? answer.id : undefined,
    };
    // Act
    const steps = run(one('jane@example.com'), [result]);
    // Assess
    expect(sqsActions(steps)).toEqual(['delete']);
    expect(counts(steps)).toEqual({ blocked: 1 });
  });
});
