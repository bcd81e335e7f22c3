import type { Env } from '../config.js';
import type { SsmLike } from '../ssm-env.js';
import type { Reason } from '../types.js';
import type { HttpOptions } from './http.js';

/** One suppression read from a provider, mapped to our reason label; the provider's own words kept. */
export interface SuppressionEntry {
  /** The address or number as the provider lists it; normalised by the import before queueing. */
  contact: string;
  reason: Reason;
  /** Which of the provider's lists it came from (`bounces`, `spam_reports`, a Postmark stream, …). */
  list: string;
  /** The provider's own reason, for the description in Hood (`HardBounce`, `550 5.1.1 user unknown`). */
  providerReason: string;
  /** ISO-8601 time the provider suppressed it, when it says. */
  occurredAt?: string | undefined;
}

/** One page as read from the provider, with the cursor that resumes *after* it. */
export interface SourcePage {
  list: string;
  entries: SuppressionEntry[];
  /** Entries deliberately not imported, by why (`soft_bounce`, `temporary_block`, …). */
  skipped: Record<string, number>;
  /** Opaque resume point after this page; `undefined` once every list is read. */
  cursor: string | undefined;
  /** Entries in the list when the API says (Brevo `count`, SparkPost `total_count`): drives the progress bar. */
  total?: number | undefined;
}

export interface PageOptions {
  /** Lists to read, in the source's fixed order (a subset of `lists`). */
  types: readonly string[];
  /** Only suppressions at or after this time (`--since`). */
  since?: Date | undefined;
  /**
   * Only suppressions before this time: fixed when a run starts and kept in the resume file, so that
   * offsets of APIs listing newest first do not shift under a resumed run.
   */
  until: Date;
  /** From a previous page's `cursor` (`--resume`). */
  cursor?: string | undefined;
}

export interface ImportSource {
  readonly provider: ImportProvider;
  /** Every list this source can read, in reading order. */
  readonly lists: readonly string[];
  /** Lists read when `--types` is not given. */
  readonly defaultLists: readonly string[];
  pages(options: PageOptions): AsyncGenerator<SourcePage>;
  /** Requests made so far (retries included). */
  readonly requests: number;
  close?(): void;
}

/** A provider name that has a suppression-list reader (lib/providers/suppressions.ts lists them). */
export type ImportProvider = string;

export type SourceHttpOptions = Pick<
  HttpOptions,
  'fetch' | 'clock' | 'sleep' | 'maxAttempts' | 'backoffBaseMs' | 'maxWaitMs' | 'onWait' | 'requestTimeoutMs'
>;

export interface ImportSourceOptions {
  http?: SourceHttpOptions;
  /** BLOCK_REASONS has group_unsubscribe: lists of per-group unsubscribes are read by default too. */
  includeGroupUnsubscribes?: boolean;
}

/**
 * What a provider declares (in lib/providers/<name>/suppressions.ts) so that `import` and `reconcile` can read
 * its suppression lists: how its configuration is read from the environment (credentials, API URL) and how
 * its reader is made. Shared code reaches a provider only through this.
 */
export interface SuppressionsSpec<C extends { provider: string } = { provider: string }> {
  readonly provider: string;
  /** Its line of `import --help`: credentials, optional variables, lists. */
  readonly help: string;
  /** Reads and validates its configuration once; errors name the variable, never a credential's value. */
  load(env: Env, options: { ssm?: SsmLike }): Promise<C>;
  create(config: C, options: ImportSourceOptions): ImportSource;
}
