import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { ConfigError, RetryableError } from '../../../lib/errors.js';
import { resolveToken, type SsmSender } from '../../../lib/hood/token.js';

const SECRET = 'ssm-held-secret-9a8b7c';

function fakeSsm(answer: () => Promise<unknown>): SsmSender & { commands: unknown[] } {
  const commands: unknown[] = [];
  return {
    commands,
    send: (async (command: unknown) => {
      commands.push(command);
      return answer();
    }) as SsmSender['send'],
  };
}

function awsError(name: string): Error {
  const e = new Error(`${name}: something went wrong`);
  e.name = name;
  return e;
}

describe('resolveToken', () => {
  it('returns a plain value as is', async () => {
    // Prepare
    const source = { kind: 'value', token: 'abc' } as const;

    // Act
    const token = await resolveToken(source);

    // Assess
    expect(token).toBe('abc');
  });

  it('reads an SSM SecureString with decryption', async () => {
    // Prepare
    const ssm = fakeSsm(async () => ({ Parameters: [{ Name: '/hood/token', Value: `${SECRET}\n` }] }));

    // Act
    const token = await resolveToken({ kind: 'ssm', parameterName: '/hood/token' }, { ssmClient: ssm });

    // Assess
    expect(token).toBe(SECRET);
    expect(ssm.commands[0]).toBeInstanceOf(GetParametersCommand);
    expect((ssm.commands[0] as GetParametersCommand).input).toEqual({ Names: ['/hood/token'], WithDecryption: true });
  });

  it('names the parameter when SSM lists it as invalid (GetParameters does not throw for a missing name)', async () => {
    // Prepare
    const ssm = fakeSsm(async () => ({ Parameters: [], InvalidParameters: ['/hood/missing'] }));

    // Act
    const read = resolveToken({ kind: 'ssm', parameterName: '/hood/missing' }, { ssmClient: ssm });

    // Assess
    await expect(read).rejects.toBeInstanceOf(ConfigError);
    await expect(read).rejects.toThrow(
      /HOOD_API_TOKEN_PARAMETER: SSM parameter "\/hood\/missing" cannot be read \(ParameterNotFound\)/u,
    );
  });

  it('names the parameter when it does not exist', async () => {
    // Prepare
    const ssm = fakeSsm(async () => {
      throw awsError('ParameterNotFound');
    });

    // Act
    const read = resolveToken({ kind: 'ssm', parameterName: '/hood/missing' }, { ssmClient: ssm });

    // Assess
    await expect(read).rejects.toBeInstanceOf(ConfigError);
    await expect(read).rejects.toThrow(
      /HOOD_API_TOKEN_PARAMETER: SSM parameter "\/hood\/missing" cannot be read \(ParameterNotFound\)/u,
    );
  });

  it('reports throttling as retryable', async () => {
    // Prepare
    const ssm = fakeSsm(async () => {
      throw awsError('ThrottlingException');
    });

    // Act
    const read = resolveToken({ kind: 'ssm', parameterName: '/hood/token' }, { ssmClient: ssm });

    // Assess
    await expect(read).rejects.toBeInstanceOf(RetryableError);
  });

  it('rejects an empty parameter', async () => {
    // Prepare
    const ssm = fakeSsm(async () => ({ Parameters: [{ Name: '/hood/token', Value: '  ' }] }));

    // Act
    const read = resolveToken({ kind: 'ssm', parameterName: '/hood/token' }, { ssmClient: ssm });

    // Assess
    await expect(read).rejects.toThrow(/"\/hood\/token" is empty/u);
  });

  it('rejects a value with inner whitespace without echoing it', async () => {
    // Prepare
    const ssm = fakeSsm(async () => ({ Parameters: [{ Name: '/hood/token', Value: `${SECRET} extra` }] }));

    // Act
    const error = await resolveToken({ kind: 'ssm', parameterName: '/hood/token' }, { ssmClient: ssm }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain(SECRET);
  });
});
