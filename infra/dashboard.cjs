'use strict';

// osls `${file(./infra/dashboard.cjs):body}` resolver: the CloudWatch dashboard body of serverless.yml as one
// `Fn::Sub`, so resource names and the region are filled in by CloudFormation. Widget and metric JSON follow
// "Dashboard Body Structure and Syntax" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
// Metric names are the consumer's outcome counters and the ingress's webhook_* counters (EMF, namespace
// HoodBlocker, dimension service=hood-blocker; webhook counters also by provider).

const NAMESPACE = 'HoodBlocker';
// The dashboard's heading line under the stack name (the hoodDryRun deploy param).
const SHADOW_MODE =
  '**SHADOW MODE (HOOD_DRY_RUN=true): nothing is sent to Hood.** "Would block" counts what a live stack would have blocked.';
const LIVE = 'Live: block requests are sent to Hood.';
const SERVICE = 'hood-blocker';

/** Every alarm of serverless.yml, shown in the dashboard's alarm-status widget (the infra test checks the list). */
const ALARMS = [
  'DeadLetterQueueNotEmptyAlarm',
  'BlockQueueOldestMessageAlarm',
  'HoodUnauthorizedAlarm',
  'BlockContactsErrorsAlarm',
  'BlockContactsThrottlesAlarm',
  'WebhookErrorsAlarm',
  'WebhookFailedAlarm',
  'HttpApi5xxAlarm',
  'OptOutLatencyAlarm',
  'BulkDeadLetterQueueNotEmptyAlarm',
  'BulkQueueNearRetentionAlarm',
  'ResubscribedAlarm',
];

const own = (metric, label, extra = {}) => [NAMESPACE, metric, 'service', SERVICE, { label, ...extra }];
const queue = (metric, logicalId, label) => ['AWS/SQS', metric, 'QueueName', `\${${logicalId}.QueueName}`, { label }];
const search = (metrics, id, stat = 'Sum', period = 60) => ({
  expression: `SEARCH('{${NAMESPACE},provider,service} MetricName=(${metrics.map((m) => `"${m}"`).join(' OR ')})', '${stat}', ${period})`,
  id,
});

function widget(x, y, width, height, title, properties) {
  return {
    type: 'metric',
    x,
    y,
    width,
    height,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stacked: false, period: 60, ...properties },
  };
}

/**
 * Last seen per source: hourly event counts over a week, every source that sent anything (webhook requests and
 * records AWS delivered to the queue, the two metrics the quiet-source alarms sum) plus one line per expected
 * source, shown even while it has never sent. A source's last bar is its last-seen hour.
 */
function lastSeenWidget(expected) {
  const perExpected = expected.flatMap(({ name, hours }) => [
    [
      NAMESPACE,
      'webhook_requests',
      'service',
      SERVICE,
      'provider',
      name,
      { label: `${name} webhook (expected every ${hours} h)` },
    ],
    [
      NAMESPACE,
      'source_events',
      'service',
      SERVICE,
      'provider',
      name,
      { label: `${name} via queue (expected every ${hours} h)` },
    ],
  ]);
  return widget(0, 32, 24, 6, 'Last seen per source (events per hour, 7 days)', {
    stat: 'Sum',
    period: 3600,
    start: '-PT168H',
    metrics: [
      [{ ...search(['webhook_requests', 'source_events'], 'sources', 'Sum', 3600), label: 'all sources' }],
      ...perExpected,
    ],
  });
}

/**
 * `generated`: the alarms infra/source-alarms.cjs adds for this stage's params; `expected`: its expectedSources;
 * `dryRun`: the hoodDryRun param, decided at packaging time (no condition in the template).
 */
