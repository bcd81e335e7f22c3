/**
 * The one SSM reader: SecureString parameters by name, decrypted, 10 per GetParameters call (the API's
 * maximum). The SSM client is imported only when something is read, so a configuration without
 * `_PARAMETER` variables never loads it. Callers decide what a missing parameter means (a disabled
 * provider, a refused cold start); errors from SSM itself propagate unchanged for them to classify.
 */
export interface SsmLike {
  send(command: unknown): Promise<{ Parameters?: { Name?: string; Value?: string }[]; InvalidParameters?: string[] }>;
}

export interface ParameterValues {
  /** Parameter name → decrypted value (parameters with an empty value are left out). */
  values: Map<string, string>;
  /** Names SSM does not know. */
  invalid: string[];
}

const MAX_NAMES_PER_CALL = 10;

export async function readParameters(
  names: readonly string[],
  options: { ssm?: SsmLike } = {},
): Promise<ParameterValues> {
  const values = new Map<string, string>();
  const invalid: string[] = [];
  if (names.length === 0) return { values, invalid };
  const { SSMClient, GetParametersCommand } = await import('@aws-sdk/client-ssm');
  const own = options.ssm === undefined ? new SSMClient({}) : undefined;
  const ssm: SsmLike = options.ssm ?? (own as unknown as SsmLike);
  try {
    for (let i = 0; i < names.length; i += MAX_NAMES_PER_CALL) {
      const out = await ssm.send(
        new GetParametersCommand({ Names: names.slice(i, i + MAX_NAMES_PER_CALL), WithDecryption: true }),
      );
      for (const p of out.Parameters ?? []) if (p.Name && p.Value) values.set(p.Name, p.Value);
      invalid.push(...(out.InvalidParameters ?? []));
    }
  } finally {
    // A client made here is ours to release; a caller's client stays theirs.
    own?.destroy();
  }
  return { values, invalid };
}
