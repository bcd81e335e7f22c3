// Reads vitest's JSON report and prints the CI's last line: `N passed, N failed`.
// Usage: node scripts/ci-summary.mjs <vitest.json>
// Exits 1 when anything failed, when vitest itself reported failure (e.g. an unhandled error), or when the
// report is missing or unreadable (the tests did not finish).
//
// "Failed" is more than vitest's numFailedTests: a file that cannot load reports no tests at all, and a file
// whose beforeAll throws reports its tests as skipped; both only show as a failed file. Such a file counts
// each test it did not pass, or 1 when it reported none, so a broken import can never read as green.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/ci-summary.mjs <vitest.json>');
  process.exit(2);
}

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`ci-summary: no usable vitest report at ${file} (${error instanceof Error ? error.message : error})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const passed = Number(report.numPassedTests) || 0;
let failed = Number(report.numFailedTests) || 0;
for (const result of report.testResults ?? []) {
  if (result.status !== 'failed') continue;
  const assertions = result.assertionResults ?? [];
  if (assertions.some((a) => a.status === 'failed')) continue; // already in numFailedTests
  const notPassed = assertions.filter((a) => a.status !== 'passed').length;
  failed += Math.max(1, notPassed);
  console.error(
    `ci-summary: ${result.name} failed outside its tests: ${(result.message || 'see the log above').split('\n')[0]}`,
  );
}

const ok = failed === 0 && report.success !== false;
if (failed === 0 && !ok) console.error('ci-summary: vitest reported failure outside any test (unhandled error?)');
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
