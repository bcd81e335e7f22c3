/**
 * The samples in examples/ are written at one instant, 2026-01-01T00:00:00Z. `send-test` moves that instant
 * to now in every form a sample writes it, so that a test event is not months old when it arrives: the
 * consumer measures opt-out latency from an event's own time, and an old sample would page whoever watches
 * the latency alarm. Forms: ISO 8601 with or without milliseconds (`…T00:00:00.000Z`), the same with a
 * space and no zone (Vonage's `message-timestamp`, UTC), epoch seconds (number, string or `.0` float) and
 * epoch milliseconds.
 */
export const SAMPLE_INSTANT_MS = Date.UTC(2026, 0, 1);

const SECONDS = String(SAMPLE_INSTANT_MS / 1000);
const INSTANT_RE = new RegExp(`2026-01-01T00:00:00(\\.000)?Z|2026-01-01 00:00:00|\\b${SECONDS}(000|\\.0+)?\\b`, 'gu');

export function stampSampleTime(sample: string, nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  return sample.replace(INSTANT_RE, (match: string, millis: string | undefined, epochSuffix: string | undefined) => {
    if (match.startsWith('2026-01-01T')) return millis === undefined ? iso.replace(/\.\d{3}Z$/u, 'Z') : iso;
    if (match.startsWith('2026-01-01 ')) return iso.slice(0, 19).replace('T', ' ');
    if (epochSuffix === '000') return String(nowMs);
    return String(Math.floor(nowMs / 1000));
  });
}
