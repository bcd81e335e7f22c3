import type { SuppressionApi } from './suppression-standins.js';

/** Brevo's blocked contacts as a local stand-in: `/v3/smtp/blockedContacts` with offset paging and `count`. */
export const api: SuppressionApi = {
  sampleLists: ['blocked_contacts'],
  row: (_list, i, email, at) => {
    const codes = ['hardBounce', 'unsubscribedViaEmail', 'contactFlaggedAsSpam', 'adminBlocked'];
    const code = codes[i % codes.length]!;
    return {
      email,
      senderEmail: 'news@example.com',
      reason: { code, message: `Reason ${code}` },
      blockedAt: at.toISOString(),
    };
  },
  authorised: (h, _body, apiKey) => h['api-key'] === apiKey,
  route: ({ path, query, send, rows, count, limit }) => {
    if (path !== '/v3/smtp/blockedContacts') return send(404, { code: 'not_found', message: 'not found' });
    const list = 'blocked_contacts';
    return send(200, { contacts: rows(list, Number(query.get('offset') ?? 0), limit), count: count(list) });
  },
};
