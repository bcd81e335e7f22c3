#!/usr/bin/env node
import { type CliIo, type Command, UsageError } from './shared/command.js';
import { describeError } from './shared/errors.js';
import { runOnBundledNode } from './shared/runtime.js';
import { resolveStackEnv, stackFlagsIn } from './shared/stack.js';
import { didYouMean, optionsInHelp } from './shared/suggest.js';

/**
 * `hood-blocker` — one binary for the dry run (`extract`), the local pipeline (`start`), and operations
 * (`enqueue`, `dlq`, `check`). Each command lives in its own module and is loaded only when used, so
 * `extract` stays fast and needs no AWS SDK.
 */
// One line per command; a command module exports `run` and prints its own help for --help.
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  extract: {
    summary: 'dry run: print the block/ignore decisions for a payload',
    load: async () => (await import('./extract.js')).run,
  },
  start: {
    summary: 'run the whole pipeline on this machine (queue, webhooks, consumer, sandbox Hood)',
    load: async () => (await import('./start.js')).run,
  },
  enqueue: {
    summary: 'backfill contacts from a CSV or NDJSON file onto the bulk queue (the block queue when there is none)',
    load: async () => (await import('./enqueue.js')).run,
  },
  dlq: {
    summary: 'inspect (list), replay (redrive) and delete (purge) dead letters',
    load: async () => (await import('./dlq.js')).run,
  },
  import: {
    summary: "day one: queue every suppression in a provider's own lists (bulk queue, resumable)",
    load: async () => (await import('./import.js')).run,
  },
  reconcile: {
    summary: "compare Hood's blocked contacts with a provider's suppression list or the ledger",
    load: async () => (await import('./reconcile.js')).run,
  },
  check: {
    summary: 'validate the Hood token, show rate-limit headroom, check the queues',
    load: async () => (await import('./check.js')).run,
  },
  why: {
    summary: "the ledger's story of one contact: opted out when, from which event, blocked when",
    load: async () => (await import('./why.js')).run,
  },
  forget: {
    summary: "clear a contact's blocked state in the ledger (history kept)",
    load: async () => (await import('./forget.js')).run,
  },
  'ledger-rekey': {
    summary: "once after an upgrade: key the event ids earlier releases stored in the ledger's history",
    load: async () => (await import('./ledger-rekey.js')).run,
  },
  'send-test': {
    summary: "sign a provider's sample event as that provider does and post it to the pipeline",
    load: async () => (await import('./send-test.js')).run,
  },
};

/**
 * The commands that talk to AWS take `--stack NAME` (and `--region`): main resolves the stack's outputs
 * once and hands the command an environment with them filled in (variables already set win). Commands
 * whose own parser does not list the flags (why, forget: the ledger only) get their arguments without them.
 */
const STACK_COMMANDS: ReadonlySet<string> = new Set([
  'check',
  'why',
  'forget',
  'ledger-rekey',
  'dlq',
  'enqueue',
  'import',
  'reconcile',
  'send-test',
]);
const STACK_FLAGS_STRIPPED: ReadonlySet<string> = new Set(['why', 'forget', 'ledger-rekey']);

async function withStack(name: string, args: string[], io: CliIo): Promise<{ args: string[]; io: CliIo }> {
  if (!STACK_COMMANDS.has(name) || args.includes('--help') || args.includes('-h')) return { args, io };
  const flags = stackFlagsIn(args, STACK_FLAGS_STRIPPED.has(name));
  if (flags.stack === undefined) {
    // --region alone still picks the region of the AWS calls.
    return flags.region === undefined
      ? { args, io }
      : { args: flags.rest, io: { ...io, env: { ...io.env, AWS_REGION: flags.region } } };
  }
  // A usage mistake costs no CloudFormation call.
  if (flags.conflicts.length > 0)
    throw new UsageError(
      `--stack and ${[...new Set(flags.conflicts)].join(' and ')} name different queues: use only one of them`,
    );
  const stack = await resolveStackEnv(flags, io.env);
  if (stack === undefined) return { args: flags.rest, io };
  for (const variable of stack.overridden) {
    io.stderr.write(
      `hood-blocker ${name}: ${variable} from the environment wins over stack ${stack.stackName}'s output\n`,
    );
  }
  return { args: flags.rest, io: { ...io, env: stack.env } };
}

export function usage(): string {
  const lines = ['Usage: hood-blocker <command> [options]', '', 'Commands:'];
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(width)}  ${c.summary}`);
  lines.push(
    '',
    'Run "hood-blocker <command> --help" for the options of a command. Every command that prints a result accepts --json.',
  );
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${process.env.npm_package_version ?? '0.1.0'}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(
      `hood-blocker: unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}; "hood-blocker --help" lists them\n`,
    );
    return 2;
  }
  let run: Command | undefined;
  try {
    run = await command.load();
    const withStackValues = await withStack(name, rest, io);
    return await run(withStackValues.args, withStackValues.io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`hood-blocker ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    // Node's parseArgs throws TypeErrors with a code for unknown/invalid options: a user mistake too.
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`hood-blocker ${name}: ${await describeParseError(error, run, rest)}\n`);
      return 2;
    }
    io.stderr.write(`hood-blocker ${name}: ${describeError(error)}\n`);
    return 1;
  }
}

/** parseArgs' messages are long and name no alternative; this one is one line with a suggestion. */
async function describeParseError(
  error: TypeError & { code?: unknown },
  run: Command | undefined,
  args: string[],
): Promise<string> {
  const unknown = /Unknown option '([^']+)'/u.exec(error.message)?.[1];
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || unknown === undefined || run === undefined)
    return error.message.split('. ')[0]!;
  // The command's own help lists its options; asking for it has no side effects.
  let help = '';
  const sink = {
    write: (chunk: string | Uint8Array) => {
      help += String(chunk);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const sub = args[0] !== undefined && !args[0].startsWith('-') ? [args[0]] : [];
  await run([...sub, '--help'], { stdout: sink, stderr: sink, stdin: process.stdin, env: {} }).catch(() => 0);
  return `unknown option ${unknown}${didYouMean(unknown, optionsInHelp(help))}; see --help`;
}

export { type CliIo, type Command, UsageError };

// dist/cli.mjs, cli/main.ts, or the package's bin (bin/hood-blocker.mjs, or npm's node_modules/.bin/hood-blocker).
const isEntry =
  process.argv[1] !== undefined && /(?:cli\.mjs|cli[\\/]main\.ts|hood-blocker(?:\.mjs)?)$/u.test(process.argv[1]);
if (isEntry) {
  // `hood-blocker extract … | head`: the reader left; what is left to print has nobody to read it. Quietly
  // done, as other command-line tools are (exit 0), not an unhandled EPIPE with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const args = process.argv.slice(2);
  (
    runOnBundledNode(process.argv[1]!, args, process.env) ??
    main(args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env })
  ).then((code) => {
    process.exitCode = code;
  });
}
