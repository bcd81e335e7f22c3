import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/shared/command.js';
import { configOrUsage } from '../../cli/shared/config-errors.js';

// A configuration the user got wrong is a usage error (exit 2, one line), as docs/operate.md says.

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('configOrUsage', () => {
  it('returns what the loader returns', () => {
    // Prepare
    const load = () => ({ table: 'ledger' });

    // Act
    const loaded = configOrUsage(load);

    // Assess
    expect(loaded).toEqual({ table: 'ledger' });
  });

  it.each([
    ['an Error', new Error('HOOD_API_URL is not set'), 'HOOD_API_URL is not set'],
    ['a thrown string', 'BLOCK_REASONS: unknown reason', 'BLOCK_REASONS: unknown reason'],
  ])('turns %s thrown by the loader into a usage error with exit code 2', (_what, thrown, message) => {
    // Prepare
    const load = () => {
      throw thrown;
    };

    // Act
    const error = thrownBy(() => configOrUsage(load));

    // Assess
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message, exitCode: 2 });
  });

  it('turns the rejection of an asynchronous loader into a usage error', async () => {
    // Prepare
    const load = async () => {
      throw new Error('MAILGUN_API_KEY is not set');
    };

    // Act
    const loaded = configOrUsage(load);

    // Assess
    await expect(loaded).rejects.toThrow(UsageError);
    await expect(loaded).rejects.toThrow('MAILGUN_API_KEY is not set');
  });

  it('resolves to what an asynchronous loader resolves to', async () => {
    // Prepare
    const load = async () => 'token';

    // Act
    const loaded = await configOrUsage(load);

    // Assess
    expect(loaded).toBe('token');
  });
});
