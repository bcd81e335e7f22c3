import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, fchmodSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Owner read/write only: what every file holding contacts or secrets is written with. */
export const PRIVATE_MODE = 0o600;

/**
 * A new file in `path`'s directory, created exclusively with mode 0600 (then fchmod, so a umask can only
 * narrow it). `open(path, 'w', 0o600)` would not do: the mode applies only when the file is created, and an
 * existing file keeps its own (0644, readable by everyone) with the new content in it.
 */
function openTemporarySibling(path: string): { tmp: string; fd: number } {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', PRIVATE_MODE);
  try {
    fchmodSync(fd, PRIVATE_MODE);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  return { tmp, fd };
}

/**
 * Writes `text` to `path` with mode 0600 whatever was there before: written whole to a 0600 sibling, then
 * renamed over `path` (a crash leaves the previous file, never half of the new one, and a reader that had
 * the old file open never sees the new content).
 */
export function writePrivateFile(path: string, text: string): void {
  const { tmp, fd } = openTemporarySibling(path);
  try {
    writeFileSync(fd, text);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** A file written line by line (`--out`), 0600 from its first byte; `path` appears when it is closed. */
export interface PrivateFileWriter {
  write(text: string): void;
  /** Flushes, then renames the 0600 file into place. */
  close(): Promise<void>;
}

export function openPrivateFile(path: string): PrivateFileWriter {
  const { tmp, fd } = openTemporarySibling(path);
  const stream = createWriteStream('', { fd, autoClose: true });
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure ??= error;
  });
  return {
    write: (text) => {
      stream.write(text);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        const done = () => {
          try {
            if (failure) throw failure;
            renameSync(tmp, path);
            resolve();
          } catch (error) {
            rmSync(tmp, { force: true });
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
        if (stream.closed) {
          done();
          return;
        }
        stream.once('close', done);
        stream.end();
      }),
  };
}
