/**
 * `npx tsx lib/import/serve-standin.ts <provider> [--count N] [--port P]`: serves a provider stand-in with
 * N generated suppressions per list, for the README's "try it" (`AWS_ENDPOINT_URL_SESV2` /
 * `<PROVIDER>_API_URL` pointed at it). Any credential is accepted. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { startStandin } from './standins.js';
import { IMPORT_PROVIDERS, type ImportProvider } from './types.js';

const LISTS: Record<ImportProvider, string[]> = {
  ses: ['bounce', 'complaint'],
  sendgrid: ['bounces', 'spam_reports', 'unsubscribes'],
  mailgun: ['bounces', 'complaints', 'unsubscribes'],
  postmark: ['outbound/HardBounce', 'outbound/SpamComplaint', 'broadcast/ManualSuppression'],
  brevo: ['blocked_contacts'],
  sparkpost: ['suppression_list'],
  mandrill: ['rejects'],
};

const { values, positionals } = parseArgs({ allowPositionals: true, options: { count: { type: 'string' }, port: { type: 'string' } } });
const provider = positionals[0] as ImportProvider | undefined;
if (provider === undefined || !IMPORT_PROVIDERS.includes(provider)) {
  process.stderr.write(`usage: serve-standin.ts <${IMPORT_PROVIDERS.join('|')}> [--count N] [--port P]\n`);
  process.exit(2);
}
const count = Number(values.count ?? 100);
const standin = await startStandin({ provider, lists: Object.fromEntries(LISTS[provider].map((l) => [l, { count }])), port: Number(values.port ?? 0) });
process.stdout.write(`${provider} stand-in with ${count} suppressions per list (${LISTS[provider].join(', ')}) at ${standin.url}\n`);
process.on('SIGINT', () => void standin.close().then(() => process.exit(0)));
