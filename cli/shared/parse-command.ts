import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliIo } from './command.js';
import { writeLine } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Every command's `-h`/`--help`. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** What a command asks for: its arguments, its streams, its help text, its options, and whether it takes operands. */
export interface CommandArgsConfig {
  args: string[];
  io: CliIo;
  help: string;
  options: Options;
  allowPositionals?: boolean;
}

type Parsed<C extends CommandArgsConfig> = ReturnType<
  typeof parseArgs<{
    args: string[];
    strict: true;
    allowPositionals: C['allowPositionals'] extends true ? true : false;
    options: C['options'] & typeof HELP_OPTION;
  }>
>;

/**
 * A command's arguments, parsed as `node:util` parseArgs does, always strictly (an unknown option is a
 * usage error, with "did you mean" from `main`) and with `-h`/`--help` added. On `--help` the command's
 * help is printed and undefined returned: the command then exits 0 and does nothing else.
 */
export function parseCommandArgs<const C extends CommandArgsConfig>(config: C): Parsed<C> | undefined {
  const parsed = parseArgs({
    args: config.args,
    strict: true,
    allowPositionals: config.allowPositionals === true,
    options: { ...config.options, ...HELP_OPTION },
  });
  if ((parsed.values as { help?: boolean }).help === true) {
    writeLine(config.io.stdout, config.help);
    return undefined;
  }
  return parsed as unknown as Parsed<C>;
}
