/**
 * How many cases a fast-check property tries. Each property names the count that keeps the everyday
 * `npm test` quick; `FC_RUNS=<n>` makes a deeper run (a soak before a release, or when a property is
 * suspected) try at least n cases in every property that asks here. It never lowers a count.
 */
export function fcRuns(everyday: number): number {
  const deep = Number(process.env.FC_RUNS ?? 0);
  return Number.isFinite(deep) && deep > everyday ? Math.floor(deep) : everyday;
}
