import { z } from 'zod';
import { type Env, nonEmpty } from '../config.js';
import { ConfigError } from '../errors.js';
import { resolveSecretParameters, type SsmLike } from '../ssm-env.js';

/**
 * What every HTTP suppression reader's configuration shares: read once from the environment the CLI was
 * given, validated with zod, the credential resolved from `<NAME>_PARAMETER` (SSM SecureString) like every
 * other secret. Values of credentials never appear in an error. Each provider's own variables (its API URL,
 * credential, list names) are declared in its folder (lib/providers/<name>/suppressions.ts).
 */

export const HttpUrlSchema = z.url({ protocol: /^https?$/u }).transform((u) => u.replace(/\/+$/u, ''));
const KeySchema = z
  .string()
  .trim()
  .min(1)
  .refine((k) => !/[\s\u0000-\u001F\u007F]/u.test(k), 'contains whitespace or control characters');

export const HttpImportConfigSchema = z.object({
  provider: z.string().min(1),
  apiUrl: HttpUrlSchema,
  apiKey: KeySchema,
});
export type HttpImportConfig = z.infer<typeof HttpImportConfigSchema>;

export interface HttpImportDeclaration {
  provider: string;
  /** The credential's variable (also as `<NAME>_PARAMETER`). */
  keyVariable: string;
  /** The API URL's variable (a stand-in or a regional endpoint) and the public default. */
  urlVariable: string;
  defaultUrl: string;
}

/** Resolves the credential's `<NAME>_PARAMETER` indirection, then validates key and URL. */
export async function loadHttpImportConfig(
  declared: HttpImportDeclaration,
  env: Env,
  options: { ssm?: SsmLike } = {},
): Promise<HttpImportConfig> {
  const { keyVariable, urlVariable } = declared;
  const resolved = await resolveSecretParameters(env, {
    names: [keyVariable],
    ...(options.ssm ? { ssm: options.ssm } : {}),
  });
  const apiKey = nonEmpty(resolved[keyVariable]);
  if (apiKey === undefined)
    throw new ConfigError(keyVariable, `is not set (set it, or ${keyVariable}_PARAMETER to an SSM SecureString name)`);
  const apiUrl = nonEmpty(env[urlVariable]) ?? declared.defaultUrl;
  const parsed = HttpImportConfigSchema.safeParse({ provider: declared.provider, apiUrl, apiKey });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    // The message names the variable and the problem, never the value (it may be the key).
    throw new ConfigError(
      field === 'apiUrl' ? urlVariable : keyVariable,
      field === 'apiUrl' ? 'must be an http(s) URL' : issue.message,
    );
  }
  return parsed.data;
}
