import type { SuppressionApi } from './suppression-standins.js';

/** Postmark's suppressions as a local stand-in: `/message-streams` and `/message-streams/{stream}/suppressions/dump`. */
export const api: SuppressionApi = {
  sampleLists: ['outbound/HardBounce', 'outbound/SpamComplaint', 'broadcast/ManualSuppression'],
  row: (list, _i, email, at) => {
    const reason = list.split('/')[1] ?? 'HardBounce';
    return {
      EmailAddress: email,
      SuppressionReason: reason,
      Origin: reason === 'ManualSuppression' ? 'Customer' : 'Recipient',
      CreatedAt: at.toISOString(),
    };
  },
  authorised: (h, _body, apiKey) => h['x-postmark-server-token'] === apiKey,
  route: ({ path, query, send, rows, count, lists }) => {
    if (path === '/message-streams') {
      const streams = [...new Set(lists.map((k) => k.split('/')[0]!))];
      return send(200, {
        MessageStreams: streams.map((ID) => ({ ID, Name: ID, MessageStreamType: 'Transactional' })),
        TotalCount: streams.length,
      });
    }
    const m = /^\/message-streams\/([^/]+)\/suppressions\/dump$/u.exec(path);
    if (!m) return send(404, { ErrorCode: 1235, Message: 'not found' });
    const list = `${decodeURIComponent(m[1]!)}/${query.get('SuppressionReason') ?? ''}`;
    return send(200, { Suppressions: rows(list, 0, count(list)) });
  },
};
