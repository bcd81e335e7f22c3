import type { RateWindow } from '../../lib/config.js';

/** Small formatting helpers shared by the commands; nothing here writes on its own. */

export function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

/** One JSON document per line: what scripts parse. */
export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/**
 * The long-run rate Hood allows: the tightest window, as requests per minute (`10/1s,150/1m` → 150).
 * Fixed windows allow bursts at window edges, but over a long backfill only the tightest average counts.
 */
export function steadyRatePerMinute(windows: readonly RateWindow[]): number {
  return Math.min(...windows.map((w) => (w.count * 60_000) / w.windowMs));
}

export function formatRate(perMinute: number): string {
  return `${Number.isInteger(perMinute) ? perMinute : perMinute.toFixed(1)}/min`;
}

/** `≈ 7 min`, `≈ 2 h 5 min`, `≈ 3 d 4 h`: an estimate, so no seconds and a tilde. */
export function formatEta(minutes: number): string {
  if (!(minutes > 0)) return '≈ 0 min';
  if (minutes < 1) return '< 1 min';
  const total = Math.ceil(minutes);
  if (total < 60) return `≈ ${total} min`;
  const hours = Math.floor(total / 60);
  if (hours < 48) return `≈ ${hours} h${total % 60 ? ` ${total % 60} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `≈ ${days} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

export function progressBar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

/** Rewrites the current terminal line (TTY only): carriage return + erase line. */
export function rewriteLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`\r\u001b[2K${text}`);
}

export function clearLine(stream: NodeJS.WritableStream): void {
  stream.write('\r\u001b[2K');
}

/** Lines of `name  description` with the names padded to one column. */
export function table(rows: ReadonlyArray<readonly [string, string]>, indent = '  '): string {
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, text]) => `${indent}${name.padEnd(width)}  ${text}`).join('\n');
}
