/**
 * `npx tsx dev/serve-standin.ts <provider> [--count N] [--port P]`: serves a provider stand-in with
 * N generated suppressions per list, for the README's "try it" (`AWS_ENDPOINT_URL_SESV2` /
 * `<PROVIDER>_API_URL` pointed at it). Any credential is accepted. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { IMPORT_PROVIDERS } from '../lib/providers/suppressions.js';
import { startStandin, suppressionApi } from './suppression-standins.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { count: { type: 'string' }, port: { type: 'string' } },
});
const provider = positionals[0];
if (provider === undefined || !IMPORT_PROVIDERS.includes(provider)) {
  process.stderr.write(`usage: serve-standin.ts <${IMPORT_PROVIDERS.join('|')}> [--count N] [--port P]\n`);
  process.exit(2);
}
const count = Number(values.count ?? 100);
const lists = (await suppressionApi(provider)).sampleLists;
const standin = await startStandin({
  provider,
  lists: Object.fromEntries(lists.map((l) => [l, { count }])),
  port: Number(values.port ?? 0),
});
process.stdout.write(
  `${provider} stand-in with ${count} suppressions per list (${lists.join(', ')}) at ${standin.url}\n`,
);
process.on('SIGINT', () => void standin.close().then(() => process.exit(0)));
