import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJsonClient, type FetchLike, readResetHeader, readRetryAfter } from '../../../lib/import/http.js';
import { walkLists } from '../../../lib/import/paging.js';
import type { SuppressionEntry } from '../../../lib/import/types.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A scripted edge: answers in order, records each request. */
function scripted(answers: (Response | Error)[]): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (url) => {
      urls.push(url);
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

function timing() {
  let now = NOW;
  const waits: number[] = [];
  return {
    waits,
    clock: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });

describe('reset headers', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(readRetryAfter(new Headers({ 'retry-after': '12' }), NOW)).toBe(12_000);
    expect(readRetryAfter(new Headers({ 'retry-after': new Date(NOW + 5000).toUTCString() }), NOW)).toBe(5000);
    expect(readRetryAfter(new Headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });

  it('reads a reset header as seconds-until, epoch seconds or epoch milliseconds', () => {
    const read = readResetHeader('x-ratelimit-reset');
    expect(read(new Headers({ 'x-ratelimit-reset': '30' }), NOW)).toBe(30_000);
    expect(read(new Headers({ 'x-ratelimit-reset': String(NOW / 1000 + 9) }), NOW)).toBe(9000);
    expect(read(new Headers({ 'x-ratelimit-reset': String(NOW + 4000) }), NOW)).toBe(4000);
  });
});

describe('createJsonClient', () => {
  it('retries a network failure with backoff, then answers', async () => {
    const t = timing();
    const edge = scripted([Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }), ok({ a: 1 })]);
    const client = createJsonClient({
      api: 'x',
      fetch: edge.fetch,
      clock: t.clock,
      sleep: t.sleep,
      backoffBaseMs: 250,
    });
    expect(await client.json('http://api.test/a')).toEqual({ a: 1 });
    expect(t.waits).toEqual([250]);
  });

  it('gives up on 429 after maxRateLimited waits instead of looping for ever', async () => {
    const t = timing();
    const edge = scripted(
      Array.from({ length: 4 }, () => new Response('', { status: 429, headers: { 'retry-after': '1' } })),
    );
    const client = createJsonClient({ api: 'x', fetch: edge.fetch, clock: t.clock, sleep: t.sleep, maxRateLimited: 3 });
    await expect(client.json('http://api.test/a')).rejects.toThrow(/rate-limited/u);
    expect(t.waits).toEqual([1000, 1000, 1000]);
  });

  it('keeps a key out of the error even when the server echoes it', async () => {
    const secret = 'sk-live-abc123';
    const edge = scripted([new Response(`bad key ${secret}`, { status: 400 })]);
    const client = createJsonClient({ api: 'x', fetch: edge.fetch, secrets: [secret] });
    const error = await client.json(`http://api.test/a?key=${secret}`).catch((e: Error) => e);
    expect((error as Error).message).not.toContain(secret);
  });
});

describe('walkLists', () => {
  it('an interrupted walk resumed from any page yields exactly the entries of an uninterrupted walk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        async (pagesPerList, cut) => {
          const lists = pagesPerList.map((_, i) => `l${i}`);
          // list i has pagesPerList[i] pages (at least one, maybe empty), two entries each
          const read = async (list: string, token: string | undefined) => {
            const i = Number(list.slice(1));
            const page = token === undefined ? 0 : Number(token);
            const pages = Math.max(1, pagesPerList[i]!);
            const entries: SuppressionEntry[] =
              pagesPerList[i] === 0
                ? []
                : [0, 1].map((k) => ({
                    contact: `${list}-${page}-${k}@x.com`,
                    reason: 'unsubscribe',
                    list,
                    providerReason: '',
                  }));
            return { entries, next: page + 1 < pages ? String(page + 1) : undefined };
          };
          const all: string[] = [];
          const cursors: (string | undefined)[] = [];
          for await (const p of walkLists(lists, undefined, read)) {
            all.push(...p.entries.map((e) => e.contact));
            cursors.push(p.cursor);
          }
          const stop = cut % cursors.length;
          const firstPart: string[] = [];
          let n = 0;
          for await (const p of walkLists(lists, undefined, read)) {
            firstPart.push(...p.entries.map((e) => e.contact));
            if (n++ === stop) break;
          }
          const cursor = cursors[stop];
          const rest: string[] = [];
          if (cursor !== undefined)
            for await (const p of walkLists(lists, cursor, read)) rest.push(...p.entries.map((e) => e.contact));
          expect([...firstPart, ...rest]).toEqual(all);
        },
      ),
    );
  });
});
