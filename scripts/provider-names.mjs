// Counts, for every provider, the source files outside its own folder that name it: the measure of "a provider
// is one folder". A file counts when its code (comments removed, string literals kept) spells the provider's
// name: `sendgrid`, `SendGrid`, `SENDGRID_…`, `aws-sms`, `awsSms`, `AWS_SMS` (any case, not inside a longer
// lower-case word, so `uses` is not SES and `sesv2` is; all capitals not inside a longer capitalised word, so
// `AWS_SESSION_TOKEN` is not SES). Not counted: lib/providers/<name>/, the registry (lib/providers/index.ts and
// the halves bundles import alone: queue-native.ts, suppressions.ts) and dev/ files named after the provider
// (dev/<name>.ts, dev/<name>-api.ts).
// The providers are the folders of lib/providers/ (shared/ aside), so this script names none of them.
//
// Usage: node scripts/provider-names.mjs [--json] [--max N]   (--max: exit 1 when a provider exceeds N files)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TREES = ['lib', 'cli', 'handlers', 'dev', 'bench', 'scripts'];
const SOURCE = /\.(ts|mts|cts|mjs|cjs|js)$/;

function walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : walk(path);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

export function providerNames(root = ROOT) {
  const dir = join(root, 'lib', 'providers');
  return readdirSync(dir)
    .filter((name) => name !== 'shared' && statSync(join(dir, name)).isDirectory())
    .sort();
}

/** The file's code without comments (TypeScript's printer), string literals and identifiers kept. */
export function codeOf(path, text) {
  const kind = /\.(ts|mts|cts)$/.test(path) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
  return ts.createPrinter({ removeComments: true }).printFile(file);
}

/** Matches every spelling of a provider name: hyphenated, camelCase, snake/upper case. */
export function namePattern(name) {
  const anyCase = (part) =>
    [...part]
      .map((c) =>
        /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
  const spelled = name.split('-').map(anyCase).join('[-_]?');
  const upper = name.toUpperCase().split('-').join('[-_]?');
  // Starts a word (no letter before it) or a camelCase part (`createSendgridSource`: upper case after lower);
  // ends one (no lower-case letter after it, so `Sesame` is not SES), or carries a version (`sesv2`). In
  // capitals it ends at a non-letter or a camelCase part (`SESTopic` is SES), never inside a word (`SESSION`).
  const start = '(?:(?<![A-Za-z])|(?<=[a-z])(?=[A-Z]))';
  const notCapitalWord = `(?!${upper}[A-Z]{2,})`;
  return new RegExp(`${start}${notCapitalWord}${spelled}(?:(?![a-z])|(?=v\\d))`);
}

/**
 * The registry: the one list of providers, and its two halves that bundles import alone: the queue-native
 * readers (the consumer's, without verifiers) and the suppression-list readers (`import`, never in a Lambda).
 */
const REGISTRY_FILES = new Set([
  'lib/providers/index.ts',
  'lib/providers/queue-native.ts',
  'lib/providers/suppressions.ts',
]);

function exempt(rel, name) {
  const posix = rel.split(sep).join('/');
  if (posix.startsWith(`lib/providers/${name}/`)) return true;
  if (REGISTRY_FILES.has(posix)) return true;
  const base = posix.startsWith('dev/') ? posix.slice(4) : undefined;
  return base !== undefined && !base.includes('/') && (base.startsWith(`${name}.`) || base.startsWith(`${name}-`));
}

export function measure(root = ROOT) {
  const files = TREES.flatMap((tree) => walk(join(root, tree))).map((path) => {
    const rel = relative(root, path);
    return { rel, code: codeOf(rel, readFileSync(path, 'utf8')) };
  });
  const result = {};
  for (const name of providerNames(root)) {
    const pattern = namePattern(name);
    result[name] = files
      .filter((f) => !exempt(f.rel, name) && pattern.test(f.code))
      .map((f) => f.rel.split(sep).join('/'))
      .sort();
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const maxAt = args.indexOf('--max');
  const max = maxAt >= 0 ? Number(args[maxAt + 1]) : undefined;
  const result = measure();
  if (args.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const counts = Object.values(result)
      .map((f) => f.length)
      .sort((a, b) => a - b);
    for (const [name, files] of Object.entries(result))
      console.log(`${name.padEnd(12)} ${String(files.length).padStart(3)}  ${files.join(' ')}`);
    console.log(
      `median ${counts[Math.floor(counts.length / 2)]} (of ${counts.length} providers), max ${counts.at(-1)}`,
    );
  }
  if (max !== undefined && Object.values(result).some((f) => f.length > max)) process.exit(1);
}
