import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHoodClient } from '../../lib/hood/client.js';
import { type Standin, startStandin } from '../../dev/suppression-standins.js';
import { type LocalQueues, startLocalQueues } from '../../dev/emulator.js';
import { type HoodSandbox, startHoodSandbox } from '../../dev/hood-sandbox.js';
import { receiveAll, sqsClientFor } from '../helpers/sqs.js';
import { runCli, tempDir } from './helpers.js';

const TOKEN = 'reconcile-hood-token';
const KEY = 'reconcile-sendgrid-key';
let queues: LocalQueues;
let hood: HoodSandbox;
let standin: Standin;
const dirs: { remove(): void }[] = [];

// The source holds unsubscribes 0..39; Hood already has 0..11 (30%) and two contacts of its own.
const SOURCE = 40;
const IN_HOOD = 12;
const ONLY_HOOD = ['other@example.org', '+38761234567'];

beforeAll(async () => {
  queues = await startLocalQueues();
  // Fast windows: the listing is paced under them; page size 5 makes it several pages.
  hood = await startHoodSandbox({ token: TOKEN, rateLimits: [{ count: 50, windowMs: 100 }] });
  const client = createHoodClient({ apiUrl: hood.url, token: TOKEN, requestTimeoutMs: 5000 });
  for (let i = 0; i < IN_HOOD; i += 1)
    await client.createBlockedContact({ contact: `unsubscribes${i}@example.com`, description: 'seed' });
  for (const c of ONLY_HOOD) await client.createBlockedContact({ contact: c, description: 'seed' });
  await client.close();
  standin = await startStandin({ provider: 'sendgrid', lists: { unsubscribes: { count: SOURCE } }, apiKey: KEY });
});
afterAll(async () => {
  await standin.close();
  await hood.close();
  await queues.stop();
});
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOOD_API_URL: hood.url,
    HOOD_API_TOKEN: TOKEN,
    HOOD_RATE_LIMITS: '50/100ms',
    SENDGRID_API_KEY: KEY,
    SENDGRID_API_URL: standin.url,
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_REGION: queues.region,
    ...extra,
  };
}

describe('hood-blocker reconcile --from <provider>', () => {
  it("counts both, missing and only-in-Hood over Hood's paged list", async () => {
    const run = await runCli(['reconcile', '--from', 'sendgrid', '--page-size', '5', '--json'], env());
    expect(JSON.parse(run.stdout)).toMatchObject({
      from: 'sendgrid',
      hood: IN_HOOD + ONLY_HOOD.length,
      source: SOURCE,
      both: IN_HOOD,
      missing: SOURCE - IN_HOOD,
      onlyInHood: ONLY_HOOD.length,
      queued: 0,
    });
    expect(run.code).toBe(1);
    // every page of the sandbox list was read (page=N,5)
    expect(hood.stats().byStatus[200]).toBeGreaterThanOrEqual(Math.ceil((IN_HOOD + ONLY_HOOD.length) / 5));
  });

  it('writes the missing contacts masked, and in clear only with --reveal', async () => {
    const d = tempDir('hood-blocker-reconcile-');
    dirs.push(d);
    const masked = join(d.path, 'missing.csv');
    await runCli(['reconcile', '--from', 'sendgrid', '--out', masked, '--json'], env());
    const lines = readFileSync(masked, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + SOURCE - IN_HOOD);
    expect(lines.slice(1).every((l) => l.startsWith('u***@e***.com,unsubscribe,'))).toBe(true);
    const clear = join(d.path, 'clear.csv');
    await runCli(['reconcile', '--from', 'sendgrid', '--out', clear, '--reveal', '--json'], env());
    expect(readFileSync(clear, 'utf8')).toContain(`unsubscribes${IN_HOOD}@example.com,`);
    const help = await runCli(['reconcile', '--help']);
    expect(help.stdout).toMatch(/--reveal[\s\S]*WARNING/u);
  });

  it('--enqueue-missing puts exactly the missing contacts on the bulk queue', async () => {
    const run = await runCli(
      ['reconcile', '--from', 'sendgrid', '--enqueue-missing', '--json'],
      env({ BULK_QUEUE_URL: queues.bulkQueueUrl }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ missing: SOURCE - IN_HOOD, queued: SOURCE - IN_HOOD });
    const bodies = (await receiveAll(sqsClientFor(queues), queues.bulkQueueUrl, 100)).map(
      (m) => JSON.parse(m.Body!) as { contact: string; source: string },
    );
    expect(bodies.map((b) => b.contact).sort()).toEqual(
      Array.from({ length: SOURCE - IN_HOOD }, (_, i) => `unsubscribes${i + IN_HOOD}@example.com`).sort(),
    );
    expect(bodies.every((b) => b.source === 'import:sendgrid')).toBe(true);
  });
});
