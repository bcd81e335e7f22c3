import type { Env } from './config.js';
import { ConfigError } from './errors.js';
import { SECRET_VARIABLES } from './providers/index.js';

export { SECRET_VARIABLES } from './providers/index.js';

export interface SsmLike {
  send(command: unknown): Promise<{ Parameters?: { Name?: string; Value?: string }[]; InvalidParameters?: string[] }>;
}

/**
 * Resolve `<NAME>_PARAMETER` indirections once, at cold start (GetParameters, 10 names per call, with
 * decryption), so secrets live in SSM and never in the template or the function configuration. A value
 * set directly wins; a parameter that does not exist leaves the secret unset (the provider stays
 * disabled: 404). Errors name the parameter, never a value. Returns a new env map for `load*Config`.
 */
export async function resolveSecretParameters(env: Env, options: { ssm?: SsmLike; names?: readonly string[] } = {}): Promise<Env> {
  const names = options.names ?? SECRET_VARIABLES;
  const wanted = new Map<string, string>();
  for (const name of names) {
    const parameter = env[`${name}_PARAMETER`]?.trim();
    if (parameter && !env[name]?.trim()) wanted.set(parameter, name);
  }
  if (wanted.size === 0) return env;
  const { SSMClient, GetParametersCommand } = await import('@aws-sdk/client-ssm');
  const ssm: SsmLike = options.ssm ?? (new SSMClient({}) as unknown as SsmLike);
  const resolved: Record<string, string> = {};
  const parameters = [...wanted.keys()];
  for (let i = 0; i < parameters.length; i += 10) {
    const chunk = parameters.slice(i, i + 10);
    let out;
    try {
      out = await ssm.send(new GetParametersCommand({ Names: chunk, WithDecryption: true }));
    } catch (error) {
      const first = wanted.get(chunk[0]!)!;
      throw new ConfigError(`${first}_PARAMETER`, `could not read SSM parameters ${chunk.join(', ')} (${error instanceof Error ? error.name : 'error'})`);
    }
    for (const p of out.Parameters ?? []) {
      const name = p.Name ? wanted.get(p.Name) : undefined;
      if (name && p.Value) resolved[name] = p.Value;
    }
  }
  // A missing secret fails safe (its provider answers 404); a missing NEVER_BLOCK list would fail OPEN:
  // the last safety net silently empty. Refuse to start instead, naming the variable.
  for (const [parameter, name] of wanted) {
    if (FAIL_CLOSED.has(name) && resolved[name] === undefined) {
      throw new ConfigError(`${name}_PARAMETER`, `SSM parameter ${parameter} does not exist or is empty; refusing to start without the list it names`);
    }
  }
  return { ...env, ...resolved };
}

/** Variables whose SSM parameter must exist: running without them would block what they protect. */
const FAIL_CLOSED: ReadonlySet<string> = new Set(['NEVER_BLOCK']);
