import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_VARIABLES, WEBHOOK_PROVIDERS } from '../../lib/providers/index.js';
import { ensureBundles, oslsPackage as packageService, ROOT } from './osls.js';

// Packages the real serverless.yml with osls (offline, no AWS credentials) and checks the CloudFormation
// template and the function zips it produces. Deploy-time behaviour is AWS's; what we own is what we ask for.

const SES_TOPICS = [
  'arn:aws:sns:eu-west-1:123456789012:ses-bounces',
  'arn:aws:sns:us-east-1:123456789012:ses-complaints',
];
const SSM_ARN_PREFIX = 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter';
// Every secret the provider registry offers as `<NAME>_PARAMETER`: a provider added without its stack wiring fails here.
const WEBHOOK_SECRETS = SECRET_VARIABLES;
const ALARM_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:pager';
const require = createRequire(import.meta.url);
const { ALARMS: DASHBOARD_ALARMS } = require('../../infra/dashboard.cjs') as { ALARMS: string[] };
const { ledgerDeletionProtection } = require('../../infra/params.cjs') as {
  ledgerDeletionProtection: (o: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<boolean>;
};
type Resolver = (o: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<unknown>;
/** infra/webhook-routes.cjs, loaded by the tests that use it. */
const webhookRoutes = () =>
  require('../../infra/webhook-routes.cjs') as {
    DEFAULT_THROTTLE: Record<string, { rate: number; burst: number }>;
    routeSettings: Resolver;
  };
/** serverless.yml itself, parsed as osls parses it (CloudFormation tags kept as objects). */
const serverlessYml = (): { params: { default: Record<string, unknown> } } => {
  const parse = require('osls/lib/utils/fs/parse.js') as (file: string, contents: Buffer) => any;
  return parse('serverless.yml', readFileSync(join(ROOT, 'serverless.yml')));
};

interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string[];
  Properties: Record<string, any>;
}
interface Template {
  Conditions?: Record<string, any>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

let workDir: string;
let packageDir: string;
let template: Template;
let withTopics: Template;
/** stage prod, shadow mode, reserved webhook concurrency, an external alarm topic, tuned throttling/latency. */
let prod: Template;
/** stage prod with the deletion-protection override. */
let prodUnprotected: Template;

const oslsPackage = (name: string, params: string[] = [], stage = 'ci') =>
  packageService<Template>(workDir, name, params, stage);

/** File names in a zip, from its central directory (no dependency needed for that). */
function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i -= 1) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip`);
  const names: string[] = [];
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = buf.readUInt16LE(eocd + 10); n > 0; n -= 1) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLength = buf.readUInt16LE(p + 28);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLength));
    p += 46 + nameLength + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return names;
}

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const consumer = () => template.Resources.BlockContactsLambdaFunction!;
const webhook = () => template.Resources.WebhookLambdaFunction!;
const consumerEnv = () => consumer().Properties.Environment.Variables as Record<string, unknown>;
const webhookEnv = () => webhook().Properties.Environment.Variables as Record<string, unknown>;
/** The event source mapping of the consumer on `queue` (BlockQueue: live; BulkQueue: imports). */
const mapping = (queue = 'BlockQueue') => {
  const mappings = ofType(template, 'AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => m.Properties.EventSourceArn['Fn::GetAtt']?.[0] === queue,
  );
  expect(mappings).toHaveLength(1);
  return mappings[0]![1];
};
/** The inline policy statements of the role a function runs with. */
const roleStatements = (fn: Resource): Statement[] => {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return (template.Resources[roleId]!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
};
const ssmStatements = (fn: Resource) =>
  roleStatements(fn).filter((s) => asList(s.Action).some((a) => a.startsWith('ssm:')));

beforeAll(async () => {
  // The zips must hold the real bundles.
  await ensureBundles();
  workDir = mkdtempSync(join(tmpdir(), 'hood-blocker-infra-'));
  packageDir = join(workDir, 'default', 'package');
  [template, withTopics, prod, prodUnprotected] = await Promise.all([
    oslsPackage('default'),
    oslsPackage('ses-topics', [`sesNotificationTopicArns=${SES_TOPICS.join(',')}`]),
    oslsPackage(
      'prod',
      [
        'hoodDryRun=true',
        'webhookReservedConcurrency=20',
        `alarmTopicArn=${ALARM_TOPIC}`,
        'webhookThrottleRate=7',
        'webhookThrottleBurst=9',
        'webhookRouteThrottle=twilio=3/13, sendgrid=2.5/12',
        'optOutLatencyAlarmSeconds=600',
        'alarmEmail=ops@example.com',
        'expectedSources=ses:24,sendgrid:12',
      ],
      'prod',
    ),
    oslsPackage('prod-unprotected', ['ledgerDeletionProtection=false'], 'prod'),
  ]);
}, 300_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('serverless.yml: functions', () => {
  it('runs both functions on nodejs22.x, arm64', () => {
    // Prepare
    const functions = ofType(template, 'AWS::Lambda::Function');

    // Act
    const platforms = functions.map(([, f]) => [f.Properties.Runtime, f.Properties.Architectures]);

    // Assess
    expect(functions).toHaveLength(2);
    expect(platforms).toEqual([
      ['nodejs22.x', ['arm64']],
      ['nodejs22.x', ['arm64']],
    ]);
  });

  it('gives the consumer a 60 s timeout and 256 MB', () => {
    // Prepare
    const { Timeout, MemorySize, Handler } = consumer().Properties;

    // Act
    const settings = { Timeout, MemorySize, Handler };

    // Assess
    expect(settings).toEqual({ Timeout: 60, MemorySize: 256, Handler: 'dist/handlers/block-contacts.handler' });
  });

  it('reserves no consumer concurrency below the event source mapping maximum', () => {
    // Prepare
    const maximum = mapping().Properties.ScalingConfig.MaximumConcurrency as number;

    // Act
    const reserved = consumer().Properties.ReservedConcurrentExecutions as number | undefined;

    // Assess: none is best; one below the maximum throttles the poller and burns receive counts.
    expect(reserved ?? maximum).toBeGreaterThanOrEqual(maximum);
  });

  it.each([
    ['BlockContactsLambdaFunction', 'dist/handlers/block-contacts'],
    ['WebhookLambdaFunction', 'dist/handlers/webhook'],
  ])('zips only the own bundle and its chunks of %s', (logicalId, bundle) => {
    // Prepare
    const zip = join(packageDir, basename(template.Resources[logicalId]!.Properties.Code.S3Key as string));

    // Act
    const entries = zipEntries(zip).sort();

    // Assess
    const chunks = entries.filter((e) => e !== `${bundle}.mjs`);
    expect(entries).toContain(`${bundle}.mjs`);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.filter((e) => !(e.startsWith(`${bundle}-chunks/`) && e.endsWith('.mjs')))).toEqual([]);
  });
});

describe('serverless.yml: queues', () => {
  it('sets the block queue visibility timeout to at least 6 × the consumer timeout + the batching window', () => {
    // Prepare
    const timeout = consumer().Properties.Timeout as number;
    const window = mapping().Properties.MaximumBatchingWindowInSeconds as number;

    // Act
    const visibility = template.Resources.BlockQueue!.Properties.VisibilityTimeout as number;

    // Assess
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout + window);
  });

  it('dead-letters into the DLQ after the maxReceiveCount the consumer also counts to', () => {
    // Prepare
    const redrive = template.Resources.BlockQueue!.Properties.RedrivePolicy;

    // Act
    const maxAttempts = Number(consumerEnv().HOOD_MAX_ATTEMPTS);

    // Assess
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['BlockDeadLetterQueue', 'Arn'] });
    expect(redrive.maxReceiveCount).toBe(16);
    expect(maxAttempts).toBe(redrive.maxReceiveCount);
  });

  it('rides out a 2 h Hood outage without dead-lettering, even with the shortest jittered backoff', () => {
    // Prepare: backoff after the n-th real failure is min(900, base × 2^(n-1)) s, jittered down to 80 %.
    const base = Number(consumerEnv().HOOD_RETRY_BASE_SECONDS);
    const maxReceiveCount = template.Resources.BlockQueue!.Properties.RedrivePolicy.maxReceiveCount as number;

    // Act: when the last attempt SQS allows starts, counted from the first failure.
    let lastAttemptAt = 0;
    for (let n = 1; n < maxReceiveCount; n += 1) lastAttemptAt += 0.8 * Math.min(900, base * 2 ** (n - 1));

    // Assess
    expect(base).toBe(30);
    expect(lastAttemptAt).toBeGreaterThanOrEqual(2 * 3600);
  });

  it.each(['BlockQueue', 'BlockDeadLetterQueue'])('keeps messages on %s for 14 days', (queue) => {
    // Prepare
    const fourteenDays = 14 * 24 * 3600;

    // Act
    const retention = template.Resources[queue]!.Properties.MessageRetentionPeriod as number;

    // Assess
    expect(retention).toBe(fourteenDays);
  });

  it.each(['BlockQueue', 'BlockDeadLetterQueue'])('encrypts %s with SQS-managed keys', (queue) => {
    // Prepare
    const properties = template.Resources[queue]!.Properties;

    // Act
    const sse = properties.SqsManagedSseEnabled as boolean;

    // Assess
    expect(sse).toBe(true);
  });
});

describe('serverless.yml: event source mapping', () => {
  it('polls the block queue in batches of 10 with a 5 s batching window', () => {
    // Prepare
    const { EventSourceArn, BatchSize, MaximumBatchingWindowInSeconds } = mapping().Properties;

    // Act
    const polling = { EventSourceArn, BatchSize, MaximumBatchingWindowInSeconds };

    // Assess
    expect(polling).toEqual({
      EventSourceArn: { 'Fn::GetAtt': ['BlockQueue', 'Arn'] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
    });
  });

  it('reports partial batch failures', () => {
    // Prepare
    const properties = mapping().Properties;

    // Act
    const responseTypes = properties.FunctionResponseTypes as string[];

    // Assess
    expect(responseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('caps concurrency at the CONSUMER_MAX_CONCURRENCY the consumer paces for', () => {
    // Prepare
    const maximum = mapping().Properties.ScalingConfig.MaximumConcurrency as number;

    // Act
    const paced = Number(consumerEnv().CONSUMER_MAX_CONCURRENCY);

    // Assess
    expect(maximum).toBeGreaterThanOrEqual(2);
    expect(paced).toBe(maximum);
  });
});

describe('serverless.yml: alarms', () => {
  it.each([
    [
      'DeadLetterQueueNotEmptyAlarm',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    ],
    [
      'BlockQueueOldestMessageAlarm',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: 3600,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    ],
    [
      'HoodUnauthorizedAlarm',
      {
        Namespace: 'HoodBlocker',
        MetricName: 'unauthorized',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Period: 300,
      },
    ],
    [
      'BlockContactsErrorsAlarm',
      { Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' },
    ],
  ])('defines %s', (logicalId, expected) => {
    // Prepare
    const alarm = template.Resources[logicalId];

    // Act
    const properties = alarm?.Properties;

    // Assess
    expect(alarm?.Type).toBe('AWS::CloudWatch::Alarm');
    expect(properties).toMatchObject(expected);
  });

  it.each([
    [
      'DeadLetterQueueNotEmptyAlarm',
      { Name: 'QueueName', Value: { 'Fn::GetAtt': ['BlockDeadLetterQueue', 'QueueName'] } },
    ],
    ['BlockQueueOldestMessageAlarm', { Name: 'QueueName', Value: { 'Fn::GetAtt': ['BlockQueue', 'QueueName'] } }],
    ['BlockContactsErrorsAlarm', { Name: 'FunctionName', Value: { Ref: 'BlockContactsLambdaFunction' } }],
  ])('points %s at the right resource', (logicalId, dimension) => {
    // Prepare
    const alarm = template.Resources[logicalId]!;

    // Act
    const dimensions = alarm.Properties.Dimensions as unknown[];

    // Assess
    expect(dimensions).toEqual([dimension]);
  });

  it('watches the unauthorized metric under the service name the consumer emits it with', () => {
    // Prepare
    const service = consumerEnv().POWERTOOLS_SERVICE_NAME;

    // Act
    const dimensions = template.Resources.HoodUnauthorizedAlarm!.Properties.Dimensions as unknown[];

    // Assess
    expect(consumerEnv().POWERTOOLS_METRICS_NAMESPACE).toBe('HoodBlocker');
    expect(dimensions).toEqual([{ Name: 'service', Value: service }]);
  });

  it('sends every alarm, and its recovery, to AlarmTopic and the optional alarmTopicArn', () => {
    // Prepare
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');

    // Act
    const actions = alarms.flatMap(([, a]) => [
      a.Properties.AlarmActions as unknown[],
      a.Properties.OKActions as unknown[],
    ]);

    // Assess
    expect(alarms.length).toBeGreaterThanOrEqual(11);
    // An unset alarmTopicArn leaves no branch at all (decided at packaging time: no `''` for cfn-lint E3033).
    for (const a of actions) expect(a).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(template.Conditions?.HasAlarmTopicArn).toBeUndefined();
  });

  it.each([
    ['default', () => template, []],
    ['alarmEmail=ops@example.com', () => prod, [['email', 'ops@example.com', { Ref: 'AlarmTopic' }]]],
  ])('subscribes alarmEmail to the alarm topic only when it is set (%s)', (_, t, expected) => {
    // Prepare
    const subscriptions = ofType(t(), 'AWS::SNS::Subscription');

    // Act
    const email = subscriptions
      .filter(([, s]) => s.Properties.Protocol === 'email')
      .map(([, s]) => [s.Properties.Protocol, s.Properties.Endpoint, s.Properties.TopicArn]);

    // Assess: decided at packaging time, no HasAlarmEmail condition (cfn-lint W8003).
    expect(email).toEqual(expected);
    expect(t().Conditions).toBeUndefined();
  });

  it('notifies the external topic given as alarmTopicArn from every alarm', () => {
    // Prepare
    const alarms = ofType(prod, 'AWS::CloudWatch::Alarm');

    // Act
    const external = alarms.map(([, a]) => (a.Properties.AlarmActions as any[])[1]);

    // Assess
    for (const e of external) expect(e).toBe(ALARM_TOPIC);
  });
});

describe('serverless.yml: HTTP API', () => {
  const routes = (t: Template = template) => ofType(t, 'AWS::ApiGatewayV2::Route');
  const integrationOf = (route: Resource) => route.Properties.Target['Fn::Join'][1][1].Ref as string;

  it('routes POST /webhooks/<name> for every webhook provider of the registry to the webhook function', () => {
    // Prepare
    const expected = WEBHOOK_PROVIDERS.map((name) => `POST /webhooks/${name}`).sort();

    // Act
    const posts = routes().filter(([, r]) => r.Properties.RouteKey.startsWith('POST '));

    // Assess
    expect(posts.map(([, r]) => r.Properties.RouteKey as string).sort()).toEqual(expected);
    for (const [, route] of posts) {
      expect(template.Resources[integrationOf(route)]!.Properties.IntegrationUri).toEqual({
        'Fn::GetAtt': ['WebhookLambdaFunction', 'Arn'],
      });
    }
  });

  it('answers HEAD /webhooks/{provider} (Mandrill checks a URL exists before saving it)', () => {
    // Act
    const head = routes().find(([, r]) => r.Properties.RouteKey === 'HEAD /webhooks/{provider}');

    // Assess
    expect(head).toBeDefined();
    expect(template.Resources[integrationOf(head![1])]!.Properties.IntegrationUri).toEqual({
      'Fn::GetAtt': ['WebhookLambdaFunction', 'Arn'],
    });
  });

  it('gives every provider route a throttle of its own, from the provider defaults', () => {
    // Prepare
    const settings = template.Resources.HttpApiStage!.Properties.RouteSettings as Record<
      string,
      Record<string, unknown>
    >;

    // Act
    const throttles = Object.fromEntries(
      Object.entries(settings).map(([key, s]) => [key, [s.ThrottlingRateLimit, s.ThrottlingBurstLimit]]),
    );

    // Assess
    expect(Object.keys(throttles).sort()).toEqual(WEBHOOK_PROVIDERS.map((name) => `POST /webhooks/${name}`).sort());
    for (const name of WEBHOOK_PROVIDERS) {
      const own = webhookRoutes().DEFAULT_THROTTLE[name];
      expect(own, `a default throttle for ${name}`).toBeDefined();
      expect(throttles[`POST /webhooks/${name}`]).toEqual([own!.rate, own!.burst]);
    }
    // SMS is isolated from the e-mail floods, bulk ESPs burst higher.
    expect(throttles['POST /webhooks/mailgun']![1]).toBeGreaterThan(throttles['POST /webhooks/twilio']![1] as number);
  });

  it("takes a provider route's throttle from webhookRouteThrottle, the others keeping their defaults", () => {
    // Prepare
    const settings = prod.Resources.HttpApiStage!.Properties.RouteSettings as Record<string, Record<string, unknown>>;

    // Act
    const pick = (name: string) => [
      settings[`POST /webhooks/${name}`]!.ThrottlingRateLimit,
      settings[`POST /webhooks/${name}`]!.ThrottlingBurstLimit,
    ];

    // Assess
    expect([pick('twilio'), pick('sendgrid'), pick('mailgun')]).toEqual([
      [3, 13],
      [2.5, 12],
      [webhookRoutes().DEFAULT_THROTTLE.mailgun!.rate, webhookRoutes().DEFAULT_THROTTLE.mailgun!.burst],
    ]);
  });

  it('creates the stage after every route its RouteSettings name', () => {
    // Prepare
    const ids = new Map(routes().map(([id, r]) => [r.Properties.RouteKey as string, id]));

    // Act
    const dependsOn = asList(template.Resources.HttpApiStage!.DependsOn ?? []);

    // Assess
    for (const key of Object.keys(template.Resources.HttpApiStage!.Properties.RouteSettings))
      expect(dependsOn).toContain(ids.get(key));
  });

  it.each([
    ['webhookRouteThrottle', 'nosuch=1/1', /not a webhook provider/u],
    ['webhookRouteThrottle', 'twilio=10', /<provider>=<rate>\/<burst>/u],
    ['webhookRouteThrottle', 'twilio=0/5', /rate "0"/u],
    ['webhookRouteThrottle', 'twilio=5/2.5', /burst "2.5"/u],
    ['webhookRouteThrottle', 'twilio=1/1,twilio=2/2', /twice/u],
    ['webhookThrottleBurst', 'lots', /webhookThrottleBurst/u],
  ])('refuses to package %s=%s', async (name, value, message) => {
    // Prepare
    const values: Record<string, string> = {
      'param:webhookThrottleRate': '100',
      'param:webhookThrottleBurst': '200',
      'param:webhookRouteThrottle': '',
      [`param:${name}`]: value,
    };

    // Act
    const result = webhookRoutes().routeSettings({ resolveVariable: async (v) => values[v] });

    // Assess
    await expect(result).rejects.toThrow(message);
  });
});

describe('serverless.yml: IAM', () => {
  it('names a resource in every IAM statement, with no "*" outside CloudWatch Logs', () => {
    // Prepare
    const documents = [
      ...ofType(template, 'AWS::IAM::Role').flatMap(([, r]) =>
        (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument),
      ),
      ...ofType(template, 'AWS::IAM::Policy').map(([, r]) => r.Properties.PolicyDocument),
      ...ofType(template, 'AWS::IAM::ManagedPolicy').map(([, r]) => r.Properties.PolicyDocument),
    ];
    const statements = documents.flatMap((d) => d.Statement as Statement[]);
    const named = (resource: unknown): boolean => {
      if (typeof resource === 'string') return resource.startsWith('arn:') && !resource.includes('*');
      const r = resource as Record<string, any>;
      if (typeof r.Ref === 'string') return r.Ref in template.Resources;
      if (r['Fn::GetAtt']) return asList<string>(r['Fn::GetAtt'])[0]!.split('.')[0]! in template.Resources;
      if (typeof r['Fn::Sub'] === 'string')
        return r['Fn::Sub'].startsWith('arn:${AWS::Partition}:') && !r['Fn::Sub'].includes('*');
      return false;
    };

    // Act
    const offenders = statements.filter(
      (s) =>
        s.NotAction !== undefined ||
        s.NotResource !== undefined ||
        !asList(s.Resource).every((r) => named(r) || asList(s.Action).every((a) => a.startsWith('logs:'))),
    );

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });

  it('runs each function with its own role', () => {
    // Prepare
    const roles = ofType(template, 'AWS::IAM::Role')
      .map(([id]) => id)
      .sort();

    // Act
    const used = [consumer(), webhook()].map((f) => f.Properties.Role['Fn::GetAtt'][0] as string);

    // Assess
    expect(used).toEqual(['BlockContactsRole', 'WebhookRole']);
    expect(roles).toEqual(['BlockContactsRole', 'WebhookRole']);
  });

  it('lets the consumer read only the Hood token parameter', () => {
    // Prepare
    const tokenParameter = consumerEnv().HOOD_API_TOKEN_PARAMETER as string;

    // Act
    const statements = ssmStatements(consumer());

    // Assess
    expect(tokenParameter).toBe('/hood-blocker/ci/hood-api-token');
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'ssm:GetParameters',
        Resource: { 'Fn::Sub': `${SSM_ARN_PREFIX}${tokenParameter}` },
      }),
    ]);
  });

  it('lets the webhook read only the provider secret parameters it is configured with', () => {
    // Prepare
    const parameters = WEBHOOK_SECRETS.map((name) => webhookEnv()[`${name}_PARAMETER`] as string);

    // Act
    const statements = ssmStatements(webhook());

    // Assess
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toBe('ssm:GetParameters');
    // Order is the template's own, not the registry's: compared as sets.
    const bySub = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(asList(statements[0]!.Resource).sort(bySub)).toEqual(
      parameters.map((p) => ({ 'Fn::Sub': `${SSM_ARN_PREFIX}${p}` })).sort(bySub),
    );
  });

  it('passes webhook secrets as SSM parameter names under /hood-blocker/<stage>/, never as values', () => {
    // Prepare
    const env = webhookEnv();

    // Act
    const parameters = WEBHOOK_SECRETS.map((name) => env[`${name}_PARAMETER`]);
    const values = WEBHOOK_SECRETS.filter((name) => name in env || name in consumerEnv());

    // Assess
    for (const p of parameters) expect(p).toMatch(/^\/hood-blocker\/ci\/[a-z0-9-]+$/u);
    expect(values).toEqual([]);
    expect('HOOD_API_TOKEN' in consumerEnv()).toBe(false);
  });
});

describe('serverless.yml: SES → SNS → SQS example wiring', () => {
  it('creates no subscription and no queue policy when sesNotificationTopicArns is empty', () => {
    // Prepare
    const policies = ofType(template, 'AWS::SQS::QueuePolicy');

    // Act
    const subscriptions = ofType(template, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'sqs');

    // Assess: decided at packaging time, so no HasSesNotificationTopics condition (cfn-lint W8003).
    expect(template.Conditions).toBeUndefined();
    expect(policies).toEqual([]);
    expect(subscriptions).toEqual([]);
  });

  it('subscribes each listed topic to the block queue with raw delivery', () => {
    // Prepare
    const subscriptions = ofType(withTopics, 'AWS::SNS::Subscription').filter(
      ([, s]) => s.Properties.Protocol === 'sqs',
    );

    // Act
    const wiring = subscriptions.map(([, s]) => [
      s.Properties.TopicArn,
      s.Properties.Endpoint,
      s.Properties.RawMessageDelivery,
      s.Condition,
      s.DependsOn,
    ]);

    // Assess
    expect(wiring).toEqual(
      SES_TOPICS.map((arn) => [arn, { 'Fn::GetAtt': ['BlockQueue', 'Arn'] }, true, undefined, ['BlockQueueSnsPolicy']]),
    );
    expect(withTopics.Conditions).toBeUndefined();
  });

  it('lets only the listed topics send to the block queue', () => {
    // Prepare
    const policy = withTopics.Resources.BlockQueueSnsPolicy!.Properties.PolicyDocument;

    // Act
    const statements = policy.Statement as (Statement & { Principal: unknown; Condition: unknown })[];

    // Assess
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['BlockQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': SES_TOPICS } },
      }),
    ]);
  });
});

describe('serverless.yml: outputs', () => {
  it('exports where the Hood token and API live, so --stack needs no exported variable', () => {
    // Act
    const outputs = { token: template.Outputs.HoodApiTokenParameter?.Value, url: template.Outputs.HoodApiUrl?.Value };

    // Assess
    expect(outputs).toEqual({ token: '/hood-blocker/ci/hood-api-token', url: 'https://api.ocamba.com/v1/hood' });
  });

  it('exports the outputs the CLI reads, under stable names', () => {
    // Prepare
    const names = [
      'BlockQueueUrl',
      'BlockQueueArn',
      'DeadLetterQueueUrl',
      'DeadLetterQueueArn',
      'WebhookBaseUrl',
      'AlarmTopicArn',
    ];

    // Act
    const outputs = Object.fromEntries(names.map((n) => [n, template.Outputs[n]?.Value]));

    // Assess
    expect(outputs).toEqual({
      BlockQueueUrl: { Ref: 'BlockQueue' },
      BlockQueueArn: { 'Fn::GetAtt': ['BlockQueue', 'Arn'] },
      DeadLetterQueueUrl: { Ref: 'BlockDeadLetterQueue' },
      DeadLetterQueueArn: { 'Fn::GetAtt': ['BlockDeadLetterQueue', 'Arn'] },
      WebhookBaseUrl: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] }, '/webhooks']] },
      AlarmTopicArn: { Ref: 'AlarmTopic' },
    });
  });
});

describe('serverless.yml: monitoring for every place an opt-out can be lost', () => {
  it.each([
    [
      'BlockContactsThrottlesAlarm',
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'BlockContactsLambdaFunction' } }],
      },
    ],
    [
      'WebhookErrorsAlarm',
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'WebhookLambdaFunction' } }],
      },
    ],
    [
      'HttpApi5xxAlarm',
      { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }] },
    ],
    [
      'BulkDeadLetterQueueNotEmptyAlarm',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['BulkDeadLetterQueue', 'QueueName'] } }],
      },
    ],
  ])('alarms on the first event of %s', (logicalId, expected) => {
    // Prepare
    const alarm = template.Resources[logicalId];

    // Act
    const properties = alarm?.Properties;

    // Assess
    expect(alarm?.Type).toBe('AWS::CloudWatch::Alarm');
    expect(properties).toMatchObject({
      ...expected,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('sums webhook_failed over every provider with a Metrics Insights query', () => {
    // Prepare
    const properties = template.Resources.WebhookFailedAlarm!.Properties;

    // Act
    const [query] = properties.Metrics as { Expression: string; ReturnData: boolean }[];

    // Assess
    expect(properties.MetricName).toBeUndefined();
    expect(query!.Expression).toBe(
      `SELECT SUM(webhook_failed) FROM SCHEMA("HoodBlocker", provider, service) WHERE service = '${consumerEnv().POWERTOOLS_SERVICE_NAME}'`,
    );
    expect(query!.ReturnData).toBe(true);
    expect(properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it.each([
    ['default', () => template, 3600],
    ['optOutLatencyAlarmSeconds=600', () => prod, 600],
  ])('alarms on optout_latency_ms above the latency param in milliseconds (%s)', (_, t, seconds) => {
    // Prepare
    const alarm = t().Resources.OptOutLatencyAlarm!.Properties;

    // Act
    const threshold = alarm.Threshold as number;

    // Assess
    expect(alarm).toMatchObject({
      Namespace: 'HoodBlocker',
      MetricName: 'optout_latency_ms',
      Dimensions: [{ Name: 'service', Value: 'hood-blocker' }],
      Statistic: 'Maximum',
    });
    expect(threshold).toBe(seconds * 1000);
  });

  it('keeps the bulk queue out of the live backlog-age alarm', () => {
    // Prepare
    const ageAlarms = ofType(template, 'AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage',
    );

    // Act
    const byQueue = Object.fromEntries(
      ageAlarms.map(([, a]) => [a.Properties.Dimensions[0].Value['Fn::GetAtt'][0], a.Properties.Threshold]),
    );

    // Assess: the bulk queue's only age alarm fires close to its 14-day retention, not after an hour.
    expect(byQueue).toEqual({ BlockQueue: 3600, BulkQueue: 10 * 24 * 3600 });
    expect(byQueue.BulkQueue).toBeLessThan(template.Resources.BulkQueue!.Properties.MessageRetentionPeriod);
  });
});

describe('serverless.yml: dashboard', () => {
  const dashboard = (t: Template = template) => {
    // One string: every choice the params make (shadow mode, expected sources) is written in at packaging time.
    const body = t.Resources.Dashboard!.Properties.DashboardBody['Fn::Sub'] as string;
    return {
      widgets: (JSON.parse(body) as { widgets: { type: string; properties: Record<string, any> }[] }).widgets,
      body,
    };
  };
  const metricsOf = (widgets: ReturnType<typeof dashboard>['widgets']) =>
    widgets.filter((w) => w.type === 'metric').flatMap((w) => w.properties.metrics as unknown[][]);

  it('is one CloudWatch dashboard named after the stack', () => {
    // Prepare
    const dashboards = ofType(template, 'AWS::CloudWatch::Dashboard');

    // Act
    const names = dashboards.map(([, d]) => d.Properties.DashboardName);

    // Assess
    expect(names).toEqual(['hood-blocker-ci']);
  });

  it.each(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'])(
    'plots %s for the live and the bulk queue',
    (metric) => {
      // Prepare
      const { widgets } = dashboard();

      // Act
      const queues = metricsOf(widgets)
        .filter((m) => m[0] === 'AWS/SQS' && m[1] === metric)
        .map((m) => m[3]);

      // Assess
      expect(queues).toEqual(expect.arrayContaining(['${BlockQueue.QueueName}', '${BulkQueue.QueueName}']));
    },
  );

  it.each(['blocked', 'ignored', 'dead_lettered', 'rate_limited', 'dry_run_blocked', 'optout_latency_ms'])(
    'plots the consumer metric %s per minute',
    (metric) => {
      // Prepare
      const { widgets } = dashboard();

      // Act
      const series = metricsOf(widgets).filter((m) => m[0] === 'HoodBlocker' && m[1] === metric);
      const periods = widgets
        .filter((w) => w.type === 'metric' && (w.properties.metrics as unknown[][]).some((m) => m[1] === metric))
        .map((w) => w.properties.period);

      // Assess
      expect(series.length).toBeGreaterThan(0);
      for (const s of series) expect(s.slice(2, 4)).toEqual(['service', consumerEnv().POWERTOOLS_SERVICE_NAME]);
      expect(new Set(periods)).toEqual(new Set([60]));
    },
  );

  it('plots webhook answers per provider with a search over the provider dimension', () => {
    // Prepare
    const { widgets } = dashboard();

    // Act
    const expressions = metricsOf(widgets).flatMap((m) =>
      m
        .filter((e): e is { expression: string } => typeof e === 'object' && e !== null && 'expression' in e)
        .map((e) => e.expression),
    );

    // Assess
    expect(
      expressions.some((e) => e.includes('{HoodBlocker,provider,service}') && e.includes('"webhook_requests"')),
    ).toBe(true);
    expect(expressions.some((e) => e.includes('"webhook_failed"') && e.includes('"webhook_unauthorized"'))).toBe(true);
  });

  it('shows the state of every alarm in the stack', () => {
    // Prepare
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([id]) => id)
      .sort();

    // Act
    const shown = dashboard()
      .widgets.filter((w) => w.type === 'alarm')
      .flatMap((w) => w.properties.alarms as string[]);

    // Assess
    // The fixed alarms, then those infra/source-alarms.cjs generates for the stage's params.
    const generated = alarms.filter((id) => !DASHBOARD_ALARMS.includes(id));
    expect(generated.every((id) => /^(SignatureFailures|NoRetry5xx|QuietSource)\w+Alarm$/u.test(id))).toBe(true);
    expect(shown.slice(0, DASHBOARD_ALARMS.length)).toEqual(
      DASHBOARD_ALARMS.map(
        (id) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:\${${id}}`,
      ),
    );
    expect([...shown].sort()).toEqual(
      alarms.map((id) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:\${${id}}`).sort(),
    );
  });

  it('shows last seen per source: every source by search, and each expected source by name', () => {
    // Prepare
    const { widgets } = dashboard(prod);

    // Act
    const widget = widgets.find((w) => w.type === 'metric' && /last seen per source/iu.test(w.properties.title));
    const metrics = (widget?.properties.metrics ?? []) as unknown[][];
    const named = metrics.filter((m) => m[0] === 'HoodBlocker').map((m) => [m[1], m[5]]);
    const search = metrics.flat().find((e): e is { expression: string } => typeof e === 'object' && e !== null);

    // Assess: hourly sums over the alarms' longest window, the two metrics the quiet-source alarms sum.
    expect(widget?.properties).toMatchObject({ period: 3600, stat: 'Sum', start: '-PT168H' });
    expect(search?.expression).toMatch(/"webhook_requests" OR "source_events"/u);
    expect(named).toEqual([
      ['webhook_requests', 'ses'],
      ['source_events', 'ses'],
      ['webhook_requests', 'sendgrid'],
      ['source_events', 'sendgrid'],
    ]);
  });

  it('lists no expected source in the last-seen widget when expectedSources is empty', () => {
    // Prepare
    const { widgets } = dashboard();

    // Act
    const widget = widgets.find((w) => w.type === 'metric' && /last seen per source/iu.test(w.properties.title));

    // Assess
    expect(widget).toBeDefined();
    expect((widget!.properties.metrics as unknown[][]).filter((m) => m[0] === 'HoodBlocker')).toEqual([]);
  });

  it('only substitutes names of resources in the stack', () => {
    // Prepare
    const { body } = dashboard();

    // Act
    const names = [...body.matchAll(/\$\{([^}!]+)\}/gu)].map((m) => m[1]!.split('.')[0]!);
    const unknown = names.filter((n) => !n.startsWith('AWS::') && !(n in template.Resources));

    // Assess
    expect(names.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it.each([
    ['default', () => template, 'false', /^Live: block requests are sent to Hood/mu],
    ['hoodDryRun=true', () => prod, 'true', /^\*\*SHADOW MODE \(HOOD_DRY_RUN=true\)/mu],
  ])('shows whether the stack is in shadow mode (%s)', (_, t, dryRun, heading) => {
    // Prepare
    const { widgets } = dashboard(t());

    // Act
    const markdown = widgets[0]!.properties.markdown as string;
    const env = (t().Resources.BlockContactsLambdaFunction!.Properties.Environment.Variables as Record<string, unknown>)
      .HOOD_DRY_RUN;

    // Assess: decided at packaging time, so the template has no IsDryRun condition (cfn-lint W8003).
    expect(markdown).toMatch(heading);
    expect(markdown).not.toMatch(dryRun === 'true' ? /^Live:/mu : /SHADOW MODE/u);
    expect(t().Conditions).toBeUndefined();
    expect(env).toBe(dryRun);
    expect(t().Outputs.HoodDryRun!.Value).toBe(dryRun);
  });
});

describe('serverless.yml: ExpectedSources output', () => {
  it.each([
    ['default', () => template, 'none'],
    ['expectedSources=ses:24,sendgrid:12', () => prod, 'ses:24,sendgrid:12'],
  ])('carries the packaged expectedSources, or none (%s)', (_, t, value) => {
    // Act
    const output = t().Outputs.ExpectedSources;

    // Assess
    expect(output?.Value).toBe(value);
  });
});

describe('serverless.yml: webhook endpoint limits', () => {
  it('throttles the HTTP API stage by default', () => {
    // Prepare
    const defaults = serverlessYml().params.default;

    // Act
    const settings = template.Resources.HttpApiStage!.Properties.DefaultRouteSettings;

    // Assess
    expect(settings.ThrottlingRateLimit).toBe(defaults.webhookThrottleRate);
    expect(settings.ThrottlingBurstLimit).toBe(defaults.webhookThrottleBurst);
    expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings.ThrottlingBurstLimit).toBeGreaterThan(0);
  });

  it('takes the throttling rate and burst from the deploy params', () => {
    // Prepare
    const stage = prod.Resources.HttpApiStage!.Properties;

    // Act
    const { ThrottlingRateLimit, ThrottlingBurstLimit } = stage.DefaultRouteSettings;

    // Assess: --param values arrive as strings; CloudFormation reads them as numbers.
    expect([ThrottlingRateLimit, ThrottlingBurstLimit].map(Number)).toEqual([7, 9]);
  });

  it('reserves no webhook concurrency by default', () => {
    // Prepare
    const properties = webhook().Properties;

    // Act
    const reserved = 'ReservedConcurrentExecutions' in properties;

    // Assess: decided at packaging time, no HasWebhookReservedConcurrency condition (cfn-lint W8003).
    expect(reserved).toBe(false);
    expect(template.Conditions).toBeUndefined();
  });

  it('reserves webhookReservedConcurrency when the param is set', () => {
    // Prepare
    const properties = prod.Resources.WebhookLambdaFunction!.Properties;

    // Act
    const reserved = properties.ReservedConcurrentExecutions;

    // Assess: the number itself (--param values arrive as strings; CloudFormation reads either).
    expect(Number(reserved)).toBe(20);
    expect(prod.Conditions).toBeUndefined();
  });
});

describe('serverless.yml: ledger table', () => {
  const ledger = (t: Template = template) => t.Resources.LedgerTable!;

  it('keys items by pk (S, HASH) and sk (S, RANGE)', () => {
    // Prepare
    const { AttributeDefinitions, KeySchema } = ledger().Properties;

    // Act
    const keys = { AttributeDefinitions, KeySchema };

    // Assess
    expect(keys).toEqual({
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('is on-demand, with point-in-time recovery, KMS encryption and TTL on expiresAt', () => {
    // Prepare
    const properties = ledger().Properties;

    // Act
    const { BillingMode, PointInTimeRecoverySpecification, SSESpecification, TimeToLiveSpecification } = properties;

    // Assess
    expect(BillingMode).toBe('PAY_PER_REQUEST');
    expect(PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(SSESpecification).toEqual({ SSEEnabled: true });
    expect(TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it.each([
    ['stage ci', () => template, false],
    ['stage prod', () => prod, true],
    ['stage prod with ledgerDeletionProtection=false', () => prodUnprotected, false],
  ])('sets deletion protection per stage: %s', (_, t, expected) => {
    // Prepare
    const properties = ledger(t()).Properties;

    // Act
    const protectedTable = properties.DeletionProtectionEnabled as boolean;

    // Assess
    expect(protectedTable).toBe(expected);
  });

  it.each([
    ['dev', '', false],
    ['dev-alice', '', false],
    ['development', '', false],
    ['test', '', false],
    ['test42', '', false],
    ['ci', '', false],
    ['prod', '', true],
    ['staging', '', true],
    ['cicd', '', true],
    ['my-dev', '', true],
    ['dev', 'true', true],
    ['prod', 'false', false],
  ])('protects stage %j (override %j): %s', async (stage, override, expected) => {
    // Prepare
    const values: Record<string, string> = { 'sls:stage': stage, 'param:ledgerDeletionProtection': override };

    // Act
    const result = await ledgerDeletionProtection({ resolveVariable: async (v) => values[v] });

    // Assess
    expect(result).toBe(expected);
  });

  it('refuses a deletion-protection override that is not true or false', async () => {
    // Prepare
    const values: Record<string, string> = { 'sls:stage': 'prod', 'param:ledgerDeletionProtection': 'maybe' };

    // Act
    const result = ledgerDeletionProtection({ resolveVariable: async (v) => values[v] });

    // Assess
    await expect(result).rejects.toThrow(/ledgerDeletionProtection/u);
  });

  it('gives the consumer the table and the generated ledger key, the webhook the table and its replay key only', () => {
    // Prepare
    const envs = [consumerEnv(), webhookEnv()];

    // Act
    const ledgerEnv = envs.map((e) => [
      e.LEDGER_TABLE,
      e.LEDGER_HASH_KEY_SECRET,
      e.REPLAY_HASH_KEY_SECRET,
      'LEDGER_HASH_KEY' in e,
    ]);

    // Assess
    expect(ledgerEnv).toEqual([
      [{ Ref: 'LedgerTable' }, { Ref: 'LedgerHashKeySecret' }, undefined, false],
      [{ Ref: 'LedgerTable' }, undefined, { Ref: 'ReplayHashKeySecret' }, false],
    ]);
    for (const id of ['LedgerHashKeySecret', 'ReplayHashKeySecret']) {
      expect(template.Resources[id]).toMatchObject({
        Type: 'AWS::SecretsManager::Secret',
        Properties: { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } },
      });
      expect(template.Resources[id]!.Properties.SecretString).toBeUndefined();
    }
  });
});

describe('serverless.yml: least privilege on the ledger', () => {
  const dynamoActions = (fn: Resource) =>
    roleStatements(fn)
      .filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')))
      .map((s) => ({ actions: asList(s.Action).sort(), resources: asList(s.Resource) }));
  const secretStatements = (fn: Resource) =>
    roleStatements(fn).filter((s) => asList(s.Action).some((a) => a.startsWith('secretsmanager:')));

  it('lets the consumer get, put, update, delete and query items of the ledger table only', () => {
    // Prepare
    const consumerFn = consumer();

    // Act
    const statements = dynamoActions(consumerFn);

    // Assess
    expect(statements).toEqual([
      {
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [{ 'Fn::GetAtt': ['LedgerTable', 'Arn'] }],
      },
    ]);
  });

  it('lets the webhook only put and delete ledger items (replay tokens)', () => {
    // Prepare
    const webhookFn = webhook();

    // Act
    const statements = dynamoActions(webhookFn);

    // Assess
    expect(statements).toEqual([
      { actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem'], resources: [{ 'Fn::GetAtt': ['LedgerTable', 'Arn'] }] },
    ]);
  });

  it.each([
    ['consumer', () => consumer(), 'LedgerHashKeySecret'],
    ['webhook', () => webhook(), 'ReplayHashKeySecret'],
  ])('lets the %s read only its own HMAC key secret (%s)', (_, fn, secret) => {
    // Prepare
    const f = fn();

    // Act
    const statements = secretStatements(f);

    // Assess
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secret } }),
    ]);
  });
});

describe('serverless.yml: bulk queue', () => {
  it('has its own DLQ after the same number of real attempts as the live queue', () => {
    // Prepare
    const bulk = template.Resources.BulkQueue!.Properties;

    // Act
    const redrive = bulk.RedrivePolicy;

    // Assess
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['BulkDeadLetterQueue', 'Arn'] });
    expect(redrive.maxReceiveCount).toBe(Number(consumerEnv().HOOD_MAX_ATTEMPTS));
  });

  it.each(['BulkQueue', 'BulkDeadLetterQueue'])('encrypts %s and keeps messages 14 days', (queue) => {
    // Prepare
    const properties = template.Resources[queue]!.Properties;

    // Act
    const settings = [properties.SqsManagedSseEnabled, properties.MessageRetentionPeriod];

    // Assess
    expect(settings).toEqual([true, 14 * 24 * 3600]);
  });

  it('is consumed by the consumer through its own mapping, capped by bulkMaxConcurrency', () => {
    // Prepare
    const defaults = serverlessYml().params.default;
    const bulk = mapping('BulkQueue').Properties;

    // Act
    const settings = [bulk.FunctionName, bulk.ScalingConfig.MaximumConcurrency, bulk.FunctionResponseTypes];

    // Assess
    expect(settings).toEqual([
      { 'Fn::GetAtt': ['BlockContactsLambdaFunction', 'Arn'] },
      defaults.bulkMaxConcurrency,
      ['ReportBatchItemFailures'],
    ]);
  });

  it('sets the bulk visibility timeout to at least 6 × the consumer timeout + the batching window', () => {
    // Prepare
    const window = mapping('BulkQueue').Properties.MaximumBatchingWindowInSeconds as number;

    // Act
    const visibility = template.Resources.BulkQueue!.Properties.VisibilityTimeout as number;

    // Assess
    expect(visibility).toBeGreaterThanOrEqual(6 * (consumer().Properties.Timeout as number) + window);
  });

  it('tells the consumer the bulk queue URLs and lets it consume, re-queue and dead-letter there', () => {
    // Prepare
    const statements = roleStatements(consumer());

    // Act
    const allowed = (action: string, queue: string) =>
      statements.some(
        (s) =>
          asList(s.Action).includes(action) && asList(s.Resource).some((r: any) => r?.['Fn::GetAtt']?.[0] === queue),
      );

    // Assess
    expect(consumerEnv().BULK_QUEUE_URL).toEqual({ Ref: 'BulkQueue' });
    expect(consumerEnv().BULK_DEAD_LETTER_QUEUE_URL).toEqual({ Ref: 'BulkDeadLetterQueue' });
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'])
      expect(allowed(action, 'BulkQueue')).toBe(true);
    expect(allowed('sqs:SendMessage', 'BulkDeadLetterQueue')).toBe(true);
  });

  it('exports the bulk queues, the ledger and the dashboard', () => {
    // Prepare
    const names = [
      'BulkQueueUrl',
      'BulkQueueArn',
      'BulkDeadLetterQueueUrl',
      'BulkDeadLetterQueueArn',
      'LedgerTableName',
      'LedgerHashKeySecretArn',
      'DashboardName',
    ];

    // Act
    const outputs = Object.fromEntries(names.map((n) => [n, template.Outputs[n]?.Value]));

    // Assess
    expect(outputs).toEqual({
      BulkQueueUrl: { Ref: 'BulkQueue' },
      BulkQueueArn: { 'Fn::GetAtt': ['BulkQueue', 'Arn'] },
      BulkDeadLetterQueueUrl: { Ref: 'BulkDeadLetterQueue' },
      BulkDeadLetterQueueArn: { 'Fn::GetAtt': ['BulkDeadLetterQueue', 'Arn'] },
      LedgerTableName: { Ref: 'LedgerTable' },
      LedgerHashKeySecretArn: { Ref: 'LedgerHashKeySecret' },
      DashboardName: { Ref: 'Dashboard' },
    });
  });
});

describe('infra/deploy-policy.json: the IAM permissions to deploy', () => {
  /** What CloudFormation calls to create each resource type the stack uses. */
  const CREATE_ACTIONS: Record<string, string[]> = {
    'AWS::S3::Bucket': ['s3:CreateBucket', 's3:PutEncryptionConfiguration'],
    'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy'],
    'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
    'AWS::Lambda::Function': [
      'lambda:CreateFunction',
      'lambda:GetFunction',
      'lambda:PutFunctionConcurrency',
      'iam:PassRole',
    ],
    'AWS::Lambda::EventSourceMapping': ['lambda:CreateEventSourceMapping', 'lambda:GetEventSourceMapping'],
    'AWS::Lambda::Permission': ['lambda:AddPermission'],
    'AWS::ApiGatewayV2::Api': ['apigateway:POST'],
    'AWS::ApiGatewayV2::Stage': ['apigateway:POST', 'apigateway:PATCH'],
    'AWS::ApiGatewayV2::Integration': ['apigateway:POST'],
    'AWS::ApiGatewayV2::Route': ['apigateway:POST'],
    'AWS::SQS::Queue': ['sqs:CreateQueue', 'sqs:GetQueueAttributes'],
    'AWS::SQS::QueuePolicy': ['sqs:SetQueueAttributes'],
    'AWS::DynamoDB::Table': [
      'dynamodb:CreateTable',
      'dynamodb:DescribeTable',
      'dynamodb:UpdateTimeToLive',
      'dynamodb:UpdateContinuousBackups',
    ],
    'AWS::SecretsManager::Secret': ['secretsmanager:CreateSecret', 'secretsmanager:GetRandomPassword'],
    'AWS::IAM::Role': ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:GetRole'],
    'AWS::SNS::Topic': ['sns:CreateTopic', 'sns:GetTopicAttributes'],
    'AWS::SNS::Subscription': ['sns:Subscribe', 'sns:GetSubscriptionAttributes'],
    'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms'],
    'AWS::CloudWatch::Dashboard': ['cloudwatch:PutDashboard'],
  };
  const policy = () =>
    JSON.parse(readFileSync(join(ROOT, 'infra', 'deploy-policy.json'), 'utf8')) as { Statement: Statement[] };

  it('knows how to create every resource type in the packaged stack', () => {
    // Prepare
    const types = new Set(
      [...Object.values(template.Resources), ...Object.values(withTopics.Resources)].map((r) => r.Type),
    );

    // Act
    const unknown = [...types].filter((t) => !(t in CREATE_ACTIONS));

    // Assess
    expect(unknown).toEqual([]);
  });

  it('allows every action those resource types need', () => {
    // Prepare
    const allowed = new Set(
      policy()
        .Statement.filter((s) => s.Effect === 'Allow')
        .flatMap((s) => asList(s.Action)),
    );

    // Act
    const missing = Object.values(CREATE_ACTIONS)
      .flat()
      .filter((a) => !allowed.has(a));

    // Assess
    expect(missing).toEqual([]);
  });

  it('allows no service wildcard and passes only the stack own roles', () => {
    // Prepare
    const statements = policy().Statement;

    // Act
    const wildcards = statements.flatMap((s) => asList(s.Action)).filter((a) => a.includes('*'));
    const passRole = statements.filter((s) => asList(s.Action).includes('iam:PassRole'));

    // Assess
    expect(wildcards).toEqual([]);
    expect(passRole.map((s) => s.Resource)).toEqual(['arn:aws:iam::*:role/hood-blocker-*']);
  });
});
