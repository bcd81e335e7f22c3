import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/shared/command.js';
import { parseFlags, parseFlagsAndOperands } from '../../cli/shared/parse-command.js';

// Every command parses its arguments strictly and answers -h/--help with its help, and nothing else.

const HELP = 'Usage: hood-blocker example [--json]';

function ioCapturing(): { io: CliIo; stdout: () => string } {
  let out = '';
  const stdout = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      out += chunk.toString();
      callback();
    },
  });
  return { io: { stdout, stderr: stdout, stdin: process.stdin, env: {} }, stdout: () => out };
}

describe('parseFlags and parseFlagsAndOperands', () => {
  it.each([['--help'], ['-h'], ['--json', '--help']])(
    '%s prints the help and parses to nothing',
    (...args: string[]) => {
      // Prepare
      const { io, stdout } = ioCapturing();

      // Act
      const parsed = parseFlags(args, io, HELP, { json: { type: 'boolean' } });

      // Assess
      expect(parsed).toBeUndefined();
      expect(stdout()).toBe(`${HELP}\n`);
    },
  );

  it("returns the command's options and operands, and prints nothing", () => {
    // Prepare
    const { io, stdout } = ioCapturing();

    // Act
    const parsed = parseFlagsAndOperands(['a@example.com', '--json', '--event', 'e-1'], io, HELP, {
      json: { type: 'boolean' },
      event: { type: 'string' },
    });

    // Assess
    expect(parsed?.values).toEqual({ json: true, event: 'e-1' });
    expect(parsed?.positionals).toEqual(['a@example.com']);
    expect(stdout()).toBe('');
  });

  it.each([
    ['an unknown option', ['--jsn'], 'ERR_PARSE_ARGS_UNKNOWN_OPTION'],
    ['an operand where none is taken', ['extra'], 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'],
    ['a string option without its value', ['--event'], 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'],
  ])('%s is the parse error main reports as a usage error (exit 2)', (_name, args, code) => {
    // Prepare
    const { io } = ioCapturing();

    // Act
    const act = () => parseFlags(args, io, HELP, { json: { type: 'boolean' }, event: { type: 'string' } });

    // Assess
    expect(act).toThrow(expect.objectContaining({ code }));
  });
});
