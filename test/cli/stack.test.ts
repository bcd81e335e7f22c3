import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsStandIn, awsStandInEnv, startAwsStandIn } from '../../dev/aws-standin.js';
import { type LocalDynamo, startLocalDynamo } from '../../dev/dynalite.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { type HoodSandbox, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { startStandin } from '../../dev/suppression-standins.js';
import { DynamoLedger } from '../../lib/ledger/dynamo.js';
import { encodeMessage } from '../../lib/queue/message.js';
import { deadLetterAttributes, sendMessages } from '../../lib/queue/sqs.js';
import { receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir } from './helpers.js';

// Every command that talks to AWS, driven with --stack against real local stand-ins: CloudFormation, SSM and
// Secrets Manager (dev/aws-standin.ts, the AWS wire protocols over HTTP), fauxqs for SQS, dynalite for DynamoDB.

const STACK = 'hood-blocker-test';
const TOKEN = 'stack-test-token-51d0c2';
const HASH_KEY = 'stack-test-hash-key-0123456789abcdef';
const TOKEN_PARAMETER = '/hood-blocker/test/hood-api-token';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:hood-blocker-test-ledger-key';

let standIn: AwsStandIn;
let queues: LocalQueues;
let dynamo: LocalDynamo;
let hood: HoodSandbox;
let sqs: SQSClient;
let env: Record<string, string>;
const dir = tempDir('hood-blocker-stack-');

function outputs(): Record<string, string> {
  return {
    BlockQueueUrl: queues.blockQueueUrl,
    BlockQueueArn: queues.blockQueueArn,
    DeadLetterQueueUrl: queues.deadLetterQueueUrl,
    DeadLetterQueueArn: queues.deadLetterQueueArn,
    BulkQueueUrl: queues.bulkQueueUrl,
    BulkDeadLetterQueueUrl: queues.bulkDeadLetterQueueUrl,
    LedgerTableName: dynamo.table,
    LedgerHashKeySecretArn: SECRET_ARN,
    WebhookBaseUrl: 'https://example.execute-api.eu-west-1.amazonaws.com/webhooks',
    HoodApiTokenParameter: TOKEN_PARAMETER,
    HoodApiUrl: hood.url,
    HoodDryRun: 'false',
  };
}

beforeAll(async () => {
  [queues, dynamo, hood] = await Promise.all([
    startLocalQueues(),
    startLocalDynamo({ table: 'stack-ledger' }),
    startHoodSandbox({ token: TOKEN }),
  ]);
  standIn = await startAwsStandIn({ parameters: { [TOKEN_PARAMETER]: TOKEN }, secrets: { [SECRET_ARN]: HASH_KEY } });
  sqs = sqsClientFor(queues);
  // No AWS keys: every endpoint is loopback, so the CLI hands the SDK its dummy emulator keys.
  env = {
    AWS_REGION: queues.region,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    ...awsStandInEnv(standIn),
  };
});

beforeEach(() => {
  standIn.stacks.set(STACK, outputs());
  standIn.calls.length = 0;
});

afterAll(async () => {
  sqs.destroy();
  await Promise.all([standIn.close(), queues.stop().catch(() => undefined), dynamo.stop(), hood.close()]);
  dir.remove();
});

