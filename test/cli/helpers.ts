import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../cli/main.js';
import { type LocalQueues, queuesForState } from '../../dev/emulator.js';
import { type LocalState, writeLocalState } from '../../dev/state.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process through `main` (so exit codes and error lines are the real ones). */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = {},
  stdin = '',
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        append(chunk.toString());
        callback();
      },
    });
  const code = await main(argv, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([stdin]),
    env,
  });
  return { code, stdout, stderr };
}

export function tempDir(prefix = 'hood-blocker-cli-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A state file as `hood-blocker start` writes it, pointing at queues (and a Hood) a test started, with
 * this process as the owner so that `--local` accepts it.
 */
export function writeStateFor(
  stateDir: string,
  queues: LocalQueues,
  hood: LocalState['hood'] = { sandbox: false, url: 'http://127.0.0.1:9/v1/hood' },
  options: { withBulk?: boolean } = {},
): void {
  writeLocalState(stateDir, {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    sqs: options.withBulk === false ? withoutBulk(queuesForState(queues)) : queuesForState(queues),
    webhookUrl: 'http://127.0.0.1:9/webhooks',
    genericWebhookToken: 'unused-in-this-test',
    hood,
    logFile: join(stateDir, 'local.log'),
  });
}

/** A pipeline's queues as an older `npm start`, without a bulk queue, recorded them. */
function withoutBulk(sqs: LocalState['sqs']): LocalState['sqs'] {
  const { bulkQueueUrl: _u, bulkQueueArn: _a, bulkDeadLetterQueueUrl: _du, bulkDeadLetterQueueArn: _da, ...rest } = sqs;
  return rest;
}
