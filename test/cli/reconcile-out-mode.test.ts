import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HoodSandbox, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { runCli, tempDir } from './helpers.js';

// `reconcile --reveal --out FILE` writes contacts in clear: the file must be 0600 whatever was there before.

const TOKEN = 'reconcile-out-mode-token';
const KEY = 'reconcile-out-mode-sendgrid-key';
let hood: HoodSandbox;
let standin: Standin;
const dirs: { remove(): void }[] = [];

beforeAll(async () => {
  hood = await startHoodSandbox({ token: TOKEN, rateLimits: [{ count: 50, windowMs: 100 }] });
  standin = await startStandin({ provider: 'sendgrid', lists: { unsubscribes: { count: 3 } }, apiKey: KEY });
});
afterAll(async () => {
  await standin.close();
  await hood.close();
});
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

const env = () => ({
  HOOD_API_URL: hood.url,
  HOOD_API_TOKEN: TOKEN,
  HOOD_RATE_LIMITS: '50/100ms',
  SENDGRID_API_KEY: KEY,
  SENDGRID_API_URL: standin.url,
});

describe('hood-blocker reconcile --out', () => {
  it.each([
    ['--reveal', ['--reveal']],
    ['masked', []],
  ])('makes an existing world-readable file 0600 (%s)', async (_, flags) => {
    // Prepare
    const d = tempDir('hood-blocker-reconcile-out-');
    dirs.push(d);
    const file = join(d.path, 'missing.csv');
    writeFileSync(file, 'an older report\n');
    chmodSync(file, 0o644);

    // Act
    const run = await runCli(['reconcile', '--from', 'sendgrid', '--out', file, ...flags, '--json'], env());

    // Assess
    expect(run.code).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1 + 3);
    expect(readdirSync(d.path)).toEqual(['missing.csv']);
  });
});
