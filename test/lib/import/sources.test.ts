import { afterEach, describe, expect, it } from 'vitest';
import type { HttpImportConfig } from '../../../lib/import/config.js';
import { emptyCounts, type ImportCounts, runImport } from '../../../lib/import/run.js';
import { createImportSource, loadImportConfig } from '../../../lib/providers/suppressions.js';
import { api as sendgridApi } from '../../../dev/sendgrid-api.js';
import { generatedRow, type ListData, type Standin, startStandin } from '../../../dev/suppression-standins.js';
import type { SourceHttpOptions, SourcePage } from '../../../lib/import/types.js';
import type { NormalisedMessage } from '../../../lib/queue/message.js';
import type { Reason } from '../../../lib/types.js';

/** The providers with a suppression-list reader and a stand-in (dev/<name>-api.ts). */
type ImportProvider = 'ses' | 'sendgrid' | 'mailgun' | 'postmark' | 'brevo' | 'sparkpost' | 'mandrill';

const KEY = 'test-key-9d1c7e-not-a-secret';
const ALL: ReadonlySet<Reason> = new Set([
  'hard_bounce',
  'complaint',
  'unsubscribe',
  'sms_opt_out',
  'suppressed',
  'manual',
]);
const ENV_KEY: Record<Exclude<ImportProvider, 'ses'>, string> = {
  sendgrid: 'SENDGRID_API_KEY',
  mailgun: 'MAILGUN_API_KEY',
  postmark: 'POSTMARK_SERVER_TOKEN',
  brevo: 'BREVO_API_KEY',
  sparkpost: 'SPARKPOST_API_KEY',
  mandrill: 'MANDRILL_API_KEY',
};

let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