function body(generated = [], { expected = [], dryRun = false } = {}) {
  const widgets = [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: { markdown: `# hood-blocker \${AWS::StackName}\n${dryRun ? SHADOW_MODE : LIVE}` },
    },
    widget(0, 2, 12, 6, 'Queue depth (messages visible)', {
      stat: 'Maximum',
      metrics: [
        queue('ApproximateNumberOfMessagesVisible', 'BlockQueue', 'live queue'),
        queue('ApproximateNumberOfMessagesVisible', 'BulkQueue', 'bulk queue'),
        queue('ApproximateNumberOfMessagesVisible', 'BlockDeadLetterQueue', 'live DLQ'),
        queue('ApproximateNumberOfMessagesVisible', 'BulkDeadLetterQueue', 'bulk DLQ'),
      ],
    }),
    widget(12, 2, 12, 6, 'Oldest message age (s)', {
      stat: 'Maximum',
      metrics: [
        queue('ApproximateAgeOfOldestMessage', 'BlockQueue', 'live queue'),
        queue('ApproximateAgeOfOldestMessage', 'BulkQueue', 'bulk queue'),
      ],
    }),
    widget(0, 8, 12, 6, 'Outcomes per minute', {
      stat: 'Sum',
      metrics: [
        own('blocked', 'blocked'),
        own('already_blocked', 'already blocked'),
        own('ignored', 'ignored'),
        own('dead_lettered', 'dead-lettered'),
        own('dry_run_blocked', 'would block (shadow mode)'),
        own('resubscribed', 'opted back in after a block'),
      ],
    }),
    widget(12, 8, 12, 6, 'Hood 429s and token rejections per minute', {
      stat: 'Sum',
      metrics: [
        own('rate_limited', 'Hood 429'),
        own('unauthorized', 'Hood 401/403'),
        own('retried', 'retried (5xx, timeout)'),
      ],
    }),
    widget(0, 14, 12, 6, 'Webhook requests by provider', {
      stat: 'Sum',
      metrics: [[search(['webhook_requests'], 'requests')]],
    }),
    widget(12, 14, 12, 6, 'Webhook answers other than 200 by provider (5xx, 401, 400)', {
      stat: 'Sum',
      metrics: [[search(['webhook_failed', 'webhook_unauthorized', 'webhook_bad_request'], 'errors')]],
    }),
    widget(0, 20, 8, 6, 'Shadow mode: would have blocked', {
      stat: 'Sum',
      metrics: [own('dry_run_blocked', 'dry_run_blocked')],
    }),
    widget(8, 20, 8, 6, 'Opt-out latency, live events (ms)', {
      metrics: [
        own('optout_latency_ms', 'p50', { stat: 'p50' }),
        own('optout_latency_ms', 'p95', { stat: 'p95' }),
        own('optout_latency_ms', 'max', { stat: 'Maximum' }),
      ],
    }),
    widget(16, 20, 8, 6, 'Lambda errors, throttles and API 5xx', {
      stat: 'Sum',
      metrics: [
        ['AWS/Lambda', 'Errors', 'FunctionName', '${BlockContactsLambdaFunction}', { label: 'consumer errors' }],
        ['AWS/Lambda', 'Throttles', 'FunctionName', '${BlockContactsLambdaFunction}', { label: 'consumer throttles' }],
        ['AWS/Lambda', 'Errors', 'FunctionName', '${WebhookLambdaFunction}', { label: 'webhook errors' }],
        ['AWS/ApiGateway', '5xx', 'ApiId', '${HttpApi}', { label: 'HTTP API 5xx' }],
      ],
    }),
    // Hood's parallel cap as learned (lib/pacing/parallel-cap.ts): the cap in use, and the `Retry-After: -1` answers
    // that step it back (at most about one per probe interval per account).
    widget(0, 26, 12, 6, 'Learned parallel cap (Hood calls in flight)', {
      metrics: [
        own('hood_parallel_cap', 'learned cap (max)', { stat: 'Maximum' }),
        own('hood_parallel_cap', 'learned cap (min)', { stat: 'Minimum' }),
      ],
    }),
    widget(12, 26, 12, 6, 'Hood 429 Retry-After: -1 (too many in flight) per minute', {
      stat: 'Sum',
      metrics: [own('hood_parallel_limited', 'Retry-After: -1')],
    }),
    lastSeenWidget(expected),
    {
      type: 'alarm',
      x: 0,
      y: 38,
      width: 24,
      height: 4,
      properties: {
        title: 'Alarms',
        alarms: [...ALARMS, ...generated].map(
          (id) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:\${${id}}`,
        ),
      },
    },
  ];
  return { 'Fn::Sub': JSON.stringify({ widgets }) };
}

module.exports = {
  body: async (options) => {
    const sources = require('./source-alarms.cjs');
    return body(await sources.alarmIds(options), {
      expected: await sources.expectedSources(options),
      dryRun: (await require('./params.cjs').hoodDryRun(options)) === 'true',
    });
  },
  ALARMS,
};
