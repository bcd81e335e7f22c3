import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../lib/private-file.js';

/**
 * Last-seen per source for the local pipeline (`npm start`), so that `check --local` can show an expected source
 * going quiet as the deployed stack's quiet-source alarms do. `EXPECTED_SOURCES` (read by `start`) lists
 * `<source>:<duration>,…` where the duration is minutes (`5m`), hours (`2h`, `0.05h`) or bare hours (`24`, the
 * deploy param's form), and a source is any name of the provider registry. The pipeline records, per source, in
 * `<state dir>/sources.json`: every webhook request it answers other than 404 (by provider), and every record an
 * AWS service would have delivered to the queue itself (by the source the consumer's mapper attributed: ses,
 * aws-sms, …), the two metrics the stack's quiet-source alarms sum.
 */

export const SOURCES_FILE = 'sources.json';
const MAX_HOURS = 168;

export interface ExpectedSource {
  name: string;
  /** How long the source may stay silent. */
  quietMs: number;
}

export interface SourceActivity {
  /** source → ISO time of its last webhook request or AWS-delivered record. */
  lastSeen: Record<string, string>;
}

/** `generic:5m,ses:0.5h,sendgrid:24` → expected sources; throws with the variable's name on a bad entry. */
export function parseExpectedSources(text: string | undefined, sources: readonly string[]): ExpectedSource[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry) => {
    const m = /^\s*([a-z][a-z0-9-]*)\s*:\s*(\d+(?:\.\d+)?)\s*([mh]?)\s*$/u.exec(entry);
    if (!m) throw new Error(`EXPECTED_SOURCES: "${entry.trim()}" is not <source>:<minutes>m or <source>:<hours>[h]`);
    const [, name, amount, unit] = m as unknown as [string, string, string, string];
    if (!sources.includes(name)) {
      throw new Error(`EXPECTED_SOURCES: unknown source "${name}" (sources: ${sources.join(', ')})`);
    }
    const quietMs = Number(amount) * (unit === 'm' ? 60_000 : 3_600_000);
    if (!(quietMs > 0) || quietMs > MAX_HOURS * 3_600_000) {
      throw new Error(`EXPECTED_SOURCES: ${name}: "${amount}${unit}" is not above 0 and at most ${MAX_HOURS} hours`);
    }
    return { name, quietMs };
  });
}

export type SourceVerdict =
  | { name: string; status: 'ok'; lastSeen: string; silentMs: number }
  | { name: string; status: 'quiet'; lastSeen: string | undefined; silentMs: number; quietMs: number };

/** An expected source is quiet when nothing came from it for its window (since the pipeline started if never). */
export function sourceVerdicts(
  expected: readonly ExpectedSource[],
  activity: SourceActivity,
  startedAtMs: number,
  nowMs: number,
): SourceVerdict[] {
  return expected.map(({ name, quietMs }) => {
    const lastSeen = activity.lastSeen[name];
    const since = lastSeen === undefined ? startedAtMs : Date.parse(lastSeen);
    const silentMs = Math.max(0, nowMs - since);
    if (silentMs >= quietMs) return { name, status: 'quiet', lastSeen, silentMs, quietMs };
    return lastSeen === undefined
      ? { name, status: 'ok', lastSeen: new Date(startedAtMs).toISOString(), silentMs }
      : { name, status: 'ok', lastSeen, silentMs };
  });
}

export function readSourceActivity(stateDir: string): SourceActivity {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, SOURCES_FILE), 'utf8')) as Partial<SourceActivity>;
    return { lastSeen: typeof parsed.lastSeen === 'object' && parsed.lastSeen !== null ? parsed.lastSeen : {} };
  } catch {
    return { lastSeen: {} };
  }
}

/** Records one event of a source (called by the local pipeline's webhook and consumers; a tiny file, rewritten whole). */
export function sourceRecorder(stateDir: string, clock: () => number = Date.now): (provider: string) => void {
  const activity: SourceActivity = { lastSeen: {} };
  return (provider) => {
    activity.lastSeen[provider] = new Date(clock()).toISOString();
    writePrivateFile(join(stateDir, SOURCES_FILE), `${JSON.stringify(activity)}\n`);
  };
}

/** `5 min`, `2.5 h`: a duration as check prints it. */
export function humanDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 120) return `${Math.round(minutes * 10) / 10} min`;
  return `${Math.round((minutes / 60) * 10) / 10} h`;
}
