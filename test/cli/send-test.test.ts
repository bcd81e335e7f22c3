import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookOf } from '../../lib/providers/index.js';
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

async function printed(
  provider: string,
  env: Record<string, string> = SECRETS,
): Promise<{ curl: string; code: number; stderr: string }> {
  const args = ['send-test', provider, '--print', '--json', '--url', 'http://127.0.0.1:9', '--state-dir', dir.path];
  const result = await runCli(args, env);
  return {
    curl: result.code === 0 ? (JSON.parse(result.stdout) as { curl: string }).curl : '',
    code: result.code,
    stderr: result.stderr,
  };
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

/** The instant the bundled samples are written at, in the forms they write it. */
const SAMPLE_DATE_RE = /2026-01-01[T ]00:00:00|(?<!\d)1767225600(?:000)?(?!\d)/u;

describe('send-test stamps its samples with the current time (issue 21, item 6)', () => {
  it.each(SIGNABLE.map((p) => [p]))('%s: the body send-test signs carries no date of the sample', async (provider) => {
    // Act
    const { curl } = await printed(provider);

    // Assess
    expect(curl).not.toBe('');
    const body = dataOf(curl);
    // Form bodies (Mandrill, Twilio) percent-encode the JSON they carry.
    for (const text of [body, decodeURIComponent(body.replace(/\+/gu, ' '))]) expect(text).not.toMatch(SAMPLE_DATE_RE);
  });

  it('sends a payload file as it is', async () => {
    // Prepare
    const file = join(dir.path, 'old.json');
    const old = '{"contact":"old@example.com","occurredAt":"2026-01-01T00:00:00Z"}';
    writeFileSync(file, old);

    // Act
    const result = await runCli(
      ['send-test', 'generic', file, '--print', '--json', '--url', 'http://127.0.0.1:9', '--state-dir', dir.path],
      SECRETS,
    );

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
