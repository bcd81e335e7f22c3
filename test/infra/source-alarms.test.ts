import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBundles, oslsPackage } from './osls.js';

// A source that goes quiet (issue 21 item 9): the alarms infra/source-alarms.cjs generates at packaging time.

const require = createRequire(import.meta.url);
const { parseExpectedSources } = require('../../infra/source-alarms.cjs') as {
  parseExpectedSources: (text: string, providers: string[]) => Array<{ name: string; hours: number }>;
};
const PROVIDERS = ['sns', 'sendgrid', 'twilio'];

interface Alarm {
  Type: string;
  Properties: Record<string, any>;
}
let workDir: string;
let configured: { Resources: Record<string, Alarm> };

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'hood-blocker-source-alarms-'));
  await ensureBundles();
  configured = await oslsPackage(workDir, 'configured', [
    'expectedSources=sns:24,sendgrid:168',
    'signatureFailureAlarmThreshold=7',
  ]);
}, 180_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('expectedSources', () => {
  it('reads <provider>:<hours> pairs', () => {
    expect(parseExpectedSources('sns:24, sendgrid:168', PROVIDERS)).toEqual([
      { name: 'sns', hours: 24 },
      { name: 'sendgrid', hours: 168 },
    ]);
  });

  it('is off when empty', () => {
    expect(parseExpectedSources('', PROVIDERS)).toEqual([]);
  });

  it.each([
    ['ses:24', /unknown source "ses"/u],
    ['sns:169', /from 1 to 168/u],
    ['sns:0', /from 1 to 168/u],
    ['sns:1.5', /whole number/u],
    ['sns', /not <source>:<hours>/u],
    ['sns:24,sns:12', /listed twice/u],
  ])('refuses %s with a clear message', (text, message) => {
    expect(() => parseExpectedSources(text, PROVIDERS)).toThrow(message);
  });

  it('fails packaging with the param name for an unknown source', async () => {
    await expect(oslsPackage(workDir, 'unknown', ['expectedSources=nosuch:24'])).rejects.toThrow(
      /expectedSources: unknown source "nosuch"/u,
    );
  }, 120_000);
});

describe('generated alarms', () => {
  it('alarms when an expected source sent no webhook request for its hours', () => {
    const quiet = configured.Resources.QuietSourceSendgridAlarm?.Properties;
    expect(quiet).toMatchObject({
      Namespace: 'HoodBlocker',
      MetricName: 'webhook_requests',
      Dimensions: [
        { Name: 'service', Value: 'hood-blocker' },
        { Name: 'provider', Value: 'sendgrid' },
      ],
      Period: 3600,
      EvaluationPeriods: 168,
      DatapointsToAlarm: 168,
      Threshold: 0,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
    expect(configured.Resources.QuietSourceSnsAlarm?.Properties.EvaluationPeriods).toBe(24);
    expect(Object.keys(configured.Resources).filter((id) => id.startsWith('QuietSource'))).toHaveLength(2);
  });

  it('alarms per provider on signature failures at the configured threshold', () => {
    const twilio = configured.Resources.SignatureFailuresTwilioAlarm?.Properties;
    expect(twilio).toMatchObject({ MetricName: 'webhook_unauthorized', Threshold: 7, Period: 300 });
  });

  it('alarms on the first 5xx answered to a provider that does not retry (declared in its folder)', () => {
    const ids = Object.keys(configured.Resources).filter((id) => id.startsWith('NoRetry5xx'));
    expect(ids).toEqual(['NoRetry5xxTwilioAlarm']);
    expect(configured.Resources.NoRetry5xxTwilioAlarm?.Properties).toMatchObject({
      MetricName: 'webhook_failed',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when a blocked contact opted back in (resubscribed)', () => {
    expect(configured.Resources.ResubscribedAlarm?.Properties).toMatchObject({
      MetricName: 'resubscribed',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});
