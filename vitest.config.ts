import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Many tests run the built CLI in a process of its own (extract, start, send-test, …): Node.js ≥ 22.1 keeps
// the bytecode of what it compiled here, so each later process skips a third of its start-up work. Only a
// cache: what any process does is unchanged (Node.js 20 ignores the variable).
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'hood-blocker-test-compile-cache');

// Test files that change what the whole process shares: process.env, stdout/stderr, module mocks, fake
// timers, or modules that read the environment when first imported (the handlers, the in-process pipeline).
// Each runs in a fresh module graph of its own. Everything else shares one module graph per worker, which
// halves the CPU a test file costs (no re-import of vitest, zod and the AWS SDK for every file).
const ISOLATED = [
  'test/integration/**/*.test.ts',
  'test/handlers/**/*.test.ts',
  'test/lib/pacing/**/*.test.ts',
  'test/lib/policy/**/*.test.ts',
  'test/cli/check.test.ts',
  'test/cli/dlq.test.ts',
  'test/cli/import-ledger.e2e.test.ts',
  'test/cli/import-pipeline.test.ts',
  'test/cli/start.e2e.test.ts',
  'test/infra/iam.test.ts',
  'test/interop/resend.test.ts',
  'test/interop/vonage.test.ts',
  'test/lib/ledger/latency-metric.test.ts',
  // Compares the emulator credentials with a literal: the AWS SDK marks a credentials object it has used.
  'test/lib/ledger/config.test.ts',
  'test/lib/observability.test.ts',
  'test/lib/consumer/source-events.test.ts',
];

// Projects do not inherit these (extends: true would merge the root include into each project's).
const common = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // fauxqs (the embedded SQS) keeps its queues in node:sqlite, which Node.js 22 flags as experimental once
  // per worker. Silenced in the test workers only: processes the tests spawn (the CLI, `npm start`) keep
  // their own warnings, so a test can still see one there.
  execArgv: ['--disable-warning=ExperimentalWarning'],
};

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Three workers on 2 cores: the integration and CLI suites spend most of their time waiting on real servers
    // and child processes, so a third file overlaps that waiting (measured: the suite 244 s -> 162 s, same load).
    maxWorkers: 3,
    projects: [
      { test: { ...common, name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false } },
      { test: { ...common, name: 'isolated', include: ISOLATED } },
    ],
  },
});
