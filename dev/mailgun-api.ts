import type { SuppressionApi } from './suppression-standins.js';

/** Mailgun's per-domain suppression lists as a local stand-in: `/v3/{domain}/{list}` with `paging.next` links. */
export const api: SuppressionApi = {
  sampleLists: ['bounces', 'complaints', 'unsubscribes'],
  row: (list, _i, email, at) => {
    if (list === 'bounces')
      return { address: email, code: '550', error: 'No such mailbox', created_at: at.toUTCString() };
    if (list === 'unsubscribes') return { address: email, tags: ['*'], created_at: at.toUTCString() };
    return { address: email, created_at: at.toUTCString() };
  },
  authorised: (h, _body, apiKey) => h.authorization === `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`,
  route: ({ path, query, send, rows, count, limit, origin, domain }) => {
    const m = /^\/v3\/([^/]+)\/(bounces|complaints|unsubscribes)$/u.exec(path);
    if (!m || decodeURIComponent(m[1]!) !== domain) return send(404, { message: 'Domain not found' });
    const list = m[2]!;
    const offset = Number(query.get('p') ?? 0);
    const page = rows(list, offset, limit);
    const at = (o: number) => `${origin()}/v3/${domain}/${list}?page=next&p=${o}&limit=${limit}`;
    return send(200, {
      items: page,
      paging: {
        first: at(0),
        last: at(Math.max(0, count(list) - limit)),
        next: at(offset + page.length),
        previous: at(Math.max(0, offset - limit)),
      },
    });
  },
};
