import type { SuppressionApi } from './suppression-standins.js';

/** SparkPost's suppression list as a local stand-in: `/api/v1/suppression-list` with cursor links. */
export const api: SuppressionApi = {
  sampleLists: ['suppression_list'],
  row: (_list, i, email, at) => {
    const sources = ['Bounce Rule', 'Spam Complaint', 'Unsubscribe Link', 'Manually Added'];
    return {
      recipient: email,
      type: 'non_transactional',
      source: sources[i % sources.length],
      description: 'generated',
      created: at.toISOString(),
      updated: at.toISOString(),
      non_transactional: true,
    };
  },
  authorised: (h, _body, apiKey) => h.authorization === apiKey,
  route: ({ path, query, send, rows, count, limit }) => {
    if (path !== '/api/v1/suppression-list') return send(404, { errors: [{ message: 'not found' }] });
    const list = 'suppression_list';
    const cursor = query.get('cursor') ?? 'initial';
    const offset = cursor === 'initial' ? 0 : Number(cursor);
    const page = rows(list, offset, limit);
    const next = offset + page.length;
    const links =
      next < count(list) ? [{ href: `/api/v1/suppression-list?cursor=${next}&limit=${limit}`, rel: 'next' }] : [];
    return send(200, { results: page, links, total_count: count(list) });
  },
};
