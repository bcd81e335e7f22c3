import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalQueues, queuesForState, startLocalQueues } from '../../dev/emulator.js';
import { receiveAll, sqsClientFor } from '../helpers/sqs.js';

/**
 * The local topic SES's declaration asks for (lib/providers/ses/local.ts): created by the shared emulator,
 * which names no provider, and recorded under the key scripts read from local.json and `start --json`.
 */
describe('the local SES notification topic', () => {
  let queues: LocalQueues;
  beforeAll(async () => {
    queues = await startLocalQueues();
  });
  afterAll(async () => {
    await queues.stop();
  });

  it('is recorded as sqs.sesTopicArn in local.json, between the dead-letter queue and the bulk queue', () => {
    // Act
    const state = queuesForState(queues);

    // Assess
    expect(state.sesTopicArn).toMatch(/^arn:aws:sns:us-east-1:\d{12}:hood-blocker-ses-notifications$/u);
    const keys = Object.keys(state);
    expect(keys.slice(keys.indexOf('deadLetterQueueArn'), keys.indexOf('bulkQueueUrl') + 1)).toEqual([
      'deadLetterQueueArn',
      'sesTopicArn',
      'bulkQueueUrl',
    ]);
  });

  it('delivers what is published to it raw to the block queue', async () => {
    // Prepare
    const message = JSON.stringify({ notificationType: 'Complaint', mail: { messageId: 'm' } });

    // Act
    queues.publish(queuesForState(queues).sesTopicArn!, message);

    // Assess
    const received = await receiveAll(sqsClientFor(queues), queues.blockQueueUrl);
    expect(received.map((m) => m.Body)).toEqual([message]);
  });
});
