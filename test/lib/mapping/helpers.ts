import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBody } from '../../../cli/extract.js';
import { DEFAULT_SMS_OPT_OUT_KEYWORDS } from '../../../lib/config.js';
import type { MappingPolicy } from '../../../lib/mapping/index.js';
import type { Decision } from '../../../lib/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export const policy: MappingPolicy = { smsOptOutKeywords: new Set(DEFAULT_SMS_OPT_OUT_KEYWORDS) };

const parsedFixtures = new Map<string, unknown>();

/**
 * A fixture as a handler would receive it (parsed JSON, or a form body as an object of strings), as a
 * structuredClone of the parsed file: each test builds its own variant without touching the others'.
 */
export function fixture<T = any>(path: string): T {
  if (!parsedFixtures.has(path)) {
    const parsed = parseBody(readFileSync(`${FIXTURES}${path}`, 'utf8'));
    if (parsed === undefined) throw new Error(`fixture ${path} is neither JSON nor form-encoded`);
    parsedFixtures.set(path, parsed);
  }
  return structuredClone(parsedFixtures.get(path)) as T;
}

/** The (contact, reason) pairs of the block decisions, sorted: what expected.json lists. */
export function blocks(decisions: readonly Decision[]): Array<{ contact: string; reason: string }> {
  return decisions
    .flatMap((d) => (d.action === 'block' ? [{ contact: d.contact, reason: d.reason }] : []))
    .sort((a, b) => {
      const [x, y] = [`${a.contact} ${a.reason}`, `${b.contact} ${b.reason}`];
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

export function only<A extends Decision['action']>(
  decisions: readonly Decision[],
  action: A,
): Array<Extract<Decision, { action: A }>> {
  return decisions.filter((d): d is Extract<Decision, { action: A }> => d.action === action);
}

/** Wraps an AWS payload the way SNS does for non-raw delivery (Message is a JSON string). */
export function snsEnvelope(message: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-feedback',
    Subject: null,
    Message: typeof message === 'string' ? message : `${JSON.stringify(message)}\n`,
    Timestamp: '2016-01-27T14:59:38.237Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
    ...overrides,
  };
}
