import { createHmac } from 'node:crypto';
import { handleWebhook } from '../../../lib/webhook/ingress.js';
import { harness, PUBLIC_URL, request, SECRETS } from '../webhook/harness.js';

/** Twilio requests for the re-split tests: signed as Twilio signs (sorted names, distinct values sorted). */
export const TWILIO_URL = `${PUBLIC_URL}/webhooks/twilio`;
export const ATTACKER = '+14155550111';
export const VICTIM = '+14155550199';
export const COMPANY = '+14155550000';

export type Pairs = ReadonlyArray<readonly [string, string]>;

export const sid = (prefix: string, n = 1) => `${prefix}${n.toString(16).padStart(32, '0')}`;

/** The signed string after the URL, exactly as Twilio builds it. */
export function signedString(pairs: Pairs): string {
  const names = [...new Set(pairs.map(([name]) => name))].sort();
  return names
    .map((name) =>
      [...new Set(pairs.filter(([n]) => n === name).map(([, v]) => v))]
        .sort()
        .map((v) => name + v)
        .join(''),
    )
    .join('');
}

export function twilioSignatureOf(pairs: Pairs, key: string = SECRETS.TWILIO_AUTH_TOKEN): string {
  return createHmac('sha1', key)
    .update(TWILIO_URL + signedString(pairs))
    .digest('base64');
}

/** A realistic inbound SMS from `from` (twilio docs "webhook-request"), in Twilio's own (unsorted) order. */
export function inboundSms(body: string, from = ATTACKER, extra: Pairs = []): Array<[string, string]> {
  return [
    ['ToCountry', 'US'],
    ['ToState', 'CA'],
    ['SmsMessageSid', sid('SM')],
    ['NumMedia', '0'],
    ['ToCity', 'SAN FRANCISCO'],
    ['FromZip', '94105'],
    ['SmsSid', sid('SM')],
    ['FromState', 'CA'],
    ['SmsStatus', 'received'],
    ['FromCity', 'SAN FRANCISCO'],
    ['Body', body],
    ['FromCountry', 'US'],
    ['To', COMPANY],
    ['ToZip', '94105'],
    ['NumSegments', '1'],
    ['MessageSid', sid('SM')],
    ['AccountSid', sid('AC')],
    ['From', from],
    ['ApiVersion', '2010-04-01'],
    ...extra.map(([n, v]): [string, string] => [n, v]),
  ];
}

export interface Outcome {
  status: number;
  /** Contacts queued to be blocked. */
  blocked: string[];
  /** Contacts queued as having opted back in. */
  optedIn: string[];
  ignored: Record<string, number>;
}

/** Posts `pairs` with `signature` through the ingress; what it blocked and ignored. */
export async function post(pairs: Pairs, signature = twilioSignatureOf(pairs)): Promise<Outcome> {
  const h = harness();
  const body = new URLSearchParams(pairs.map(([n, v]): [string, string] => [n, v])).toString();
  const response = await handleWebhook(
    request('twilio', body, { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }),
    h.deps,
  );
  const processed = h.logger.lines.find((l) => l.message === 'webhook processed');
  const bodies = h.queued.map((m) => JSON.parse(m.body) as { contact?: string; optIn?: { contact: string } });
  return {
    status: response.statusCode,
    blocked: bodies.flatMap((b) => (b.contact === undefined ? [] : [b.contact])).sort(),
    optedIn: bodies.flatMap((b) => (b.optIn === undefined ? [] : [b.optIn.contact])).sort(),
    ignored: (processed?.fields.ignoredReasons as Record<string, number> | undefined) ?? {},
  };
}

/** Names an attacker would cut the signed string at: every parameter a Twilio decision reads, and kin. */
export const RESPLIT_NAMES = [
  'Body',
  'From',
  'FromA',
  'FromAFro',
  'FromCity',
  'OptOutType',
  'To',
  'ToZz',
  'ErrorCode',
  'MessageStatus',
  'SmsStatus',
  'ApiVersion',
];

/**
 * Another split of the same signed string as `pairs`. Cut candidates are the request's own boundaries and
 * every place where a RESPLIT_NAMES name starts inside a value; `seeds` drop some boundaries and add some
 * cuts. Each piece is a name and a value: the name that starts there (sometimes with the phone number that
 * follows it, leaving an empty value), else its first 1–24 characters. A piece whose name would sort before
 * the previous one joins the previous value, so the result is sorted as Twilio signs and carries the same
 * signature.
 */
export function resplit(pairs: Pairs, seeds: readonly number[]): Array<[string, string]> {
  const text = signedString(pairs);
  const boundaries = new Map<number, string>();
  let offset = 0;
  for (const [name, value] of [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    boundaries.set(offset, name);
    offset += name.length + value.length;
  }
  const candidates = new Set(boundaries.keys());
  for (const name of RESPLIT_NAMES)
    for (let i = text.indexOf(name, 1); i >= 0; i = text.indexOf(name, i + 1)) candidates.add(i);
  const seedAt = (k: number) => seeds[k % Math.max(1, seeds.length)]! + k;
  const cuts = [...candidates].sort((a, b) => a - b).filter((at, k) => at === 0 || seedAt(k) % 4 !== 0);
  const result: Array<[string, string]> = [];
  cuts.forEach((start, k) => {
    const piece = text.slice(start, cuts[k + 1] ?? text.length);
    const seed = seedAt(k + 7);
    const known = [boundaries.get(start), ...RESPLIT_NAMES.filter((n) => piece.startsWith(n))].filter(
      (n): n is string => n !== undefined,
    );
    let length: number;
    if (known.length > 0 && seed % 10 !== 0) {
      const name = known[seed % known.length]!;
      const phone = /^\+\d+/u.exec(piece.slice(name.length))?.[0] ?? '';
      length = name.length + (seed % 2 === 0 ? phone.length : 0);
    } else {
      length = 1 + (seed % Math.min(24, piece.length));
    }
    const [name, value] = [piece.slice(0, length), piece.slice(length)];
    const previous = result.at(-1);
    if (previous !== undefined && (name < previous[0] || (name === previous[0] && value <= previous[1])))
      previous[1] += piece;
    else result.push([name, value]);
  });
  return result;
}
