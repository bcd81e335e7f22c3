import { UsageError } from './command.js';

/**
 * A configuration the user got wrong (a variable missing or out of range) is theirs to fix: one line and
 * exit 2, as a mistyped flag, not a failure (exit 1). Wraps a loader, returning what it returns; a loader
 * that returns a promise has its rejection turned into the usage error too.
 */
export function configOrUsage<T>(load: () => T): T {
  let loaded: T;
  try {
    loaded = load();
  } catch (error) {
    throw usageErrorOf(error);
  }
  if (loaded instanceof Promise) {
    return loaded.catch((error: unknown) => {
      throw usageErrorOf(error);
    }) as T;
  }
  return loaded;
}

function usageErrorOf(error: unknown): UsageError {
  return new UsageError(error instanceof Error ? error.message : String(error));
}
