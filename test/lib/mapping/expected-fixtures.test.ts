import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASONS, type Decision } from '../../../lib/types.js';
import { gateDecisions } from '../../../lib/policy/index.js';
import { mapQueueBody } from '../../../lib/mapping/index.js';
import { detectSource, mapProvider, type SourceName } from '../../../lib/mapping/provider.js';
import { blocks, FIXTURES, fixture, policy } from './helpers.js';

interface ExpectedCase {
  file: string;
  expected_block: Array<{ contact: string; reason: string }>;
  /** Dead letters the payload must produce (a person decides), e.g. ambiguous_recipient. */
  expected_reject?: Array<{ reason: string }>;
  notes?: string;
}

const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as { cases: ExpectedCase[] };

// Every reason blocks here, group_unsubscribe included, so the comparison sees every block decision.
const ALL_REASONS = new Set(REASONS);

// The provider each fixture folder holds; sqs/ holds Lambda SQS events, mapped record by record.
const FOLDER_SOURCE: Record<string, SourceName | 'sqs'> = {
  ses: 'ses',
  sns: 'sns',
  sqs: 'sqs',
  sendgrid: 'sendgrid',
  twilio: 'twilio',
  mailgun: 'mailgun',
  mandrill: 'mandrill',
  postmark: 'postmark',
  'resend-svix': 'resend',
  brevo: 'brevo',
  sparkpost: 'sparkpost',
  'aws-sms': 'aws-sms',
  vonage: 'vonage',
};

function mapFixture(payload: any, source: SourceName | 'sqs'): Decision[] {
  if (source === 'sqs') return payload.Records.flatMap((r: { body: string }) => mapQueueBody(r.body, policy));
  return mapProvider(source, payload, policy);
}

describe('expected.json', () => {
  it('has cases to check', () => {
    // Assess
    expect(expected.cases.length).toBeGreaterThan(20);
  });

  describe.each(expected.cases.map((c) => [c.file, c] as const))('%s', (file, testCase) => {
    const folder = file.split('/')[0]!;
    const source = FOLDER_SOURCE[folder];

    it('blocks exactly the expected (contact, reason) pairs', () => {
      // Prepare
      const payload = fixture(file);

      // Act
      const decisions = gateDecisions(mapFixture(payload, source!), { blockReasons: ALL_REASONS });

      // Assess
      expect(blocks(decisions)).toEqual(
        blocks(testCase.expected_block.map((b) => ({ action: 'block', source: 'x', ...b }) as Decision)),
      );
    });

    it('is recognised by auto-detection as its provider', () => {
      // Prepare
      const payload = fixture(file);

      // Act
      const detected = source === 'sqs' ? 'sqs' : detectSource(payload);

      // Assess
      expect(detected).toBe(source);
    });

    it('accounts for the payload with at least one decision, and rejects only what it lists', () => {
      // Prepare
      const payload = fixture(file);

      // Act
      const decisions = mapFixture(payload, source!);

      // Assess
      expect(decisions.length).toBeGreaterThan(0);
      expect(decisions.filter((d) => d.action === 'reject').map((d) => ({ reason: d.reason }))).toEqual(
        testCase.expected_reject ?? [],
      );
    });
  });
});
