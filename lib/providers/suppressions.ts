import type { Env } from '../config.js';
import type { ImportSource, ImportSourceOptions, SuppressionsSpec } from '../import/types.js';
import type { SsmLike } from '../ssm-env.js';
import { suppressions as brevo } from './brevo/suppressions.js';
import { suppressions as mailgun } from './mailgun/suppressions.js';
import { suppressions as mandrill } from './mandrill/suppressions.js';
import { suppressions as postmark } from './postmark/suppressions.js';
import { suppressions as sendgrid } from './sendgrid/suppressions.js';
import { suppressions as ses } from './ses/suppressions.js';
import { suppressions as sparkpost } from './sparkpost/suppressions.js';

/**
 * The suppression-list readers of `import` and `reconcile`, one per provider that has such a list; each is
 * declared in its provider's folder (lib/providers/<name>/suppressions.ts). A registry apart from the
 * webhook one (./index.ts) so that the Lambda bundles never carry the import code (SES's SDK client, paging).
 */
const READERS = [ses, sendgrid, mailgun, postmark, brevo, sparkpost, mandrill] as const;

/** `import <provider>`, `reconcile --from <provider>`. */
export const IMPORT_PROVIDERS: readonly string[] = READERS.map((r) => r.provider);

const BY_NAME: ReadonlyMap<string, SuppressionsSpec<{ provider: string }>> = new Map(
  READERS.map((r) => [r.provider, r as unknown as SuppressionsSpec<{ provider: string }>]),
);

/** The `import --help` lines: provider, credentials, lists. */
export function importHelpLines(): string[] {
  return READERS.map((r) => `  ${r.provider.padEnd(10)} ${r.help}`);
}

function readerOf(provider: string): SuppressionsSpec<{ provider: string }> {
  const reader = BY_NAME.get(provider);
  if (reader === undefined)
    throw new Error(`no suppression-list reader for "${provider}" (one of ${IMPORT_PROVIDERS.join(', ')})`);
  return reader;
}

/** The provider's import configuration, read once from the environment the CLI was given. */
export function loadImportConfig(
  provider: string,
  env: Env,
  options: { ssm?: SsmLike } = {},
): Promise<{ provider: string }> {
  return readerOf(provider).load(env, options);
}

/** The reader for a loaded configuration. */
export function createImportSource<C extends { provider: string }>(
  config: C,
  options: ImportSourceOptions = {},
): ImportSource {
  return readerOf(config.provider).create(config, options);
}
