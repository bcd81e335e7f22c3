import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliIo } from './command.js';
import { writeLine } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Every command's `-h`/`--help`. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type Parsed<O extends Options, P extends boolean> = ReturnType<
  typeof parseArgs<{ args: string[]; strict: true; allowPositionals: P; options: O & typeof HELP_OPTION }>
>;

/**
 * A command's flags, parsed as `node:util` parseArgs does, always strictly (an unknown option, or an
 * operand the command takes none of, is a usage error, with "did you mean" from `main`) and with
 * `-h`/`--help` added. On `--help` the command's help is printed and undefined returned: the command
 * then exits 0 and does nothing else.
 */
export function parseFlags<const O extends Options>(
  args: string[],
  io: CliIo,
  help: string,
  options: O,
): Parsed<O, false> | undefined {
  return parse(args, io, help, options, false);
}

/** `parseFlags` for a command that takes operands too (a file, a contact, a provider). */
export function parseFlagsAndOperands<const O extends Options>(
  args: string[],
  io: CliIo,
  help: string,
  options: O,
): Parsed<O, true> | undefined {
  return parse(args, io, help, options, true);
}

function parse<O extends Options, P extends boolean>(
  args: string[],
  io: CliIo,
  help: string,
  options: O,
  allowPositionals: P,
): Parsed<O, P> | undefined {
  const parsed = parseArgs({ args, strict: true, allowPositionals, options: { ...options, ...HELP_OPTION } });
  if ((parsed.values as { help?: boolean }).help === true) {
    writeLine(io.stdout, help);
    return undefined;
  }
  return parsed as unknown as Parsed<O, P>;
}
