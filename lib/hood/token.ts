import type { TokenSource } from '../config.js';
import { ConfigError, RetryableError } from '../errors.js';
import { readParameters, type SsmLike } from '../ssm.js';

/** Anything that can `send` a GetParameters command: the real client, or a test double. */
export type SsmSender = SsmLike;

export interface ResolveTokenOptions {
  ssmClient?: SsmSender;
}

const VARIABLE = 'HOOD_API_TOKEN_PARAMETER';
// Errors that an operator has to fix (wrong name, missing permission, wrong KMS key), as opposed to transient
// SSM trouble (throttling, network) that the next cold start may not see.
const OPERATOR_ERRORS = new Set([
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'AccessDeniedException',
  'InvalidKeyId',
  'ValidationException',
  'UnrecognizedClientException',
]);

/**
 * The Hood personal API key (Hood API documentation, docs.ocamba.com: a static Bearer key, no refresh flow), from the
 * environment as is, or from an SSM SecureString read once at cold start through the one SSM reader
 * (lib/ssm.ts), which imports the SSM client only when it reads, so a bundle configured with `HOOD_API_TOKEN` never loads it. Errors name the parameter and
 * never the value.
 */
export async function resolveToken(source: TokenSource, options: ResolveTokenOptions = {}): Promise<string> {
  if (source.kind === 'value') return source.token;
  const { parameterName } = source;
  let value: string | undefined;
  try {
    const read = await readParameters([parameterName], options.ssmClient ? { ssm: options.ssmClient } : {});
    if (read.invalid.includes(parameterName))
      throw new ConfigError(VARIABLE, `SSM parameter "${parameterName}" cannot be read (ParameterNotFound)`);
    value = read.values.get(parameterName);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const name = error instanceof Error ? error.name : 'Error';
    if (OPERATOR_ERRORS.has(name)) {
      throw new ConfigError(VARIABLE, `SSM parameter "${parameterName}" cannot be read (${name})`);
    }
    throw new RetryableError(
      'token_unavailable',
      `${VARIABLE}: reading SSM parameter "${parameterName}" failed (${name})`,
      { cause: error },
    );
  }
  const token = value?.trim();
  if (token === undefined || token === '') {
    throw new ConfigError(VARIABLE, `SSM parameter "${parameterName}" is empty`);
  }
  if (/[\s\u0000-\u001F\u007F]/u.test(token)) {
    throw new ConfigError(VARIABLE, `SSM parameter "${parameterName}" holds whitespace or control characters`);
  }
  return token;
}
