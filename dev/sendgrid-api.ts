import type { SuppressionApi } from './suppression-standins.js';

/** SendGrid's suppression lists as a local stand-in: `/v3/suppression/*` with offset paging, `/v3/asm/suppressions`. */
export const api: SuppressionApi = {
  sampleLists: ['bounces', 'spam_reports', 'unsubscribes'],
  row: (list, _i, email, at) => {
    if (list === 'bounces')
      return {
        created: at.getTime() / 1000,
        email,
        reason: '550 5.1.1 The email account that you tried to reach does not exist.',
        status: '5.1.1',
      };
    if (list === 'spam_reports') return { created: at.getTime() / 1000, email, ip: '10.63.202.100' };
    if (list === 'group_unsubscribes')
      return { email, group_id: 42, group_name: 'Newsletter', created_at: at.getTime() / 1000 };
    return { created: at.getTime() / 1000, email };
  },
  authorised: (h, _body, apiKey) => h.authorization === `Bearer ${apiKey}`,
  route: ({ path, query, send, rows, count, limit }) => {
    const list = {
      '/v3/suppression/bounces': 'bounces',
      '/v3/suppression/spam_reports': 'spam_reports',
      '/v3/suppression/unsubscribes': 'unsubscribes',
      '/v3/asm/suppressions': 'group_unsubscribes',
    }[path];
    if (list === undefined) return send(404, { errors: [{ message: 'not found' }] });
    if (list === 'group_unsubscribes') return send(200, rows(list, 0, count(list)));
    return send(200, rows(list, Number(query.get('offset') ?? 0), limit), {
      'x-ratelimit-limit': '600',
      'x-ratelimit-remaining': '599',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60),
    });
  },
};
