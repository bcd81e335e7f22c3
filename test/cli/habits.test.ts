import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { runCli } from './helpers.js';

// Habits of the CLI (issue 21 item 7), in process: "did you mean" for --source values, and "Stopped part-way"
// only when --resume can continue.

describe('did you mean, for values', () => {
  it('extract --source suggests the provider a typo meant', async () => {
    // Act
    const result = await runCli(['extract', '--source', 'sendgird', '-'], {}, '{}');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "sendgrid"?');
  });

  it('import suggests the provider a typo meant', async () => {
    // Act
    const result = await runCli(['import', 'mailgn', '--dry-run'], {});

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "mailgun"?');
  });
});

describe('import says "Stopped part-way" only when --resume can continue', () => {
  const KEY = 'habits-test-key-9a0c';
  let queues: LocalQueues;
  let standin: Standin;

  beforeAll(async () => {
    queues = await startLocalQueues();
    standin = await startStandin({ provider: 'sendgrid', lists: { bounces: { count: 10 } }, apiKey: KEY });
  });

  afterAll(async () => {
    await standin.close();
    await queues.stop();
  });

  it('a failure before the first page is queued leaves nothing to resume, and says so', async () => {
    // Prepare: the API refuses the very first request (a permanent 400, not retried).
    standin.breakAfter(0, { status: 400, body: '{"errors":[{"message":"bad request"}]}' });
    const env = {
      SENDGRID_API_KEY: KEY,
      SENDGRID_API_URL: standin.url,
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
      AWS_REGION: queues.region,
    };

    // Act
    const result = await runCli(
      [
        'import',
        'sendgrid',
        '--queue-url',
        queues.bulkQueueUrl,
        '--cursor-file',
        `/tmp/hood-blocker-habits-${process.pid}.json`,
      ],
      env,
    );
    standin.heal();

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('part-way');
    expect(result.stdout).not.toContain('--resume');
    expect(result.stdout).toContain('nothing to resume');
  });
});
