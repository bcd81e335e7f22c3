import { type Env, nonEmpty } from '../config.js';
import { ConfigError } from '../errors.js';
import type {
  BasicAuthCredentials,
  SecretKind,
  SecretSpec,
  SecretsView,
  SecretValues,
  SettingsSpec,
  SettingsView,
} from './types.js';

/**
 * Reading webhook secrets from the environment, for every provider in the registry (lib/config.ts calls
 * `loadSecrets` with the registry's list). Errors name the variable, never the value.
 */

function basicAuthOf(value: string, variable: string): BasicAuthCredentials {
  const i = value.indexOf(':');
  if (i <= 0 || i === value.length - 1) throw new ConfigError(variable, 'must be "user:password"');
  return { user: value.slice(0, i), pass: value.slice(i + 1) };
}

/** One secret's value, parsed by its kind; undefined when unset. */
export function parseSecret<T extends SecretKind>(env: Env, spec: SecretSpec<string, T>): SecretValues[T] | undefined {
  const value = nonEmpty(env[spec.variable]);
  if (value === undefined) return undefined;
  if (spec.parse !== undefined) return spec.parse(value, spec.variable);
  return (spec.kind === 'basicAuth' ? basicAuthOf(value, spec.variable) : value) as SecretValues[T];
}

/** The distinct secrets of several providers (a shared one, such as WEBHOOK_BASIC_AUTH, once), in order. */
export function distinctSecrets(specs: Iterable<SecretSpec>): SecretSpec[] {
  const byVariable = new Map<string, SecretSpec>();
  for (const spec of specs) if (!byVariable.has(spec.variable)) byVariable.set(spec.variable, spec);
  return [...byVariable.values()];
}

/** Every secret that is set, by key. */
export function loadSecrets(env: Env, specs: readonly SecretSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = parseSecret(env, spec);
    if (value !== undefined) out[spec.key] = value;
  }
  return out;
}

/** Runs each secret's format check; throws ConfigError naming the first malformed variable. */
export function checkSecrets(secrets: SecretsView, specs: readonly SecretSpec[]): void {
  for (const spec of specs) {
    const value = (secrets as Readonly<Record<string, unknown>>)[spec.key];
    if (value === undefined || spec.check === undefined) continue;
    const problem = (spec.check as (v: unknown) => string | undefined)(value);
    if (problem !== undefined) throw new ConfigError(spec.variable, problem);
  }
}

/** A provider's own secret, typed by its spec. */
export function secretOf<T extends SecretKind>(
  secrets: SecretsView,
  spec: SecretSpec<string, T>,
): SecretValues[T] | undefined {
  return (secrets as Readonly<Record<string, unknown>>)[spec.key] as SecretValues[T] | undefined;
}

/** Every provider's settings (`SettingsSpec`), by key; a malformed one throws ConfigError naming its variable. */
export function loadSettings(env: Env, specs: readonly SettingsSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) out[spec.key] = spec.load(env);
  return out;
}

/** A provider's own settings, typed by its spec (undefined in a hand-built configuration without them). */
export function settingOf<T>(settings: SettingsView, spec: SettingsSpec<string, T>): T | undefined {
  return settings[spec.key] as T | undefined;
}
