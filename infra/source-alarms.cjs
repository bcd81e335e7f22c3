'use strict';

// osls `${file(./infra/source-alarms.cjs):resources}` for serverless.yml: the alarms that hear a source go
// quiet, decided at packaging time from deploy params (no Fn::If, no empty branch):
// - QuietSource<Name>Alarm per `expectedSources=<source>:<hours>,…` (off by default): nothing from that source
//   for <hours> (1–168) consecutive hours — a deleted subscription, a changed webhook URL. A source is any name
//   of the provider registry: a webhook provider (counted by the webhook, `webhook_requests`) or an AWS-native
//   source AWS delivers to the block queue itself (ses, aws-sms, eventbridge; counted by the consumer,
//   `source_events`). The alarm sums both metrics, and each event is counted once: the consumer counts only
//   records that did not come through our ingress (those carry a normalised message).
// - SignatureFailures<Name>Alarm per webhook provider: `webhook_unauthorized` reached
//   `signatureFailureAlarmThreshold` (default 5) in 5 minutes — typically a rotated secret.
// - NoRetry5xx<Name>Alarm per provider whose webhook declares it does not retry a 5xx (dist/webhook-routes.json
//   `noRetry`, from the provider's own folder): the first 5xx the webhook answered it.
// The metrics are EMF counts (namespace HoodBlocker, dimensions service, provider): the webhook's per request, the
// consumer's `source_events` per AWS-delivered record.

const { buildOutput, param } = require('./packaging.cjs');

const SERVICE = 'hood-blocker';
const MAX_QUIET_HOURS = 168;
const DEFAULT_SIGNATURE_THRESHOLD = 5;

function routes() {
  const parsed = buildOutput();
  const providers = parsed.providers ?? [];
  return { providers, sources: parsed.sources ?? providers, noRetry: parsed.noRetry ?? [] };
}

/** `ses:24,sendgrid:24` → [{ name, hours }], every name one of `sources`, hours an integer 1–168. */
function parseExpectedSources(text, sources) {
  if (text === '') return [];
  const seen = new Set();
  return text.split(',').map((entry) => {
    const [rawName, rawHours, extra] = entry.trim().split(':');
    const name = (rawName ?? '').trim();
    if (extra !== undefined || rawHours === undefined) {
      throw new Error(`--param expectedSources: "${entry.trim()}" is not <source>:<hours>`);
    }
    if (!sources.includes(name)) {
      throw new Error(
        `--param expectedSources: unknown source "${name}" (sources: ${sources.join(', ')}; SES feedback ` +
          'posted to /webhooks/sns is "sns", SES delivered to the queue by SNS or EventBridge is "ses")',
      );
    }
    const hours = Number(rawHours.trim());
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_QUIET_HOURS) {
      throw new Error(
        `--param expectedSources: ${name}: "${rawHours.trim()}" is not a whole number of hours from 1 to ${MAX_QUIET_HOURS}`,
      );
    }
    if (seen.has(name)) throw new Error(`--param expectedSources: ${name} is listed twice`);
    seen.add(name);
    return { name, hours };
  });
}

function signatureThreshold(value) {
  if (value === '') return DEFAULT_SIGNATURE_THRESHOLD;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new Error(`--param signatureFailureAlarmThreshold: "${value}" is not an integer from 1 to 1000000`);
  }
  return n;
}

const logicalName = (name) =>
  name
    .split(/[^a-z0-9]+/u)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

const dimensions = (provider) => [
  { Name: 'service', Value: SERVICE },
  { Name: 'provider', Value: provider },
];

/** The metric an alarm watches: one metric's sum, or (props.metrics) the sum of several, missing as 0. */
function watched(props) {
  if (props.metrics === undefined) {
    return {
      Namespace: 'HoodBlocker',
      MetricName: props.metric,
      Dimensions: dimensions(props.provider),
      Statistic: 'Sum',
      Period: props.period,
    };
  }
  const ids = props.metrics.map((_, i) => `m${i}`);
  return {
    Metrics: [
      ...props.metrics.map((metric, i) => ({
        Id: ids[i],
        MetricStat: {
          Metric: { Namespace: 'HoodBlocker', MetricName: metric, Dimensions: dimensions(props.provider) },
          Period: props.period,
          Stat: 'Sum',
        },
        ReturnData: false,
      })),
      // FILL: an hour one metric has no datapoint counts 0 for it; an hour neither has stays missing (breaching).
      {
        Id: 'events',
        Expression: `SUM([${ids.map((id) => `FILL(${id}, 0)`).join(', ')}])`,
        Label: `${props.provider} events`,
        ReturnData: true,
      },
    ],
  };
}

