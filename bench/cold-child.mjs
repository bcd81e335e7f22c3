// One cold start, as a fresh Lambda container sees it (bench/run.ts `cold`): import the built handler
// and, unless COLD_EVENT is empty, hand it one SQS batch. Prints `<import ms> <import + first batch ms>
// <CPU ms of the whole process>` (CPU time is steadier than wall time on a shared machine).
// Plain JavaScript, run by plain node, so no TypeScript loader sits in the process being measured.
const t0 = performance.now();
const { handler } = await import(process.argv[2]);
const imported = performance.now() - t0;
const event = process.env.COLD_EVENT ? JSON.parse(process.env.COLD_EVENT) : undefined;
if (event) {
  const deadline = Date.now() + 30_000;
  const result = await handler(event, {
    awsRequestId: 'cold-bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
  if ((result?.batchItemFailures ?? []).length > 0)
    throw new Error(`the first batch failed: ${JSON.stringify(result)}`);
}
const cpu = process.cpuUsage();
process.stderr.write(`COLD ${imported} ${performance.now() - t0} ${(cpu.user + cpu.system) / 1000}\n`);
process.exit(0);
