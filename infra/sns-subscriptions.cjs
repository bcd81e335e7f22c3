'use strict';

// osls `${file(./infra/sns-subscriptions.cjs):…}` resolvers for serverless.yml: the SES → SNS → SQS example
// wiring, expanded from the `sesNotificationTopicArns` param (comma list) at package time, offline.
// CloudFormation has no loop without the AWS::LanguageExtensions transform, and its `Fn::ForEach::…` keys
// fail osls's resource-name schema, so the list is expanded here. An empty list yields no resources; the
// queue policy in serverless.yml is gated by the matching `HasSesNotificationTopics` condition.

const { createHash } = require('node:crypto');

const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$/u;

async function topicArnList(resolveVariable) {
  const list = String((await resolveVariable('param:sesNotificationTopicArns')) ?? '');
  const arns = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  for (const arn of arns) {
    if (!TOPIC_ARN.test(arn)) throw new Error(`sesNotificationTopicArns: "${arn}" is not an SNS topic ARN`);
  }
  return arns;
}

/** `arn:aws:sns:eu-west-1:123456789012:ses-bounces` → [logical ID, subscription resource]. */
function subscription(arn) {
  const [, , region, , name] = TOPIC_ARN.exec(arn);
  // Logical ID from the ARN, not the list position: reordering the list must not replace subscriptions.
  const hash = createHash('sha256').update(arn).digest('hex').slice(0, 8);
  const id = `SesNotificationSubscription${name.replace(/[^A-Za-z0-9]/gu, '').slice(0, 60)}${hash}`;
  return [
    id,
    {
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasSesNotificationTopics',
      // Deliveries start once the queue accepts them from this topic.
      DependsOn: ['BlockQueueSnsPolicy'],
      Properties: {
        TopicArn: arn,
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': ['BlockQueue', 'Arn'] },
        // The queue receives the SES JSON itself, not the SNS envelope (the consumer accepts both).
        RawMessageDelivery: true,
        // A topic in another region than the stack: CloudFormation must call SNS in the topic's region.
        Region: region,
      },
    },
  ];
}

module.exports = {
  /** The trimmed, de-duplicated, validated topic ARNs (the queue policy's aws:SourceArn list). */
  topicArns: async ({ resolveVariable }) => topicArnList(resolveVariable),
  /** `resources` fragment: one subscription per topic. */
  resources: async ({ resolveVariable }) => ({
    Resources: Object.fromEntries((await topicArnList(resolveVariable)).map(subscription)),
  }),
};
