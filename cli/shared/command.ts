/**
 * What every command module needs from the binary: its streams and environment, and the user-mistake error.
 * Kept apart from `cli/main.ts` so that the commands never import the entry point that loads them (no import
 * cycles).
 */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** A mistake by the user: printed as one line, no stack trace, exit code 2 unless given. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

export type Command = (args: string[], io: CliIo) => Promise<number>;
