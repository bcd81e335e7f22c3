/**
 * `npx tsx dev/serve-standin.ts <provider> [--count N] [--port P]`: serves a provider stand-in with
 * N generated suppressions per list, for the "try it" of docs/operate.md (`AWS_ENDPOINT_URL_SESV2` /
 * `<PROVIDER>_API_URL` pointed at it). Any credential is accepted. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { SAMPLE_LISTS, STANDIN_PROVIDERS, type StandinProvider, startStandin } from './suppression-standins.js';


const { values, positionals } = parseArgs({ allowPositionals: true, options: { count: { type: 'string' }, port: { type: 'string' } } });
const provider = positionals[0] as StandinProvider | undefined;
if (provider === undefined || !STANDIN_PROVIDERS.includes(provider)) {
  process.stderr.write(`usage: serve-standin.ts <${STANDIN_PROVIDERS.join('|')}> [--count N] [--port P]\n`);
  process.exit(2);
}
const count = Number(values.count ?? 100);
const standin = await startStandin({ provider, lists: Object.fromEntries(SAMPLE_LISTS[provider].map((l) => [l, { count }])), port: Number(values.port ?? 0) });
process.stdout.write(`${provider} stand-in with ${count} suppressions per list (${SAMPLE_LISTS[provider].join(', ')}) at ${standin.url}\n`);
process.on('SIGINT', () => void standin.close().then(() => process.exit(0)));
