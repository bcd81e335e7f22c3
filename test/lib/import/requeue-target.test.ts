import { describe, expect, it } from 'vitest';
import { loadQueueConfig } from '../../../lib/config.js';
import { queueUrlFromArn } from '../../../lib/queue/sqs.js';

describe('re-queue target of a bulk record', () => {
  it('is the configured bulk queue URL, even when it is not the endpoint-derived one', () => {
    // Prepare: a proxy in front of SQS with its own path prefix; the queue URLs are what the stack gave
    const config = loadQueueConfig({
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
      BLOCK_QUEUE_URL: 'http://127.0.0.1:4566/queue/eu-west-1/123456789012/hood-blocker-block',
      BULK_QUEUE_URL: 'http://127.0.0.1:4566/queue/eu-west-1/123456789012/hood-blocker-bulk',
    });
    // Act
    const url = queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:hood-blocker-bulk', config);
    // Assess
    expect(url).toBe('http://127.0.0.1:4566/queue/eu-west-1/123456789012/hood-blocker-bulk');
  });
});
