/**
 * One small hierarchy that tells the handlers what to do with a failure:
 * - `RetryableError`: try again later (Hood 429/5xx/timeouts, SQS hiccups); never dead-letter for it alone.
 * - `PermanentError`: retrying cannot help (bad payload, invalid contact, Hood 400): dead-letter with the reason.
 * - `HeldError`: neither: the event is fine but we cannot act now (bad token); keep it until an operator fixes it.
 * Messages never contain secrets or unmasked contacts.
 */
export class HoodBlockerError extends Error {
  /** Machine-readable reason label, used for DLQ attributes, metrics and CLI output. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.reason = reason;
  }
}

export class RetryableError extends HoodBlockerError {
  /** Earliest sensible retry, in ms, when the failure says so (Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(reason: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(reason, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export class PermanentError extends HoodBlockerError {}

export class HeldError extends HoodBlockerError {}

/** Configuration that cannot work; thrown at cold start, names the variable, never echoes a secret. */
export class ConfigError extends PermanentError {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super('invalid_config', `${variable}: ${problem}`);
    this.variable = variable;
  }
}

/** Queue I/O failed (send, delete, change visibility); the caller keeps the message for a retry. */
export class QueueError extends RetryableError {}

/** An inbound webhook that must be answered with an HTTP status (401, 404, 413, 400). */
export class WebhookRequestError extends PermanentError {
  readonly statusCode: number;
  constructor(statusCode: number, reason: string, message: string) {
    super(reason, message);
    this.statusCode = statusCode;
  }
}

export function isRetryable(error: unknown): error is RetryableError {
  return error instanceof RetryableError;
}