/** A fake clock and sleep: waits are recorded, never slept. */
function fakeTime(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const waits: number[] = [];
  const http: SourceHttpOptions = {
    clock: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
  return { http, waits };
}

async function serve(provider: ImportProvider, lists: Record<string, ListData>) {
  standin = await startStandin({ provider, lists, apiKey: KEY });
  const env: Record<string, string> =
    provider === 'ses'
      ? { AWS_ENDPOINT_URL_SESV2: standin.url, AWS_REGION: 'eu-west-1' }
      : {
          [ENV_KEY[provider]]: KEY,
          [`${provider.toUpperCase()}_API_URL`]: standin.url,
          MAILGUN_DOMAIN: 'mg.example.com',
        };
  const config = await loadImportConfig(provider, env);
  return { standin, config, http: config as HttpImportConfig };
}

async function importAll(
  provider: ImportProvider,
  lists: Record<string, ListData>,
  options: {
    http?: SourceHttpOptions;
    groups?: boolean;
    types?: string[];
    onPage?: (page: SourcePage, counts: ImportCounts) => void;
  } = {},
) {
  const { config } = await serve(provider, lists);
  const source = createImportSource(config, {
    http: options.http ?? fakeTime().http,
    includeGroupUnsubscribes: options.groups === true,
  });
  const sent: NormalisedMessage[] = [];
  const counts = await runImport({
    source,
    page: { types: options.types ?? [...source.defaultLists], until: new Date('2026-01-01T00:00:00Z') },
    policy: { blockReasons: options.groups ? new Set([...ALL, 'group_unsubscribe']) : ALL },
    send: async (m) => void sent.push(...m),
    onPage: (c, p) => options.onPage?.(p, c),
  });
  source.close?.();
  return { counts, sent, requests: source.requests };
}

describe('SES (SESv2 ListSuppressedDestinations through the SDK)', () => {
  it('reads both reasons page by page and maps BOUNCE to hard_bounce, COMPLAINT to complaint', async () => {
    // Prepare: 2,500 bounces (3 pages of 1,000) and 300 complaints
    const { counts, sent, requests } = await importAll('ses', { bounce: { count: 2500 }, complaint: { count: 300 } });
    // Assess
    expect(counts.byReason).toEqual({ hard_bounce: 2500, complaint: 300 });
    expect(counts.contacts).toBe(2800);
    expect(sent).toHaveLength(2800);
    expect(requests).toBe(Math.ceil(2500 / 1000) + 1);
    expect(sent[0]).toMatchObject({ contact: 'bounce0@example.com', reason: 'hard_bounce', source: 'import:ses' });
    expect(sent[0]!.description).toContain('BOUNCE');
  });
});

describe('SendGrid', () => {
  it('pages bounces, spam reports and global unsubscribes by offset, and never reads blocks', async () => {
    const { counts, requests } = await importAll('sendgrid', {
      bounces: { count: 1200 },
      spam_reports: { count: 10 },
      unsubscribes: { count: 5 },
    });
    expect(counts.byReason).toEqual({ hard_bounce: 1200, complaint: 10, unsubscribe: 5 });
    expect(requests).toBe(Math.ceil(1200 / 500) + 1 + 1);
    expect(standin!.log().some((p) => p.includes('blocks'))).toBe(false);
  });

  it('reads group unsubscribes only when BLOCK_REASONS includes group_unsubscribe', async () => {
    const without = await importAll('sendgrid', { unsubscribes: { count: 2 }, group_unsubscribes: { count: 3 } });
    expect(without.counts.byReason).toEqual({ unsubscribe: 2 });
    await standin!.close();
    const withGroups = await importAll(
      'sendgrid',
      { unsubscribes: { count: 2 }, group_unsubscribes: { count: 3 } },
      { groups: true },
    );
    expect(withGroups.counts.byReason).toEqual({ unsubscribe: 2, group_unsubscribe: 3 });
  });

  it('skips a bounce whose status is a temporary 4.x.x', async () => {
    const rows = [
      generatedRow(sendgridApi, 'bounces', 0),
      { ...generatedRow(sendgridApi, 'bounces', 1), status: '4.2.2', reason: 'mailbox full' },
    ];
    const { counts } = await importAll('sendgrid', { bounces: { rows } });
    expect(counts.byReason).toEqual({ hard_bounce: 1 });
    expect(counts.skipped).toEqual({ soft_bounce: 1 });
  });

  it('waits until X-RateLimit-Reset after a 429, then goes on', async () => {
    // Prepare: the second request is throttled; the window resets 7 s after the fake "now"
    const time = fakeTime();
    const reset = Math.floor(Date.UTC(2026, 0, 1) / 1000) + 7;
    let injected = false;
    const { counts } = await importAll(
      'sendgrid',
      { bounces: { count: 600 } },
      {
        http: time.http,
        onPage: () => {
          if (!injected)
            standin!.inject({
              status: 429,
              headers: { 'x-ratelimit-reset': String(reset), 'x-ratelimit-remaining': '0' },
            });
          injected = true;
        },
      },
    );
    expect(time.waits).toEqual([7000]);
    expect(counts.byReason.hard_bounce).toBe(600);
  });

  it('backs off on 5xx in the middle of a page sequence and loses nothing', async () => {
    const time = fakeTime();
    let injected = false;
    const { counts, sent } = await importAll(
      'sendgrid',
      { bounces: { count: 1500 } },
      {
        http: time.http,
        onPage: () => {
          if (!injected) standin!.inject({ status: 502, body: '<html>bad gateway</html>' }, { status: 500 });
          injected = true;
        },
      },
    );
    expect(time.waits).toEqual([1000, 2000]);
    expect(new Set(sent.map((m) => m.contact)).size).toBe(1500);
    expect(counts.contacts).toBe(1500);
  });

  it('never puts the API key in an error', async () => {
    const { http } = await serve('sendgrid', { bounces: { count: 1 } });
    const source = createImportSource({ ...http, apiKey: `${KEY}-wrong` }, { http: fakeTime().http });
    const error = await runImport({
      source,
      page: { types: ['bounces'], until: new Date() },
      policy: { blockReasons: ALL },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/refused/u);
    expect((error as Error).message).not.toContain(KEY);
  });
});

describe('Mailgun', () => {
  it('follows paging.next until a page has no items', async () => {
    const { counts, requests } = await importAll('mailgun', {
      bounces: { count: 2001 },
      complaints: { count: 3 },
      unsubscribes: { count: 4 },
    });
    expect(counts.byReason).toEqual({ hard_bounce: 2001, complaint: 3, unsubscribe: 4 });
    // bounces: 3 full-or-partial pages + the empty one; complaints and unsubscribes: one page + the empty one each
    expect(requests).toBe(Math.ceil(2001 / 1000) + 1 + 2 + 2);
  });

  it('refuses a next-page link to another host (the key would go with it)', async () => {
    const rows = [{ address: 'a@example.com', created_at: 'Mon, 01 Jan 2024 00:00:00 GMT' }];
    const { http } = await serve('mailgun', { complaints: { rows } });
    // The stand-in builds next links from its own origin; point the config at the same server by another name.
    const renamed = { ...http, apiUrl: http.apiUrl.replace('127.0.0.1', 'localhost') };
    const other = createImportSource(renamed, { http: fakeTime().http });
    const error = await runImport({
      source: other,
      page: { types: ['complaints'], until: new Date() },
      policy: { blockReasons: ALL },
    }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/another host/u);
    expect(other.requests).toBe(1);
  });

  it('uses the EU API when MAILGUN_REGION=eu and no URL is given', async () => {
    const config = await loadImportConfig('mailgun', {
      MAILGUN_API_KEY: KEY,
      MAILGUN_DOMAIN: 'mg.example.com',
      MAILGUN_REGION: 'eu',
    });
    expect(config).toMatchObject({ apiUrl: 'https://api.eu.mailgun.net' });
  });
});

describe('Postmark', () => {
  it('dumps every stream per reason and splits manual suppressions by origin', async () => {
    const manual = [
      {
        EmailAddress: 'recipient@example.com',
        SuppressionReason: 'ManualSuppression',
        Origin: 'Recipient',
        CreatedAt: '2024-01-01T00:00:00Z',
      },
      {
        EmailAddress: 'customer@example.com',
        SuppressionReason: 'ManualSuppression',
        Origin: 'Customer',
        CreatedAt: '2024-01-01T00:00:00Z',
      },
      {
        EmailAddress: 'admin@example.com',
        SuppressionReason: 'ManualSuppression',
        Origin: 'Admin',
        CreatedAt: '2024-01-01T00:00:00Z',
      },
    ];
    const { counts, sent } = await importAll('postmark', {
      'outbound/HardBounce': { count: 4 },
      'broadcast/SpamComplaint': { count: 2 },
      'broadcast/ManualSuppression': { rows: manual },
    });
    expect(counts.byReason).toEqual({ hard_bounce: 4, complaint: 2, unsubscribe: 1, manual: 1, suppressed: 1 });
    expect(sent.find((m) => m.contact === 'customer@example.com')!.description).toContain('origin Customer');
  });
});

describe('Brevo', () => {
  it('maps reason codes, admin blocks to manual, and honours x-sib-ratelimit-reset', async () => {
    const time = fakeTime();
    let injected = false;
    const { counts } = await importAll(
      'brevo',
      { blocked_contacts: { count: 250 } },
      {
        http: time.http,
        onPage: () => {
          if (!injected) standin!.inject({ status: 429, headers: { 'x-sib-ratelimit-reset': '3' } });
          injected = true;
        },
      },
    );
    // generatedRow cycles hardBounce, unsubscribedViaEmail, contactFlaggedAsSpam, adminBlocked
    const per = (k: number) => Array.from({ length: 250 }, (_, i) => i).filter((i) => i % 4 === k).length;
    expect(counts.byReason).toEqual({ hard_bounce: per(0), unsubscribe: per(1), complaint: per(2), manual: per(3) });
    expect(time.waits).toEqual([3000]);
  });
});

describe('SparkPost', () => {
  it('follows the next cursor link and counts a recipient on both lists once', async () => {
    const rows = [
      {
        recipient: 'both@example.com',
        type: 'transactional',
        source: 'Spam Complaint',
        created: '2024-01-01T00:00:00Z',
      },
      {
        recipient: 'both@example.com',
        type: 'non_transactional',
        source: 'Spam Complaint',
        created: '2024-01-01T00:00:00Z',
      },
      {
        recipient: 'odd@example.com',
        type: 'non_transactional',
        source: 'Something New',
        created: '2024-01-01T00:00:00Z',
      },
    ];
    const { counts } = await importAll('sparkpost', { suppression_list: { rows } });
    expect(counts).toMatchObject({
      contacts: 1,
      duplicates: 1,
      byReason: { complaint: 1 },
      skipped: { unknown_reason: 1 },
    });
  });
});

describe('Mandrill', () => {
  it('skips soft bounces and imports custom rejects as manual', async () => {
    const { counts } = await importAll('mandrill', {
      rejects: {
        rows: [
          { email: 'h@example.com', reason: 'hard-bounce', created_at: '2024-01-01 10:00:00', expired: false },
          { email: 's@example.com', reason: 'soft-bounce', created_at: '2024-01-01 10:00:00', expired: false },
          { email: 'c@example.com', reason: 'custom', created_at: '2024-01-01 10:00:00', expired: false },
        ],
      },
    });
    expect(counts.byReason).toEqual({ hard_bounce: 1, manual: 1 });
    expect(counts.skipped).toEqual({ soft_bounce: 1 });
  });

  it('fails at once on Invalid_Key (HTTP 500 in Mandrill) instead of retrying', async () => {
    const { http } = await serve('mandrill', { rejects: { count: 1 } });
    const source = createImportSource({ ...http, apiKey: 'wrong-key-123' }, { http: fakeTime().http });
    const error = await runImport({
      source,
      page: { types: ['rejects'], until: new Date() },
      policy: { blockReasons: ALL },
    }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/Invalid_Key/u);
    expect((error as Error).message).not.toContain('wrong-key-123');
    expect(source.requests).toBe(1);
  });
});

describe('resuming an interrupted run', () => {
  it('continues after the last page sent and queues every contact', async () => {
    // Prepare: 1,250 bounces in pages of 500; the API breaks down after the first page
    const time = fakeTime();
    const { config } = await serve('sendgrid', { bounces: { count: 1250 }, unsubscribes: { count: 7 } });
    const page = { types: ['bounces', 'unsubscribes'], until: new Date('2026-01-01T00:00:00Z') };
    const sent: NormalisedMessage[] = [];
    let cursor: string | undefined;
    let saved: ImportCounts = emptyCounts();
    const first = createImportSource(config, { http: { ...time.http, maxAttempts: 2 } });
    const error = await runImport({
      source: first,
      page,
      policy: { blockReasons: ALL },
      send: async (m) => void sent.push(...m),
      onPage: (c, p) => {
        cursor = p.cursor;
        saved = structuredClone(c);
        standin!.breakDown({ status: 503 });
      },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(sent).toHaveLength(500);
    // Act: the API recovers; resume from the saved cursor and counts
    standin!.heal();
    const before = standin!.requests();
    const second = createImportSource(config, { http: time.http });
    const counts = await runImport({
      source: second,
      page: { ...page, cursor },
      policy: { blockReasons: ALL },
      counts: saved,
      send: async (m) => void sent.push(...m),
    });
    // Assess: nothing twice, nothing lost, no page of the first run read again
    expect(new Set(sent.map((m) => m.contact)).size).toBe(1257);
    expect(sent).toHaveLength(1257);
    expect(counts.contacts).toBe(1257);
    expect(standin!.requests() - before).toBe(2 + 1);
  });

  it('gives the same eventId to the same entry on every run', async () => {
    const a = await importAll('sendgrid', { bounces: { count: 3 } });
    await standin!.close();
    const b = await importAll('sendgrid', { bounces: { count: 3 } });
    expect(b.sent.map((m) => m.eventId)).toEqual(a.sent.map((m) => m.eventId));
    // Nothing derived from the contact (issue 19 item 8): not the address, its local part, or a hash of it.
    for (const m of a.sent) {
      expect(m.eventId).toMatch(/^import:sendgrid:bounces(:|$)/u);
      expect(m.eventId).not.toContain(m.contact.split('@')[0]!);
      expect(m.eventId).not.toMatch(/[0-9a-f]{16}/u);
    }
  });
});
