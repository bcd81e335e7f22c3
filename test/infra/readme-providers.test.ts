import { describe, expect, it } from 'vitest';
import { codes, doc, README, tableAfter } from '../helpers/readme.js';
import {
  isWebhookProvider,
  SECRET_VARIABLES,
  WEBHOOK_PROVIDERS,
  WEBHOOK_SECRETS,
  type WebhookProvider,
  webhookOf,
} from '../../lib/providers/index.js';

// The provider tables of the README and docs/ are checked against the provider registry (lib/providers/index.ts),
// both ways: a provider or secret added to the code without its documentation (or the other way round) fails here.

/** The paragraph that follows `heading` in `text`. */
function paragraphAfter(heading: string, text: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  return text
    .slice(start + heading.length + 2)
    .trimStart()
    .split('\n\n')[0]!;
}

const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

describe('README and docs: provider tables match the provider registry', () => {
  it('the quick-start table has one row per webhook provider', () => {
    // Prepare
    const registered = sorted(WEBHOOK_PROVIDERS);

    // Act
    const documented = sorted(
      tableAfter('## Quick start')
        .flatMap((row) => codes(row[0]!))
        .filter((c) => c !== '<provider>'),
    );

    // Assess
    expect(documented).toEqual(registered);
  });

  it('the quick-start table names every secret variable of each provider, unless it says none is needed', () => {
    // Prepare
    const rows = tableAfter('## Quick start');

    // Act
    const missing = rows.flatMap((row) =>
      codes(row[0]!)
        .filter((p): p is WebhookProvider => isWebhookProvider(p))
        .flatMap((p) => {
          const cell = row[1]!.replaceAll('<PROVIDER>', p.toUpperCase());
          if (cell.startsWith('none')) return [];
          return webhookOf(p)
            .secrets.filter((s) => !cell.includes(s.variable))
            .map((s) => `${p}: ${s.variable}`);
        }),
    );

    // Assess
    expect(missing).toEqual([]);
  });

  it('the webhook ingress section of docs/providers.md names every webhook provider', () => {
    // Prepare
    const registered = sorted(WEBHOOK_PROVIDERS);

    // Act
    const named = sorted(
      codes(paragraphAfter('## Webhook ingress (`POST /webhooks/{provider}`)', doc('providers.md'))).filter((c) =>
        /^[a-z-]+$/u.test(c),
      ),
    );

    // Assess
    expect(named).toEqual(registered);
  });

  it('the SSM parameter table of docs/deploy.md lists exactly the secrets that accept _PARAMETER, and the Hood token', () => {
    // Prepare
    const registered = sorted([...SECRET_VARIABLES, 'HOOD_API_TOKEN']);

    // Act
    const documented = sorted(
      tableAfter('## SSM parameters (secrets)', doc('deploy.md')).map((row) => codes(row[1]!)[0]!),
    );

    // Assess
    expect(documented).toEqual(registered);
  });

  it.each([
    ['README.md', '## Configuration', () => README],
    ['docs/configuration.md', '## Environment variables', () => doc('configuration.md')],
  ])('the configuration table of %s documents every webhook secret variable', (_file, heading, text) => {
    // Prepare
    const documented = new Set(tableAfter(heading, text()).flatMap((row) => codes(row[0]!)));

    // Act
    const undocumented = WEBHOOK_SECRETS.map((s) => s.variable).filter((v) => !documented.has(v));

    // Assess
    expect(undocumented).toEqual([]);
  });
});
