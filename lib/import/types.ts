import type { Reason } from '../types.js';

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

export const IMPORT_PROVIDERS = ['ses', 'sendgrid', 'mailgun', 'postmark', 'brevo', 'sparkpost', 'mandrill'] as const;
export type ImportProvider = (typeof IMPORT_PROVIDERS)[number];
