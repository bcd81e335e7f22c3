import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_NAMES } from '../../lib/providers/index.js';
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
    'expectedSources=sns:24,sendgrid:168,ses:24',
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

  it('accepts an AWS-native source (SES delivered to the queue) when it is among the names given', () => {
    expect(parseExpectedSources('ses:24,aws-sms:48', [...PROVIDERS, 'ses', 'aws-sms'])).toEqual([
      { name: 'ses', hours: 24 },
      { name: 'aws-sms', hours: 48 },
    ]);
  });

  it.each([
    ['ses:24', /unknown source "ses"/u],
    ['nosuch:24', /unknown source "nosuch"/u],
    ['sns:169', /from 1 to 168/u],
    ['sns:0', /from 1 to 168/u],
    ['sns:1.5', /whole number/u],
    ['sns', /not <source>:<hours>/u],
    ['sns:24,sns:12', /listed twice/u],
  ])('refuses %s with a clear message', (text, message) => {
    expect(() => parseExpectedSources(text, PROVIDERS)).toThrow(message);
  });

  it('knows every source name of the provider registry at packaging time (dist/webhook-routes.json)', () => {
    const routes = JSON.parse(readFileSync(join('dist', 'webhook-routes.json'), 'utf8')) as { sources: string[] };
    expect(routes.sources).toEqual([...SOURCE_NAMES]);
    expect(routes.sources).toEqual(expect.arrayContaining(['ses', 'aws-sms', 'eventbridge', 'sns']));
  });

  it('fails packaging with the param name for an unknown source', async () => {
    await expect(oslsPackage(workDir, 'unknown', ['expectedSources=nosuch:24'])).rejects.toThrow(
      /expectedSources: unknown source "nosuch"/u,
    );
  }, 120_000);
});

describe('generated alarms', () => {
  /** The quiet-source alarm's metrics: [metric name, provider, period] per metric, and the summing expression. */
  const summed = (id: string) => {
    const metrics = configured.Resources[id]?.Properties.Metrics as Array<Record<string, any>>;
    return {
      metrics: metrics
        .filter((m) => m.MetricStat)
        .map((m) => [
          m.MetricStat.Metric.Namespace,
          m.MetricStat.Metric.MetricName,
          m.MetricStat.Metric.Dimensions,
          m.MetricStat.Period,
          m.MetricStat.Stat,
          m.ReturnData,
        ]),
      expression: metrics.find((m) => m.ReturnData === true)?.Expression as string,
    };
  };
  const dims = (provider: string) => [
    { Name: 'service', Value: 'hood-blocker' },
    { Name: 'provider', Value: provider },
  ];

  it('alarms when an expected source sent nothing for its hours, webhook requests and queued AWS events summed', () => {
    const quiet = configured.Resources.QuietSourceSendgridAlarm?.Properties;
    expect(summed('QuietSourceSendgridAlarm')).toEqual({
      metrics: [
        ['HoodBlocker', 'webhook_requests', dims('sendgrid'), 3600, 'Sum', false],
        ['HoodBlocker', 'source_events', dims('sendgrid'), 3600, 'Sum', false],
      ],
      expression: 'SUM([FILL(m0, 0), FILL(m1, 0)])',
    });
    expect(quiet).toMatchObject({
      EvaluationPeriods: 168,
      DatapointsToAlarm: 168,
      Threshold: 0,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
    expect(configured.Resources.QuietSourceSnsAlarm?.Properties.EvaluationPeriods).toBe(24);
    expect(Object.keys(configured.Resources).filter((id) => id.startsWith('QuietSource'))).toHaveLength(3);
  });

  it('alarms when SES, which reaches the queue without the webhook, sends nothing for its hours', () => {
    const quiet = configured.Resources.QuietSourceSesAlarm?.Properties;
    expect(summed('QuietSourceSesAlarm').metrics.map((m) => [m[1], m[2]])).toEqual([
      ['webhook_requests', dims('ses')],
      ['source_events', dims('ses')],
    ]);
    expect(quiet).toMatchObject({
      AlarmName: 'hood-blocker-ci-quiet-source-ses',
      EvaluationPeriods: 24,
      Threshold: 0,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('tells check --stack the expected sources in the ExpectedSources output', () => {
    expect(
      (configured as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs.ExpectedSources?.Value,
    ).toBe('sns:24,sendgrid:168,ses:24');
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
