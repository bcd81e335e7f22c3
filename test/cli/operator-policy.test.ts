import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// infra/operator-policy.json grants every AWS action the operator commands make (found in their source, so a
// new call without a grant fails here), and docs/operate.md documents each of them.

const ROOT = join(import.meta.dirname, '..', '..');
const policy = JSON.parse(readFileSync(join(ROOT, 'infra', 'operator-policy.json'), 'utf8')) as {
  Statement: { Effect: string; Action: string[] }[];
};
const granted = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

/** SDK command → IAM action (a batch command is authorised as its single action). */
const SERVICE: Record<string, string> = {
  DescribeStacks: 'cloudformation',
  GetParameters: 'ssm',
  GetSecretValue: 'secretsmanager',
  GetMetricData: 'cloudwatch',
  ListSuppressedDestinations: 'ses',
  DescribeTable: 'dynamodb',
  GetItem: 'dynamodb',
  Query: 'dynamodb',
  PutItem: 'dynamodb',
  UpdateItem: 'dynamodb',
  DeleteItem: 'dynamodb',
  Scan: 'dynamodb',
  GetQueueAttributes: 'sqs',
  ReceiveMessage: 'sqs',
  ChangeMessageVisibility: 'sqs',
  DeleteMessage: 'sqs',
  SendMessage: 'sqs',
  StartMessageMoveTask: 'sqs',
  ListMessageMoveTasks: 'sqs',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// What the operator commands reach: the CLI itself and the library modules it calls AWS through.
const SOURCES = [
  ...files(join(ROOT, 'cli')),
  ...files(join(ROOT, 'lib', 'dlq')),
  ...['ledger/dynamo.ts', 'ledger/index.ts', 'queue/sqs.ts', 'ssm.ts', 'providers/ses/suppressions.ts'].map((f) =>
    join(ROOT, 'lib', f),
  ),
];

const commands = new Set(
  SOURCES.flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/new (?:\w+\.)?([A-Z]\w+?)(?:Batch)?Command\(/gu)].map((m) => m[1]!),
  ),
);

describe('infra/operator-policy.json', () => {
  it.each([...commands].sort())('grants what the CLI calls: %s', (command) => {
    // Assess
    expect(SERVICE[command], `${command}: add it to SERVICE and to the policy`).toBeDefined();
    expect(granted).toContain(`${SERVICE[command]}:${command}`);
  });

  it('grants nothing the CLI does not call, and docs/operate.md names every action', () => {
    // Prepare
    const called = new Set([...commands].map((c) => `${SERVICE[c]}:${c}`));
    const docs = readFileSync(join(ROOT, 'docs', 'operate.md'), 'utf8');

    // Assess
    expect([...granted].filter((a) => !called.has(a))).toEqual([]);
    expect([...granted].filter((a) => !docs.includes(`\`${a}\``))).toEqual([]);
  });
});
