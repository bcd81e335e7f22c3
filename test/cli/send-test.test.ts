import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_INSTANT_MS, stampSampleTime } from '../../cli/send-test-time.js';
import { DEFAULT_SMS_OPT_OUT_KEYWORDS } from '../../lib/config.js';
import { webhookOf } from '../../lib/providers/index.js';
import { mapProvider } from '../../lib/sources/index.js';
import { formFields } from '../../lib/webhook/body.js';
import { WEBHOOK_PROVIDERS } from '../../lib/webhook/ingress.js';
import { runCli, tempDir } from './helpers.js';

const run = promisify(execFile);

/** Secrets a user would have exported: long enough that a leak cannot be a coincidence. */
const SECRETS: Record<string, string> = {
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-in-this-shell',
  MAILGUN_WEBHOOK_SIGNING_KEY: 'key-mailgun-in-this-shell',
  MANDRILL_WEBHOOK_KEY: 'mandrill-key-in-this-shell',
  RESEND_WEBHOOK_SECRET: `whsec_${Buffer.from('resend-secret-of-thirty-two-byte').toString('base64')}`,
  VONAGE_SIGNATURE_SECRET: 'vonage-secret-in-this-shell',
  WEBHOOK_BASIC_AUTH: 'hooks:shared-basic-password-in-this-shell',
  POSTMARK_WEBHOOK_BASIC_AUTH: 'postmark:postmark-password-in-this-shell',
  GENERIC_WEBHOOK_TOKEN: 'generic-token-in-this-shell',
};
const SIGNABLE = WEBHOOK_PROVIDERS.filter((p) => p !== 'sns');

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('hood-blocker-send-test-unit-');
});
afterAll(() => dir.remove());

async function printed(provider: string, env: Record<string, string> = SECRETS): Promise<{ curl: string; code: number; stderr: string }> {
  const args = ['send-test', provider, '--print', '--json', '--url', 'http://127.0.0.1:9', '--state-dir', dir.path];
  const result = await runCli(args, env);
  return { curl: result.code === 0 ? (JSON.parse(result.stdout) as { curl: string }).curl : '', code: result.code, stderr: result.stderr };
}

/** The body a printed curl sends: its --data-binary argument, shell quoting undone. */
function dataOf(curl: string): string {
  const quoted = curl.slice(curl.indexOf(' --data-binary ') + ' --data-binary '.length);
  return quoted.slice(1, -1).replaceAll(`'\\''`, `'`);
}

