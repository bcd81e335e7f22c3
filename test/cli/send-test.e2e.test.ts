import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_PROVIDERS } from '../../lib/webhook/ingress.js';
import { runCli, tempDir } from './helpers.js';

// `send-test` against the real local pipeline (`start` from the built CLI, in a child process): if what
// send-test signs were not what the ingress verifies, the contact would never reach the sandbox Hood.

const CLI = resolve(process.env.HOOD_BLOCKER_CLI ?? 'dist/cli.mjs');

const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const SECRETS: Record<string, string> = {
  SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  TWILIO_AUTH_TOKEN: 'send-test-twilio-auth-token',
  MAILGUN_WEBHOOK_SIGNING_KEY: 'key-send-test-mailgun',
  MANDRILL_WEBHOOK_KEY: 'send-test-mandrill-key',
  RESEND_WEBHOOK_SECRET: `whsec_${Buffer.from('send-test-resend-secret-32-bytes').toString('base64')}`,
  VONAGE_SIGNATURE_SECRET: 'send-test-vonage-secret',
  WEBHOOK_BASIC_AUTH: 'hooks:send-test-basic-password',
  GENERIC_WEBHOOK_TOKEN: 'send-test-generic-token',
  SNS_TOPIC_ARNS: 'arn:aws:sns:us-east-1:000000000000:hood-blocker-ses-notifications',
};

// The contact each examples/ payload names.
const EXPECTED: Record<string, string> = {
  sendgrid: 'send-test-sendgrid@example.com',
  twilio: '+14155550100',
  mailgun: 'send-test-mailgun@example.com',
  mandrill: 'send-test-mandrill@example.com',
  postmark: 'send-test-postmark@example.com',
  brevo: 'send-test-brevo@example.com',
  sparkpost: 'send-test-sparkpost@example.com',
  resend: 'send-test-resend@example.com',
  vonage: '+447700900123',
  generic: 'send-test-generic@example.com',
  sns: 'send-test-ses@example.com',
};

let child: ChildProcess;
let dir: ReturnType<typeof tempDir>;
let stateDir: string;
let ready: { hood: { listUrl: string; token: string } };

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function blocked(): Promise<string[]> {
  const res = await fetch(`${ready.hood.listUrl}&page=1,1000`, {
    headers: { authorization: `Bearer ${ready.hood.token}` },
  });
  if (res.status !== 200) return [];
  return ((await res.json()) as { items: { contact: string }[] }).items.map((i) => i.contact);
}

beforeAll(async () => {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
  dir = tempDir('hood-blocker-send-test-');
  stateDir = join(dir.path, '.hood-blocker');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // The key pair a user would have send-test generate; the pipeline starts with its public half.
  writeFileSync(
    join(stateDir, 'sendgrid-test-key.pem'),
    sendgridKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 },
  );
  child = spawn(process.execPath, [CLI, 'start', '--port', '0', '--json'], {
    cwd: dir.path,
    env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...SECRETS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  ready = await waitFor('the ready line', () => {
    const line = lines.find((l) => l.includes('"event":"ready"'));
    return line === undefined ? undefined : (JSON.parse(line) as typeof ready);
  });
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((r) => child?.once('exit', r));
  dir?.remove();
});

describe('hood-blocker send-test against the local pipeline', () => {
  it('has a sample payload for every provider of the ingress', () => {
    // Assess
    expect(Object.keys(EXPECTED).sort()).toEqual([...WEBHOOK_PROVIDERS].sort());
  });

  it.each(Object.keys(EXPECTED))(
    'signs the %s sample so the pipeline accepts it and Hood blocks its contact',
    async (provider) => {
      // Act
      const result = await runCli(['send-test', provider, '--state-dir', stateDir, '--json'], SECRETS);

      // Assess
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      await waitFor(`${EXPECTED[provider]} in the sandbox Hood`, async () =>
        (await blocked()).includes(EXPECTED[provider]!) ? true : undefined,
      );
    },
  );

  it('is refused (401, exit 1) when this shell has another secret than the pipeline', async () => {
    // Act
    const result = await runCli(['send-test', 'mailgun', '--state-dir', stateDir, '--json'], {
      ...SECRETS,
      MAILGUN_WEBHOOK_SIGNING_KEY: 'key-not-the-pipelines',
    });

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 401 });
  });

  it('prints a curl that the pipeline accepts when run', async () => {
    // Prepare
    const result = await runCli(['send-test', 'twilio', '--state-dir', stateDir, '--print'], SECRETS);

    // Act
    const output = execFileSync('sh', ['-c', `${result.stdout.trim()} -o /dev/null -w '%{http_code}'`]).toString();

    // Assess
    expect(output).toBe('200');
  });
});

describe('hood-blocker send-test for SendGrid without a key', () => {
  it('generates a key pair and says how to start the pipeline with its public half', async () => {
    // Prepare
    const own = tempDir('hood-blocker-send-test-key-');
    try {
      // Act
      const result = await runCli(
        ['send-test', 'sendgrid', '--url', 'http://127.0.0.1:9/webhooks', '--state-dir', own.path, '--print'],
        {},
      );

      // Assess
      expect(existsSync(join(own.path, 'sendgrid-test-key.pem'))).toBe(true);
      expect(result.stderr).toMatch(/SENDGRID_WEBHOOK_PUBLIC_KEY=[A-Za-z0-9+/=]{80,} npm start/u);
      expect(result.stdout).toMatch(/^curl -sS -X POST 'http:\/\/127\.0\.0\.1:9\/webhooks\/sendgrid'/u);
    } finally {
      own.remove();
    }
  });
});
