import type { Env } from './config.js';
import { ConfigError } from './errors.js';
import { readParameters, type SsmLike } from './ssm.js';

export type { SsmLike } from './ssm.js';

/**
 * Resolve `<NAME>_PARAMETER` indirections (through the one SSM reader, lib/ssm.ts), so secrets live in SSM
 * and never in the template or the function configuration. A value set directly wins; a parameter that
 * does not exist leaves the secret unset (the provider stays disabled: 404) — except NEVER_BLOCK, which
 * refuses the start. Errors name the parameter, never a value. Returns a new env map for `load*Config`.
 * `names`: the variables that may be given so (the webhook: the registry's SECRET_VARIABLES).
 */
export async function resolveSecretParameters(
  env: Env,
  options: { ssm?: SsmLike; names: readonly string[] },
): Promise<Env> {
  return resolveParameterVariables(env, options.names, options);
}

/**
 * `resolveSecretParameters` with the variables as a plain list (the consumer's cold start: NEVER_BLOCK).
 * This module imports no provider: the webhook hands in the registry's list itself.
 */
export async function resolveParameterVariables(
  env: Env,
  names: readonly string[],
  options: { ssm?: SsmLike } = {},
): Promise<Env> {
  const wanted = new Map<string, string>();
  for (const name of names) {
    const parameter = env[`${name}_PARAMETER`]?.trim();
    if (parameter && !env[name]?.trim()) wanted.set(parameter, name);
  }
  if (wanted.size === 0) return env;
  const parameters = [...wanted.keys()];
  let read;
  try {
    read = await readParameters(parameters, options);
  } catch (error) {
    const first = wanted.get(parameters[0]!)!;
    throw new ConfigError(
      `${first}_PARAMETER`,
      `could not read SSM parameters ${parameters.join(', ')} (${error instanceof Error ? error.name : 'error'})`,
    );
  }
  const resolved: Record<string, string> = {};
  for (const [parameter, name] of wanted) {
    const value = read.values.get(parameter);
    if (value !== undefined) resolved[name] = value;
  }
  // A missing secret fails safe (its provider answers 404); a missing NEVER_BLOCK list would fail OPEN:
  // the last safety net silently empty. Refuse to start instead, naming the variable.
  for (const [parameter, name] of wanted) {
    if (FAIL_CLOSED.has(name) && resolved[name] === undefined) {
      throw new ConfigError(
        `${name}_PARAMETER`,
        `SSM parameter ${parameter} does not exist or is empty; refusing to start without the list it names`,
      );
    }
  }
  return { ...env, ...resolved };
}

/** Variables whose SSM parameter must exist: running without them would block what they protect. */
const FAIL_CLOSED: ReadonlySet<string> = new Set(['NEVER_BLOCK']);
