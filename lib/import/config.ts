import { z } from 'zod';
import { type Env, localCredentialsFor } from '../config.js';
import { ConfigError } from '../errors.js';
import { resolveSecretParameters, type SsmLike } from '../ssm-env.js';
import type { ImportProvider } from './types.js';

/**
 * Configuration of `import`/`reconcile` provider sources: read once from the environment the CLI was
 * given, validated with zod, credentials resolved from `<NAME>_PARAMETER` (SSM SecureString) like every
 * other secret. Values of credentials never appear in an error.
 */

/** Public API base URLs (each provider's API reference). */
export const DEFAULT_API_URLS = {
  sendgrid: 'https://api.sendgrid.com',
  mailgun: 'https://api.mailgun.net',
  postmark: 'https://api.postmarkapp.com',
  brevo: 'https://api.brevo.com',
  sparkpost: 'https://api.sparkpost.com',
  mandrill: 'https://mandrillapp.com',
} as const;
// https://documentation.mailgun.com/docs/mailgun/api-reference/ : "EU: https://api.eu.mailgun.net".
export const MAILGUN_EU_API_URL = 'https://api.eu.mailgun.net';

export const CREDENTIAL_VARIABLES: Record<Exclude<ImportProvider, 'ses'>, readonly string[]> = {
  sendgrid: ['SENDGRID_API_KEY'],
  mailgun: ['MAILGUN_API_KEY'],
  postmark: ['POSTMARK_SERVER_TOKEN'],
  brevo: ['BREVO_API_KEY'],
  sparkpost: ['SPARKPOST_API_KEY'],
  mandrill: ['MANDRILL_API_KEY'],
};

const HttpUrlSchema = z.url({ protocol: /^https?$/u }).transform((u) => u.replace(/\/+$/u, ''));
const KeySchema = z.string().trim().min(1).refine((k) => !/[\s\u0000-\u001F\u007F]/u.test(k), 'contains whitespace or control characters');

export const SesImportConfigSchema = z.object({
  provider: z.literal('ses'),
  region: z.string().min(1),
  endpoint: HttpUrlSchema.optional(),
  localCredentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string(), sessionToken: z.string().optional() }).optional(),
});
export type SesImportConfig = z.infer<typeof SesImportConfigSchema>;

export const HttpImportConfigSchema = z.object({
  provider: z.enum(['sendgrid', 'mailgun', 'postmark', 'brevo', 'sparkpost', 'mandrill']),
  apiUrl: HttpUrlSchema,
  apiKey: KeySchema,
  /** Mailgun only: the sending domain whose lists are read. */
  domain: z.string().trim().min(1).regex(/^[A-Za-z0-9.-]+$/u, 'is not a domain name').optional(),
});
export type HttpImportConfig = z.infer<typeof HttpImportConfigSchema>;

export type ImportConfig = SesImportConfig | HttpImportConfig;

/** Resolves `<NAME>_PARAMETER` indirections for this provider's credentials, then validates. */
export async function loadImportConfig(provider: ImportProvider, env: Env, options: { ssm?: SsmLike } = {}): Promise<ImportConfig> {
  if (provider === 'ses') {
    const endpoint = nonEmpty(env.AWS_ENDPOINT_URL_SESV2) ?? nonEmpty(env.AWS_ENDPOINT_URL);
    const parsed = SesImportConfigSchema.safeParse({
      provider,
      region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
      endpoint,
      // A local stand-in accepts any signature; the SDK still wants credentials to sign with.
      // Keys given in the environment the CLI was handed are used as given (the SDK would only look at
      // process.env); an emulator on this machine gets config.ts's one local-credentials rule; otherwise
      // the SDK's default chain (profile, SSO, instance role).
      localCredentials:
        nonEmpty(env.AWS_ACCESS_KEY_ID) && nonEmpty(env.AWS_SECRET_ACCESS_KEY)
          ? { accessKeyId: env.AWS_ACCESS_KEY_ID!.trim(), secretAccessKey: env.AWS_SECRET_ACCESS_KEY!.trim(), ...(nonEmpty(env.AWS_SESSION_TOKEN) ? { sessionToken: env.AWS_SESSION_TOKEN!.trim() } : {}) }
          : localCredentialsFor(env, endpoint),
    });
    if (!parsed.success) throw new ConfigError('AWS_ENDPOINT_URL_SESV2', 'must be an http(s) URL');
    return parsed.data;
  }
  const names = [...CREDENTIAL_VARIABLES[provider]];
  const resolved = await resolveSecretParameters(env, { names, ...(options.ssm ? { ssm: options.ssm } : {}) });
  const keyName = names[0]!;
  const urlName = `${provider.toUpperCase()}_API_URL`;
  const apiKey = nonEmpty(resolved[keyName]);
  if (apiKey === undefined) throw new ConfigError(keyName, `is not set (set it, or ${keyName}_PARAMETER to an SSM SecureString name)`);
  let apiUrl: string = nonEmpty(env[urlName]) ?? DEFAULT_API_URLS[provider];
  if (provider === 'mailgun' && nonEmpty(env[urlName]) === undefined) {
    const region = nonEmpty(env.MAILGUN_REGION)?.toLowerCase();
    if (region !== undefined && region !== 'us' && region !== 'eu') throw new ConfigError('MAILGUN_REGION', 'must be us or eu');
    if (region === 'eu') apiUrl = MAILGUN_EU_API_URL;
  }
  const domain = provider === 'mailgun' ? nonEmpty(env.MAILGUN_DOMAIN) : undefined;
  if (provider === 'mailgun' && domain === undefined) throw new ConfigError('MAILGUN_DOMAIN', 'is not set (the sending domain whose suppressions are imported)');
  const parsed = HttpImportConfigSchema.safeParse({ provider, apiUrl, apiKey, domain });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    const variable = field === 'apiUrl' ? urlName : field === 'apiKey' ? keyName : 'MAILGUN_DOMAIN';
    // The message names the variable and the problem, never the value (it may be the key).
    throw new ConfigError(variable, field === 'apiUrl' ? 'must be an http(s) URL' : issue.message);
  }
  return parsed.data;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
