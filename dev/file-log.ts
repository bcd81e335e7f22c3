import { createWriteStream, type WriteStream } from 'node:fs';
import type { Log, LogFields } from '../lib/consumer/process-batch.js';

/**
 * Structured JSON lines for the local pipeline, in the shape the Lambda functions log in CloudWatch
 * (level, message, keys, fields), written to a file so the terminal keeps only the status line.
 * The lib code only ever hands masked contacts and never the token to its logger, so nothing here
 * needs redacting.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface ComponentLog extends Log {
  appendKeys(keys: Record<string, unknown>): void;
  resetKeys(): void;
}

export interface FileLog {
  readonly path: string;
  /** A logger whose lines carry `component` and the given keys. */
  logger(component: string, keys?: Record<string, unknown>): ComponentLog;
  /** Flush and close the file. */
  close(): Promise<void>;
}

export function openFileLog(path: string, echo?: (line: string, level: Level) => void): FileLog {
  // 'w': `start` has already rotated the previous run's log to local.log.1 (dev/state.ts rotateLog).
  const stream: WriteStream = createWriteStream(path, { flags: 'w', mode: 0o600 });
  let failed = false;
  stream.on('error', () => {
    // A full disk must not take the pipeline down; the terminal still shows the status.
    failed = true;
  });
  let closed = false;
  const write = (line: string, level: Level) => {
    if (!closed && !failed) stream.write(`${line}\n`);
    echo?.(line, level);
  };
  return {
    path,
    logger(component, keys = {}) {
      let persistent: Record<string, unknown> = { ...keys };
      let appended: Record<string, unknown> = {};
      const at = (level: Level) => (message: string, fields?: LogFields) => {
        const entry = {
          time: new Date().toISOString(),
          level,
          component,
          message,
          ...persistent,
          ...appended,
          ...(fields ?? {}),
        };
        write(JSON.stringify(entry), level);
      };
      return {
        debug: at('debug'),
        info: at('info'),
        warn: at('warn'),
        error: at('error'),
        appendKeys(more) {
          appended = { ...appended, ...more };
        },
        resetKeys() {
          appended = {};
          persistent = { ...keys };
        },
      };
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => stream.end(() => resolve()));
    },
  };
}
