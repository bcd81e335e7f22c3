import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_INSTANT_MS, stampSampleTime } from '../../cli/send-test-time.js';
import { DEFAULT_SMS_OPT_OUT_KEYWORDS } from '../../lib/config.js';
import { mapProvider } from '../../lib/mapping/provider.js';
import { formFields } from '../../lib/providers/shared/body.js';
import { WEBHOOK_PROVIDERS } from '../../lib/webhook/ingress.js';

const EXAMPLES = new URL('../../examples/', import.meta.url);
const NOW_MS = Date.UTC(2026, 6, 14, 9, 26, 53, 589);
const POLICY = { smsOptOutKeywords: new Set(DEFAULT_SMS_OPT_OUT_KEYWORDS) };

function exampleText(provider: string): string {
  const name = provider === 'twilio' ? 'twilio.form' : `${provider}.json`;
  return readFileSync(new URL(name, EXAMPLES), 'utf8');
}

/** A webhook provider's example as its mapper reads it (the SNS sample carries an SES notification). */
function mapExample(provider: string, text: string) {
  if (provider === 'twilio') return mapProvider('twilio', formFields(text), POLICY);
  if (provider === 'sns') return mapProvider('ses', JSON.parse(text), POLICY);
  const payload = JSON.parse(text) as Record<string, unknown>;
  return mapProvider(provider as 'generic', provider === 'mailgun' ? payload['event-data'] : payload, POLICY);
}

describe('stampSampleTime (issue 21, item 6)', () => {
  it.each(WEBHOOK_PROVIDERS.map((p) => [p]))('%s: every time the mapper reads is now', (provider) => {
    // Prepare
    const text = exampleText(provider);

    // Act
    const decisions = mapExample(provider, stampSampleTime(text, NOW_MS));

    // Assess: the sample still blocks, and no decision is older than the stamp (latency from the event).
    expect(decisions.some((d) => d.action === 'block')).toBe(true);
    for (const d of decisions) {
      if (d.action === 'block' && d.occurredAt !== undefined)
        expect(Math.abs(Date.parse(d.occurredAt) - NOW_MS)).toBeLessThan(1000);
    }
  });

  it.each(WEBHOOK_PROVIDERS.map((p) => [p]))('%s: no trace of the instant the sample was written at', (provider) => {
    // Act
    const stamped = stampSampleTime(exampleText(provider), NOW_MS);

    // Assess
    expect(stamped).not.toMatch(/2026-01-01[T ]00:00:00/u);
    expect(stamped).not.toContain(String(SAMPLE_INSTANT_MS / 1000));
  });

  it.each([
    ['ISO with milliseconds', '"2026-01-01T00:00:00.000Z"', '"2026-07-14T09:26:53.589Z"'],
    ['ISO without', '"2026-01-01T00:00:00Z"', '"2026-07-14T09:26:53Z"'],
    ['a space and no zone (UTC)', '"2026-01-01 00:00:00"', '"2026-07-14 09:26:53"'],
    ['epoch seconds', '1767225600', '1784021213'],
    ['epoch seconds as a float', '1767225600.0', '1784021213'],
    ['epoch milliseconds', '1767225600000', '1784021213589'],
    ['another number', '17672256001', '17672256001'],
  ])('rewrites %s', (_, sample, expected) => {
    // Act
    const stamped = stampSampleTime(sample, NOW_MS);

    // Assess
    expect(stamped).toBe(expected);
  });
});