function alarm(stage, id, props, actions) {
  return {
    [id]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${SERVICE}-${stage}-${props.suffix}`,
        AlarmDescription: props.description,
        ...watched(props),
        EvaluationPeriods: props.periods,
        DatapointsToAlarm: props.periods,
        Threshold: props.threshold,
        ComparisonOperator: props.operator,
        TreatMissingData: props.missing,
        AlarmActions: actions,
        OKActions: actions,
      },
    },
  };
}

/** The `expectedSources` param, validated: [{ name, hours }] (the dashboard's last-seen widget lists them too). */
async function expectedSources({ resolveVariable }) {
  return parseExpectedSources(await param(resolveVariable, 'expectedSources'), routes().sources);
}

/**
 * The ExpectedSources stack output: `ses:24,sendgrid:24` as validated, or `none` (an output cannot be empty).
 * `check --stack` reads it to say which expected source is quiet.
 */
async function expectedSourcesOutput(options) {
  const expected = await expectedSources(options);
  return expected.length === 0 ? 'none' : expected.map(({ name, hours }) => `${name}:${hours}`).join(',');
}

/** Every generated alarm: { logicalId: resource }. */
async function alarms({ resolveVariable }) {
  const stage = String(await resolveVariable('sls:stage'));
  const { providers, noRetry } = routes();
  const expected = await expectedSources({ resolveVariable });
  const threshold = signatureThreshold(await param(resolveVariable, 'signatureFailureAlarmThreshold'));
  const external = await param(resolveVariable, 'alarmTopicArn');
  const actions = external === '' ? [{ Ref: 'AlarmTopic' }] : [{ Ref: 'AlarmTopic' }, external];
  const out = {};
  for (const { name, hours } of expected) {
    Object.assign(
      out,
      alarm(
        stage,
        `QuietSource${logicalName(name)}Alarm`,
        {
          suffix: `quiet-source-${name}`,
          description: `Nothing from ${name} for ${hours} h: check the provider's webhook or subscription (docs/operate.md "Quiet source").`,
          // Webhook requests plus records AWS delivered to the queue itself: one event is never in both.
          metrics: ['webhook_requests', 'source_events'],
          provider: name,
          // Hourly sums, every one of the last <hours> empty; no data at all is the quiet this alarm is for.
          period: 3600,
          periods: hours,
          threshold: 0,
          operator: 'LessThanOrEqualToThreshold',
          missing: 'breaching',
        },
        actions,
      ),
    );
  }
  for (const name of providers) {
    Object.assign(
      out,
      alarm(
        stage,
        `SignatureFailures${logicalName(name)}Alarm`,
        {
          suffix: `signature-failures-${name}`,
          description: `${threshold}+ ${name} requests failed authentication in 5 minutes: a rotated or wrong secret? (docs/operate.md "Signature failures").`,
          metric: 'webhook_unauthorized',
          provider: name,
          period: 300,
          periods: 1,
          threshold,
          operator: 'GreaterThanOrEqualToThreshold',
          missing: 'notBreaching',
        },
        actions,
      ),
    );
  }
  for (const name of noRetry.filter((n) => providers.includes(n))) {
    Object.assign(
      out,
      alarm(
        stage,
        `NoRetry5xx${logicalName(name)}Alarm`,
        {
          suffix: `no-retry-5xx-${name}`,
          description: `The webhook answered ${name} 5xx; ${name} does not retry, so that event may be lost (docs/operate.md "5xx to a provider that does not retry").`,
          metric: 'webhook_failed',
          provider: name,
          period: 60,
          periods: 1,
          threshold: 0,
          operator: 'GreaterThanThreshold',
          missing: 'notBreaching',
        },
        actions,
      ),
    );
  }
  return out;
}

/** serverless.yml `resources` entry: `{ Resources: … }`. */
async function resources(options) {
  return { Resources: await alarms(options) };
}

/** The generated alarms' logical ids (the dashboard's alarm widget lists them). */
async function alarmIds(options) {
  return Object.keys(await alarms(options));
}

module.exports = {
  resources,
  alarmIds,
  expectedSources,
  expectedSourcesOutput,
  parseExpectedSources,
  MAX_QUIET_HOURS,
  DEFAULT_SIGNATURE_THRESHOLD,
};
