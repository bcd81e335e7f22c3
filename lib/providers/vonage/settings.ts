import * as z from 'zod/mini';
import { type Env, nonEmpty } from '../../config.js';
import { ConfigError } from '../../errors.js';
import { secretOf } from '../secrets.js';
import type { SecretSpec, SettingsSpec } from '../types.js';
import { VONAGE_SIGNATURE_METHODS, type VonageSignatureMethod } from './verify.js';

export const SIGNATURE_SECRET = {
  variable: 'VONAGE_SIGNATURE_SECRET',
  key: 'vonageSignatureSecret',
  kind: 'text',
} as const satisfies SecretSpec;

/** VONAGE_SIGNATURE_METHOD: the account's signature method (Vonage dashboard → API settings). */
export const VonageSignatureMethodSchema = z.enum(VONAGE_SIGNATURE_METHODS);

export interface VonageSettings {
  /** Unset: any method, recognised by the digest length (a cold-start warning advises pinning it). */
  signatureMethod: VonageSignatureMethod | undefined;
}

function signatureMethod(env: Env): VonageSignatureMethod | undefined {
  const value = nonEmpty(env.VONAGE_SIGNATURE_METHOD)?.toLowerCase();
  if (value === undefined) return undefined;
  const parsed = VonageSignatureMethodSchema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError('VONAGE_SIGNATURE_METHOD', `must be one of ${VONAGE_SIGNATURE_METHODS.join(', ')}`);
  return parsed.data;
}

export const SETTINGS = {
  variables: ['VONAGE_SIGNATURE_METHOD'],
  key: 'vonage',
  load: (env) => ({ signatureMethod: signatureMethod(env) }),
  warning: (settings, secrets) =>
    secretOf(secrets, SIGNATURE_SECRET) !== undefined && settings.signatureMethod === undefined
      ? // https://developer.vonage.com/en/getting-started/concepts/signing-messages: the account uses ONE method.
        "VONAGE_SIGNATURE_METHOD is not set: Vonage signatures are accepted with any method of the right length; set it to your account's method (md5hash, md5, sha1, sha256 or sha512)"
      : undefined,
} as const satisfies SettingsSpec<'vonage', VonageSettings>;
