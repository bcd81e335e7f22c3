import type { LocalTopic } from '../types.js';

/**
 * SES publishes its notifications to an SNS topic that delivers them raw to the block queue; the local
 * pipeline (`npm start`) stands in for that topic in its emulator, and `send-test sns` publishes there.
 */
export const localTopic: LocalTopic = {
  name: 'hood-blocker-ses-notifications',
  stateKey: 'sesTopicArn',
  service: 'SNS',
  startHelp: 'an SNS topic delivering raw to the block queue (the SES → SNS → SQS path)',
  label: 'SES topic',
  sendTestHelp: 'sample (an SES notification) is published to its SNS topic instead (SES → SNS → SQS path)',
};

/** SES queue bodies as they arrive: raw from the topic, and inside an SNS envelope (the benchmark's mapping). */
export const queueSamples: Readonly<Record<string, string>> = {
  'SES bounce (raw)': JSON.stringify({
    notificationType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: 'jane@example.com' }, { emailAddress: 'richard@example.com' }],
      timestamp: '2016-01-27T14:59:38.237Z',
      feedbackId: 'x',
    },
    mail: {
      messageId: 'm',
      destination: ['jane@example.com'],
      timestamp: '2016-01-27T14:59:38.237Z',
      source: 'a@b.co',
    },
  }),
  'SES complaint (SNS envelope)': JSON.stringify({
    Type: 'Notification',
    MessageId: 'id',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
    Message: JSON.stringify({
      notificationType: 'Complaint',
      complaint: {
        complainedRecipients: [{ emailAddress: 'richard@example.com' }],
        timestamp: '2016-01-27T14:59:38.237Z',
        feedbackId: 'f',
      },
      mail: { messageId: 'm', destination: ['richard@example.com'] },
    }),
    Timestamp: '2016-01-27T14:59:38.237Z',
    SignatureVersion: '1',
    Signature: 'x',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
  }),
};
