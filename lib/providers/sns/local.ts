import type { LocalPublish } from '../types.js';

/**
 * `send-test sns`: only AWS can sign an SNS message, so the sample goes to the local pipeline's topic
 * through the emulator's SNS Publish (the AWS query API, as the AWS CLI sends it).
 */
export const publishLocally: LocalPublish = {
  unsignable: (url) =>
    `SNS signs with AWS's own key, so a signed SNS test cannot be made here${url ? ` for ${url}` : ''}; ` +
    'publish to your topic instead: aws sns publish --topic-arn <arn> --message file://examples/sns.json',
  command: ({ endpoint, region, topicArn, message }) =>
    `aws --endpoint-url ${endpoint} --region ${region} sns publish --topic-arn ${topicArn} --message ${message}`,
  unreachable: (endpoint, cause) => `cannot reach the local SNS at ${endpoint} (${cause})`,
  published: (topicArn, status) => [
    `Published to ${topicArn} (local SNS, raw delivery to the block queue) → ${status}`,
    'SNS HTTPS subscriptions (/webhooks/sns) are signed by AWS with its private key; ' +
      'only a real topic can send those.',
  ],
};
