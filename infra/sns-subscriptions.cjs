'use strict';

// osls `${file(./infra/sns-subscriptions.cjs):…}` resolvers for serverless.yml: the SES → SNS → SQS example
// wiring, expanded from the `sesNotificationTopicArns` param (comma list) at package time, offline.
// CloudFormation has no loop without the AWS::LanguageExtensions transform, and its `Fn::ForEach::…` keys
// fail osls's resource-name schema, so the list is expanded here. An empty list yields no resources at all: no
// subscription and no queue policy (decided here rather than by a condition, whose value is known now).

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

/** The block queue's policy: only the listed topics may send to it through SNS. */
function queuePolicy(arns) {
  return {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: 'BlockQueue' }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AllowListedSnsTopicsOnly',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': ['BlockQueue', 'Arn'] },
            // Without aws:SourceArn any topic in any account could write to the queue through SNS.
            Condition: { ArnEquals: { 'aws:SourceArn': arns } },
          },
        ],
      },
    },
  };
}

async function resources({ resolveVariable }) {
  const arns = await topicArnList(resolveVariable);
  if (arns.length === 0) return { Resources: {} };
  return { Resources: { BlockQueueSnsPolicy: queuePolicy(arns), ...Object.fromEntries(arns.map(subscription)) } };
}

module.exports = {
  /** `resources` fragment: the queue policy and one subscription per topic; nothing for an empty list. */
  resources,
};