describe('--stack NAME', () => {
  it('check reads the token parameter, queues and ledger from the stack outputs', async () => {
    // Act
    const result = await runCli(['check', '--stack', STACK, '--json'], env);

    // Assess
    const checks = (JSON.parse(result.stdout) as { checks: { name: string; status: string; message: string }[] })
      .checks;
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.token).toMatchObject({ status: 'ok' });
    for (const name of ['block queue', 'dead letters', 'bulk queue', 'bulk dead letters', 'ledger', 'rate budget']) {
      expect(byName[name], name).toMatchObject({ status: 'ok' });
    }
    expect(result.code).toBe(0);
    expect(standIn.calls).toEqual(expect.arrayContaining(['CloudFormation:DescribeStacks', 'SSM:GetParameters']));
    expect(standIn.calls.filter((c) => c === 'CloudFormation:DescribeStacks')).toHaveLength(1);
  });

  it('check --stack prints every line of the table: token, mode, queues, dead letters, ledger, budget, sources', async () => {
    // Prepare: a dead letter with its reason, and the last event of a webhook provider and of SES (raw delivery).
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      {
        body: encodeMessage({ contact: 'check.person@example.com', reason: 'hard_bounce', source: 'ses' }),
        attributes: deadLetterAttributes({ reason: 'retries_exhausted' }),
      },
    ]);
    const hour = (h: number) => new Date(Math.floor(Date.now() / 3_600_000 - h) * 3_600_000);
    standIn.lastRequest.set('sendgrid', hour(1));
    standIn.lastSourceEvent.set('ses', hour(3));

    // Act
    const result = await runCli(['check', '--stack', STACK], env);
    standIn.lastRequest.clear();
    standIn.lastSourceEvent.clear();
    await runCli(['dlq', 'purge', '--stack', STACK, '--yes'], env);

    // Assess
    const line = (name: string) =>
      result.stdout.split('\n').find((l) => new RegExp(`^\\S+ +${name} {2,}`, 'u').test(l));
    const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    expect(line('token')).toMatch(/^ok +token +valid \(Hood answered \d+\) at http:\/\/127\.0\.0\.1:\d+/u);
    expect(line('mode')).toMatch(/^ok +mode +live: .*stack output HoodDryRun/u);
    expect(line('block queue')).toMatch(/^ok +block queue +now: 0 waiting/u);
    expect(line('dead letters')).toMatch(
      /^warn +dead letters +1 message waiting for a decision \(1 retries_exhausted\)/u,
    );
    expect(line('bulk queue')).toMatch(/^ok +bulk queue +now: \d+ waiting/u);
    expect(line('bulk dead letters')).toMatch(/^ok +bulk dead letters +none/u);
    expect(line('ledger')).toMatch(new RegExp(`^ok +ledger +table ${dynamo.table}: ACTIVE`, 'u'));
    expect(line('rate budget')).toMatch(/^ok +rate budget /u);
    expect(line('source sendgrid')).toMatch(
      new RegExp(`^ok +source sendgrid +last request in the hour from ${utc(hour(1))}$`, 'u'),
    );
    expect(line('source ses')).toMatch(
      new RegExp(`^ok +source ses +last event in the hour from ${utc(hour(3))}$`, 'u'),
    );
    expect(result.stdout.trim().split('\n').at(-1)).toBe('healthy');
    expect(result.code).toBe(0);
    expect(standIn.calls).toEqual(expect.arrayContaining(['CloudWatch:GetMetricData']));
  });

  it('check --stack fails an expected source (ExpectedSources output) silent longer than its hours', async () => {
    // Prepare: SES last heard 3 hours ago, expected every 2; SendGrid within its 24; Twilio never in 7 days.
    standIn.stacks.set(STACK, { ...outputs(), ExpectedSources: 'ses:2,sendgrid:24,twilio:24' });
    const hour = (h: number) => new Date(Math.floor(Date.now() / 3_600_000 - h) * 3_600_000);
    standIn.lastSourceEvent.set('ses', hour(3));
    standIn.lastRequest.set('sendgrid', hour(2));

    // Act
    const result = await runCli(['check', '--stack', STACK], env);
    standIn.lastRequest.clear();
    standIn.lastSourceEvent.clear();

    // Assess
    const sources = result.stdout.split('\n').filter((l) => / source /u.test(l));
    expect(sources).toEqual([
      expect.stringMatching(/^ok +source sendgrid +last request in the hour from /u),
      expect.stringMatching(
        /^FAIL +source ses +quiet: last event in the hour from .* \(expected within 2 h; expectedSources\)$/u,
      ),
      expect.stringMatching(
        /^FAIL +source twilio +quiet: nothing in the last 7 days \(expected within 24 h; expectedSources\)$/u,
      ),
    ]);
    expect(result.code).toBe(1);
  });

  it('check finds the token under the default parameter name of a stack deployed without the HoodApiTokenParameter output', async () => {
    // Prepare
    const { HoodApiTokenParameter: _omitted, ...older } = outputs();
    standIn.stacks.set(STACK, older);

    // Act
    const result = await runCli(['check', '--stack', STACK], env);

    // Assess
    expect(result.stdout).toMatch(/^ok +token +valid/mu);
  });

  it('a variable set in the environment wins over the stack output, and the command says so', async () => {
    // Act
    const result = await runCli(['check', '--stack', STACK], { ...env, HOOD_API_TOKEN: 'wrong-token-from-shell' });

    // Assess
    expect(result.stdout).toMatch(/^FAIL +token +rejected by Hood/mu);
    expect(standIn.calls).not.toContain('SSM:GetParameters');
  });

  it('why and forget open the stack ledger with the hash key from Secrets Manager', async () => {
    // Prepare
    const ledger = new DynamoLedger({
      table: dynamo.table,
      client: dynamo.client,
      hashKey: HASH_KEY,
      blockedDays: 30,
      historyDays: 400,
    });
    await ledger.markBlocked('stack.person@example.com', {
      hoodId: 'h-1',
      event: { at: new Date().toISOString(), source: 'ses', reason: 'complaint', outcome: 'blocked' },
    });

    // Act
    const why = await runCli(['why', 'stack.person@example.com', '--stack', STACK, '--json'], env);
    const forget = await runCli(['forget', '--stack', STACK, 'stack.person@example.com'], env);

    // Assess
    expect(why.code).toBe(0);
    expect(JSON.parse(why.stdout)).toMatchObject({ status: 'blocked', hoodId: 'h-1' });
    expect(forget.code).toBe(0);
    expect(standIn.calls).toContain('SecretsManager:GetSecretValue');
  });

  it('reconcile --from ledger compares the stack ledger with the stack Hood, with the token from SSM', async () => {
    // Prepare: blocked in the ledger, not in Hood (an admin removed it there, say).
    const ledger = new DynamoLedger({
      table: dynamo.table,
      client: dynamo.client,
      hashKey: HASH_KEY,
      blockedDays: 30,
      historyDays: 400,
    });
    await ledger.markBlocked('reconcile.person@example.com', {
      hoodId: 'h-2',
      event: { at: new Date().toISOString(), source: 'ses', reason: 'hard_bounce', outcome: 'blocked' },
    });

    // Act
    const result = await runCli(['reconcile', '--from', 'ledger', '--repair', '--stack', STACK, '--json'], env);
    const again = await runCli(['reconcile', '--from', 'ledger', '--stack', STACK, '--json'], env);

    // Assess
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ from: 'ledger', ledger: 1, both: 0, missing: 1, repaired: 1 });
    expect(result.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ from: 'ledger', ledger: 0, missing: 0 });
    expect(standIn.calls).toEqual(
      expect.arrayContaining(['CloudFormation:DescribeStacks', 'SSM:GetParameters', 'SecretsManager:GetSecretValue']),
    );
  });

  it('dlq list reads the stack dead-letter queue', async () => {
    // Prepare
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      {
        body: encodeMessage({ contact: 'dlq.person@example.com', reason: 'hard_bounce', source: 'ses' }),
        attributes: deadLetterAttributes({ reason: 'retries_exhausted' }),
      },
    ]);

    // Act
    const result = await runCli(['dlq', 'list', '--stack', STACK, '--json'], env);
    await runCli(['dlq', 'purge', '--stack', STACK, '--yes'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      queueUrl: queues.deadLetterQueueUrl,
      groups: [{ reason: 'retries_exhausted', count: 1 }],
    });
  });

  it('enqueue puts rows on the stack bulk queue', async () => {
    // Prepare
    const file = join(dir.path, 'contacts.csv');
    writeFileSync(file, 'contact\nbulk.person@example.com\n');

    // Act
    const result = await runCli(['enqueue', file, '--stack', STACK], env);

    // Assess
    expect(result.code).toBe(0);
    const bodies = (await receiveAll(sqs, queues.bulkQueueUrl, 10, 0)).map(
      (m) => JSON.parse(m.Body!) as { contact: string },
    );
    expect(bodies.map((b) => b.contact)).toContain('bulk.person@example.com');
  });

  it('import queues a provider suppression list on the stack bulk queue', async () => {
    // Prepare
    const provider = await startStandin({
      provider: 'sendgrid',
      lists: { bounces: { count: 3 } },
      apiKey: 'stack-import-key',
    });
    const cursor = join(dir.path, 'import-cursor.json');

    // Act
    const result = await runCli(['import', 'sendgrid', '--stack', STACK, '--cursor-file', cursor, '--json'], {
      ...env,
      SENDGRID_API_KEY: 'stack-import-key',
      SENDGRID_API_URL: provider.url,
    });
    await provider.close();

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ queued: 3, queueUrl: queues.bulkQueueUrl });
  });

  it('dlq resolve settles an ambiguous dead letter of the stack', async () => {
    // Prepare
    const body = JSON.stringify({
      reason: 'ambiguous_recipient',
      source: 'resend',
      description: 'complaint on a message to 2 recipients',
    });
    await sendMessages(sqs, queues.deadLetterQueueUrl, [
      {
        body,
        attributes: deadLetterAttributes({
          reason: 'ambiguous_recipient',
          detail: 'complaint on a message to 2 recipients',
        }),
      },
    ]);
    const [dead] = await receiveAll(sqs, queues.deadLetterQueueUrl, 1, 0);

    // Act
    const result = await runCli(
      ['dlq', 'resolve', dead!.MessageId!, '--block', 'picked@example.com', '--yes', '--stack', STACK],
      env,
    );

    // Assess
    expect(result.code).toBe(0);
    const queued = await receiveAll(sqs, queues.blockQueueUrl, 10);
    const picked = queued
      .map((m) => JSON.parse(m.Body!) as Record<string, string>)
      .filter((b) => b.contact === 'picked@example.com');
    expect(picked).toMatchObject([{ contact: 'picked@example.com', reason: 'complaint' }]);
  });

  it('says in one line when the stack does not exist', async () => {
    // Act
    const result = await runCli(['why', 'a@example.com', '--stack', 'hood-blocker-nope'], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('stack "hood-blocker-nope" does not exist');
  });

  it('refuses --stack together with --local before asking CloudFormation', async () => {
    // Act
    const result = await runCli(['check', '--stack', STACK, '--local'], env);

    // Assess
    expect(result.code).toBe(2);
    expect(standIn.calls).toEqual([]);
  });
});