describe('send-test --print never prints a supplied secret (issue 19, item 13)', () => {
  it.each(SIGNABLE.map((p) => [p]))('%s: no token, password or its base64 in the command', async (provider) => {
    // Act
    const { curl, code } = await printed(provider);

    // Assess
    expect(code).toBe(0);
    for (const value of Object.values(SECRETS)) {
      expect(curl).not.toContain(value);
      expect(curl).not.toContain(Buffer.from(value).toString('base64'));
      expect(curl).not.toContain(value.slice(value.indexOf(':') + 1));
    }
  });

  it.each([
    ['generic', 'GENERIC_WEBHOOK_TOKEN'],
    ['postmark', 'POSTMARK_WEBHOOK_BASIC_AUTH'],
    ['brevo', 'WEBHOOK_BASIC_AUTH'],
    ['sparkpost', 'WEBHOOK_BASIC_AUTH'],
  ])('%s: names the variable that holds it ($%s)', async (provider, variable) => {
    // Act
    const { curl } = await printed(provider);

    // Assess
    expect(curl).toContain(`$${variable}`);
  });

  describe('the printed command, run in the shell that has the variable', () => {
    let server: ReturnType<typeof createServer>;
    let url: string;
    const seen: IncomingHttpHeaders[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.headers);
        req.resume();
        req.on('end', () => res.end('ok'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it.each([
      ['generic', `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}`],
      ['postmark', `Basic ${Buffer.from(SECRETS.POSTMARK_WEBHOOK_BASIC_AUTH!).toString('base64')}`],
      ['brevo', `Basic ${Buffer.from(SECRETS.WEBHOOK_BASIC_AUTH!).toString('base64')}`],
    ])('%s: sends the same Authorization header as send-test itself', async (provider, expected) => {
      // Prepare
      const result = await runCli(['send-test', provider, '--print', '--url', url, '--state-dir', dir.path], SECRETS);
      seen.length = 0;

      // Act
      await run('sh', ['-c', result.stdout.trim()], { env: { PATH: process.env.PATH ?? '', ...SECRETS } });

      // Assess
      expect(seen.map((h) => h.authorization)).toEqual([expected]);
    });
  });
});

const EXAMPLES = new URL('../../examples/', import.meta.url);
const NOW_MS = Date.UTC(2026, 6, 14, 9, 26, 53, 589);
const POLICY = { smsOptOutKeywords: new Set(DEFAULT_SMS_OPT_OUT_KEYWORDS) };

/** The example of a webhook provider as its mapper reads it (SNS carries an SES notification). */
function mapExample(provider: string, text: string) {
  if (provider === 'twilio') return mapProvider('twilio', formFields(text), POLICY);
  if (provider === 'sns') return mapProvider('ses', JSON.parse(text), POLICY);
  const payload = JSON.parse(text) as Record<string, unknown>;
  return mapProvider(provider as 'generic', provider === 'mailgun' ? payload['event-data'] : payload, POLICY);
}

function exampleText(provider: string): string {
  const name = provider === 'twilio' ? 'twilio.form' : `${provider}.json`;
  return readFileSync(new URL(name, EXAMPLES), 'utf8');
}

describe('send-test stamps its samples with the current time (issue 21, item 6)', () => {
  it.each(WEBHOOK_PROVIDERS.map((p) => [p]))('%s: every time the mapper reads is now', (provider) => {
    // Prepare
    const text = exampleText(provider);

    // Act
    const decisions = mapExample(provider, stampSampleTime(text, NOW_MS));

    // Assess: the sample still blocks, and no decision is older than the stamp (latency from the event).
    expect(decisions.some((d) => d.action === 'block')).toBe(true);
    for (const d of decisions) if (d.action === 'block' && d.occurredAt !== undefined) expect(Math.abs(Date.parse(d.occurredAt) - NOW_MS)).toBeLessThan(1000);
  });

  it.each(WEBHOOK_PROVIDERS.map((p) => [p]))('%s: no trace of the instant the sample was written at', (provider) => {
    // Act
    const stamped = stampSampleTime(exampleText(provider), NOW_MS);

    // Assess
    expect(stamped).not.toMatch(/2026-01-01[T ]00:00:00/u);
    expect(stamped).not.toContain(String(SAMPLE_INSTANT_MS / 1000));
  });

  it.each(SIGNABLE.map((p) => [p]))('%s: the body send-test signs carries no date of the sample', async (provider) => {
    // Act
    const { curl } = await printed(provider);

    // Assess
    const body = dataOf(curl);
    expect(body).not.toMatch(/2026-01-01[T ]00:00:00/u);
    expect(body).not.toContain(String(SAMPLE_INSTANT_MS / 1000));
  });

  it('sends a payload file as it is', async () => {
    // Prepare
    const file = `${dir.path}/old.json`;
    const old = '{"contact":"old@example.com","occurredAt":"2026-01-01T00:00:00Z"}';
    await import('node:fs').then((fs) => fs.writeFileSync(file, old));

    // Act
    const result = await runCli(['send-test', 'generic', file, '--print', '--json', '--url', 'http://127.0.0.1:9', '--state-dir', dir.path], SECRETS);

    // Assess
    expect(dataOf((JSON.parse(result.stdout) as { curl: string }).curl)).toBe(old);
  });
});

describe('send-test signs with the provider modules', () => {
  it('finds a signer in every webhook provider but SNS (which only AWS signs)', () => {
    // Act
    const unsigned = WEBHOOK_PROVIDERS.filter((p) => webhookOf(p).sign === undefined);

    // Assess
    expect(unsigned).toEqual(['sns']);
  });
});
