import { type Env, loadPolicyConfig, type PolicyConfig } from '../../lib/config.js';
import { loadImportConfig } from '../../lib/providers/suppressions.js';
import type { ImportSource } from '../../lib/import/types.js';
import { UsageError } from './command.js';
import { configOrUsage } from './config-errors.js';

/**
 * What `import` and `reconcile` read the same way when a provider's suppression lists are the source:
 * the policy and the provider's configuration, `--types` and `--since`.
 */

/** BLOCK_REASONS and the provider's credentials; a bad variable is a usage error. */
export function loadSuppressionConfig(
  provider: string,
  env: Env,
): Promise<{ policy: PolicyConfig; config: Awaited<ReturnType<typeof loadImportConfig>> }> {
  return configOrUsage(async () => ({ policy: loadPolicyConfig(env), config: await loadImportConfig(provider, env) }));
}

/** `--types a,b` as given (order kept), or the source's default lists; a list the source lacks is a usage error. */
export function listsFromFlag(
  flag: string | undefined,
  source: Pick<ImportSource, 'lists' | 'defaultLists'>,
  provider: string,
): string[] {
  const types =
    flag === undefined
      ? [...source.defaultLists]
      : flag
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '');
  if (types.length === 0 || types.some((t) => !source.lists.includes(t)))
    throw new UsageError(`--types: ${provider} lists are ${source.lists.join(', ')}`);
  return types;
}

/**
 * `--since`: a day (YYYY-MM-DD, from its UTC midnight) or an ISO-8601 time; undefined when not given.
 * Anything else is a usage error, its message followed by `hint` (each command keeps its own words).
 */
export function sinceFromFlag(value: string | undefined, hint = ''): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(/^\d{4}-\d\d-\d\d$/u.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since "${value}" is not a date${hint}`);
  return date;
}
