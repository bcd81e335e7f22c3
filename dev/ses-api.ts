import type { SuppressionApi } from './suppression-standins.js';

/**
 * Amazon SES's suppression list as a local stand-in: SESv2 REST-JSON
 * `GET /v2/email/suppression/addresses?Reason=BOUNCE&PageSize=&NextToken=`, SigV4-signed requests.
 */
export const api: SuppressionApi = {
  sampleLists: ['bounce', 'complaint'],
  row: (list, _i, email, at) => ({
    EmailAddress: email,
    Reason: list === 'complaint' ? 'COMPLAINT' : 'BOUNCE',
    LastUpdateTime: at.getTime() / 1000,
  }),
  authorised: (h) => typeof h.authorization === 'string' && h.authorization.startsWith('AWS4-HMAC-SHA256'),
  route: ({ path, query, send, rows, count, limit }) => {
    if (path !== '/v2/email/suppression/addresses') return send(404, { message: 'not found' });
    const reasons = query.getAll('Reason');
    const list = reasons.includes('COMPLAINT') && !reasons.includes('BOUNCE') ? 'complaint' : 'bounce';
    const offset = Number(query.get('NextToken') ?? 0);
    const page = rows(list, offset, limit);
    const next = offset + page.length;
    return send(200, {
      SuppressedDestinationSummaries: page,
      ...(next < count(list) ? { NextToken: String(next) } : {}),
    });
  },
};
