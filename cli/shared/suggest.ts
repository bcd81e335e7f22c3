/**
 * "Did you mean" for mistyped commands and options: the closest candidates by edit distance (at most 2,
 * or a third of the word for long ones), or those the word is a prefix of.
 */
export function suggest(word: string, candidates: readonly string[]): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  const scored = candidates
    .map((c) => ({ c, d: c.toLowerCase().startsWith(w) && w.length >= 2 ? 0.5 : distance(w, c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  const best = scored[0]?.d;
  return scored.filter((x) => x.d === best).map((x) => x.c);
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  const found = suggest(word, candidates);
  return found.length === 0 ? '' : ` (did you mean ${found.map((c) => `"${c}"`).join(' or ')}?)`;
}

/** The `--long` options a command's help text lists. */
export function optionsInHelp(help: string): string[] {
  return [...new Set([...help.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/gu)].map((m) => m[0]))];
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
