import type { SuppressionApi } from './suppression-standins.js';

/** Mandrill's rejection blacklist as a local stand-in: `POST /api/1.0/rejects/list.json`, the key in the body. */
export const api: SuppressionApi = {
  sampleLists: ['rejects'],
  row: (_list, i, email, at) => {
    const reasons = ['hard-bounce', 'spam', 'unsub', 'custom'];
    return {
      email,
      reason: reasons[i % reasons.length],
      detail: '',
      created_at: at.toISOString().slice(0, 19).replace('T', ' '),
      last_event_at: null,
      expires_at: null,
      expired: false,
      sender: null,
      subaccount: null,
    };
  },
  authorised: (_h, body, apiKey) => {
    try {
      return (JSON.parse(body) as { key?: string }).key === apiKey;
    } catch {
      return false;
    }
  },
  // Mandrill answers every error, a bad key too, with HTTP 500 and a JSON error.
  unauthorised: { status: 500, body: { status: 'error', code: -1, name: 'Invalid_Key', message: 'Invalid API key' } },
  route: ({ path, method, send, rows, count }) => {
    if (path !== '/api/1.0/rejects/list.json' || method !== 'POST')
      return send(500, { status: 'error', code: -1, name: 'Unknown_Method', message: 'not found' });
    return send(200, rows('rejects', 0, count('rejects')));
  },
};
