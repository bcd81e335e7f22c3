import { defineConfig } from 'vitest/config';

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
