import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The CLI runs on the Node.js 22 that `npm ci` installs next to it (devDependency "node"), whatever
 * `node` the shell has: the embedded SQS needs node:sqlite (22.13+), and the AWS SDK prints a
 * multi-line NodeVersionSupportWarning on every command under Node 20
 * (https://github.com/aws/aws-sdk-js-v3#node-js-versions). On an older Node the bin re-runs itself on
 * that Node.js 22, once (an environment marker stops any loop).
 */
export const MIN_NODE_MAJOR = 22;
const MARKER = 'HOOD_BLOCKER_BUNDLED_NODE';

export function needsNewerNode(version: string): boolean {
  return Number(version.split('.')[0]) < MIN_NODE_MAJOR;
}

/** node_modules/node/bin/node of the package the script belongs to (dist/cli.mjs or cli/main.ts). */
export function bundledNode(scriptPath: string): string | undefined {
  let dir = dirname(resolve(scriptPath));
  for (let i = 0; i < 4; i += 1) {
    const candidate = join(dir, 'node_modules', 'node', 'bin', 'node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * Re-runs this CLI on the bundled Node.js when the current one is too old; resolves to the child's exit
 * code, or undefined when this process should run the command itself.
 */
export function runOnBundledNode(
  scriptPath: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> | undefined {
  if (!needsNewerNode(process.versions.node) || env[MARKER] !== undefined) return undefined;
  const node = bundledNode(scriptPath);
  if (node === undefined) return undefined;
  return new Promise((resolveExit) => {
    const child = spawn(node, [...process.execArgv, scriptPath, ...args], {
      stdio: 'inherit',
      env: { ...env, [MARKER]: '1' },
    });
    // Ctrl-C reaches the child from the terminal itself (same process group); the parent only waits for
    // it. Signals sent to the parent alone (kill PID) are passed on.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
      const handler = signal === 'SIGINT' ? () => undefined : forward(signal);
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    child.on('exit', (code, signal) => {
      for (const off of handlers) off();
      resolveExit(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
    child.on('error', () => {
      for (const off of handlers) off();
      resolveExit(1);
    });
  });
}
