import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Many tests run the built CLI in a process of its own (extract, start, send-test, …): Node.js ≥ 22.1 keeps
// the bytecode of what it compiled here, so each later process skips a third of its start-up work. Only a
// cache: what any process does is unchanged (Node.js 20 ignores the variable).
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'hood-blocker-test-compile-cache');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real servers on free ports; keep them from starving each other on 2 cores.
    maxWorkers: 2,
    // fauxqs (the embedded SQS) keeps its queues in node:sqlite, which Node.js 22 flags as experimental once
    // per worker. Silenced in the test workers only: processes the tests spawn (the CLI, `npm start`) keep
    // their own warnings, so a test can still see one there.
    execArgv: ['--disable-warning=ExperimentalWarning'],
  },
});
