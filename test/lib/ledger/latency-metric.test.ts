import { describe, expect, it } from 'vitest';
import { latencyEmfPublisher } from '../../../lib/consumer/consumer.js';

/** Every stdout line written while `run` executes (Powertools writes EMF documents there). */
function stdoutLines(run: () => void): string[] {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  }) as typeof process.stdout.write;
  try {
    run();
  } finally {
    process.stdout.write = original;
  }
  return lines;
}

describe('optout_latency_ms (EMF)', () => {
  it('publishes live samples under the service dimension only and bulk ones with lane=bulk', () => {
    // Prepare
    const publish = latencyEmfPublisher();
    // Act
    const docs = stdoutLines(() =>
      publish(
        new Map([
          ['live', [1200, 800]],
          ['bulk', [50_000]],
        ]),
      ),
    ).map(
      (l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } },
    );
    // Assess
    const live = docs.find((d) => d.lane === undefined)!;
    const bulk = docs.find((d) => d.lane === 'bulk')!;
    expect(live._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(live.optout_latency_ms).toEqual([1200, 800]);
    expect(bulk._aws.CloudWatchMetrics[0]!.Dimensions[0]).toContain('lane');
    expect(bulk.optout_latency_ms).toBe(50_000);
  });
});
