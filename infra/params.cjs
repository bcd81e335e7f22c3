'use strict';

// osls `${file(./infra/params.cjs):…}` resolvers for serverless.yml: values derived from deploy params and the
// stage at package time, offline. CloudFormation conditions cannot match a prefix ("dev*") or multiply, so
// those derivations live here; each one validates its input and fails packaging with the param's name.

const { param } = require('./packaging.cjs');

/** Stages that are disposable by name: no deletion protection unless the param asks for it. */
const DISPOSABLE_STAGE = /^(dev|test)|^ci$/u;

function bool(name, value) {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`--param ${name}: "${value}" is not true or false`);
}

function positiveInt(name, value, max) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--param ${name}: "${value}" is not an integer from 1 to ${max}`);
  return n;
}

/**
 * DynamoDB deletion protection of the ledger table: on for every stage except `dev*`, `test*` and `ci`;
 * `ledgerDeletionProtection=true|false` overrides the rule for any stage.
 */
async function ledgerDeletionProtection({ resolveVariable }) {
  const override = await param(resolveVariable, 'ledgerDeletionProtection');
  if (override !== '') return bool('ledgerDeletionProtection', override);
  const stage = String(await resolveVariable('sls:stage'));
  return !DISPOSABLE_STAGE.test(stage);
}

/** `hoodDryRun` as the exact string the consumer's HOOD_DRY_RUN and the HoodDryRun output carry. */
async function hoodDryRun({ resolveVariable }) {
  return bool('hoodDryRun', (await param(resolveVariable, 'hoodDryRun')) || 'false') ? 'true' : 'false';
}

/** The opt-out latency alarm threshold: the param is in seconds, the metric `optout_latency_ms` in milliseconds. */
async function optOutLatencyThresholdMs({ resolveVariable }) {
  return (
    positiveInt(
      'optOutLatencyAlarmSeconds',
      await param(resolveVariable, 'optOutLatencyAlarmSeconds'),
      14 * 24 * 3600,
    ) * 1000
  );
}

/** Reserved concurrency for the webhook function: `0` (default) reserves nothing; otherwise a cap. */
async function webhookReservedConcurrency({ resolveVariable }) {
  const value = (await param(resolveVariable, 'webhookReservedConcurrency')) || '0';
  if (value === '0') return 0;
  return positiveInt('webhookReservedConcurrency', value, 10_000);
}

/**
 * The webhook function's extra Properties: `ReservedConcurrentExecutions` only when the param reserves some,
 * else nothing. Decided here, not with a condition, because the value is known at packaging time (a condition
 * that always answers the same is cfn-lint W8003).
 */
async function webhookFunctionProperties(options) {
  const reserved = await webhookReservedConcurrency(options);
  return reserved > 0 ? { ReservedConcurrentExecutions: reserved } : {};
}

/** `resources` fragment: the alarm topic's e-mail subscription when `alarmEmail` is set, else no resource. */
async function alarmEmailResources({ resolveVariable }) {
  const email = await param(resolveVariable, 'alarmEmail');
  if (email === '') return { Resources: {} };
  return {
    Resources: {
      AlarmEmailSubscription: {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email },
      },
    },
  };
}

/**
 * Every alarm's actions: the stack's AlarmTopic, plus `alarmTopicArn` only when it is set. Decided here rather
 * than with `Fn::If` so that an unset param leaves no `''` branch in the template (cfn-lint E3033).
 */
async function alarmActions({ resolveVariable }) {
  const external = await param(resolveVariable, 'alarmTopicArn');
  if (external !== '' && !/^arn:[^:]+:sns:[^:]+:\d{12}:[^:]+$/u.test(external)) {
    throw new Error(`--param alarmTopicArn: "${external}" is not an SNS topic ARN`);
  }
  return external === '' ? [{ Ref: 'AlarmTopic' }] : [{ Ref: 'AlarmTopic' }, external];
}

module.exports = {
  alarmActions,
  ledgerDeletionProtection,
  hoodDryRun,
  optOutLatencyThresholdMs,
  webhookReservedConcurrency,
  webhookFunctionProperties,
  alarmEmailResources,
  DISPOSABLE_STAGE,
};
