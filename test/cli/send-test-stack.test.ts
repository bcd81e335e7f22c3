import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandIn, awsStandInEnv, startAwsStandIn } from '../../dev/aws-standin.js';
import { runCli } from './helpers.js';

// `send-test --stack NAME` against the CloudFormation stand-in (dev/aws-standin.ts): the webhook URL comes
// from the stack's WebhookBaseUrl output. A provider that signs with a key only it holds (SendGrid, SNS)
// cannot be signed for locally: the command says so and prints the provider's own way to send a test event.

const STACK = 'hood-blocker-sendtest';
const WEBHOOK_BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks';
let standIn: AwsStandIn;
let env: Record<string, string>;

beforeAll(async () => {
  standIn = await startAwsStandIn({ parameters: {}, secrets: {} });
  standIn.stacks.set(STACK, {
    BlockQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/000000000000/hood-blocker-block',
    WebhookBaseUrl: WEBHOOK_BASE,
  });
  env = { AWS_REGION: 'eu-west-1', ...awsStandInEnv(standIn) };
});

afterAll(async () => {
  await standIn.close();
});

describe('send-test --stack', () => {
  it('signs for the stack webhook URL read from the stack outputs', async () => {
    // Act
    const result = await runCli(['send-test', 'generic', '--stack', STACK, '--print'], {
      ...env,
      GENERIC_WEBHOOK_TOKEN: 'shell-token-never-printed',
    });

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${WEBHOOK_BASE}/generic`);
    expect(result.stdout).not.toContain('shell-token-never-printed');
  });

  it.each(['sendgrid', 'sns'])('%s: says it cannot be signed locally and how the provider sends a test', async (p) => {
    // Act
    const result = await runCli(['send-test', p, '--stack', STACK], env);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/only AWS signs|its own private key/iu);
    expect(result.stdout).toContain(`${WEBHOOK_BASE}/${p}`);
  });
});
