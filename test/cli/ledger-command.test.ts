import { describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../cli/shared/command.js';
import { UsageError } from '../../cli/shared/command.js';
import { withLedger } from '../../cli/shared/ledger-command.js';
import type { Ledger } from '../../lib/ledger/types.js';

// The ledger commands (why, forget, ledger-rekey) open the ledger the same way and always close it.
// Opening a DynamoDB ledger makes no call, so no table is needed for these.

const HASH_KEY = 'a-test-hash-key-of-32-characters';
const ioWith = (env: CliIo['env']): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env,
});
const configured = ioWith({ LEDGER_TABLE: 'ledger', LEDGER_HASH_KEY: HASH_KEY, AWS_REGION: 'eu-west-1' });

describe('withLedger', () => {
  it('returns what the use returns and closes the ledger after it', async () => {
    // Prepare
    let close: ReturnType<typeof vi.fn> | undefined;
    const use = async (ledger: Ledger) => {
      close = vi.spyOn(ledger, 'close');
      return 'used';
    };

    // Act
    const result = await withLedger({}, configured, use);

    // Assess
    expect(result).toBe('used');
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('closes the ledger when the use fails, and passes the failure on', async () => {
    // Prepare
    let close: ReturnType<typeof vi.fn> | undefined;
    const use = async (ledger: Ledger): Promise<never> => {
      close = vi.spyOn(ledger, 'close');
      throw new Error('scan failed');
    };

    // Act
    const result = withLedger({}, configured, use);

    // Assess
    await expect(result).rejects.toThrow('scan failed');
    expect(close).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['no LEDGER_TABLE', {}, {}, /LEDGER_TABLE is not set/u],
    ['--local without a running "npm start"', { local: true, 'state-dir': '/nonexistent/hood-blocker' }, {}, /./u],
  ])('with %s is a usage error (exit 2), and nothing is used', async (_name, flags, env, message) => {
    // Prepare
    const use = vi.fn(async () => 'used');

    // Act
    const result = withLedger(flags, ioWith(env), use);

    // Assess
    await expect(result).rejects.toSatisfy(
      (e) => e instanceof UsageError && e.exitCode === 2 && message.test(e.message),
    );
    expect(use).not.toHaveBeenCalled();
  });
});
