import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { harness, PUBLIC_URL, request, SECRETS } from '../lib/webhook/harness.js';
import {
  ATTACKER,
  COMPANY,
  inboundSms,
  post,
  sid,
  twilioSignatureOf,
  VICTIM,
} from '../lib/providers/twilio-requests.js';

/**
 * Twilio signs url + Σ sorted(name + value) with NO separator between names and values, so the same
 * signed string can be re-split into different parameters. An attacker who sends one SMS of their own
 * choosing to the company's number and holds the signed request Twilio delivered for it can re-split it
 * so that `Body` is STOP and `From` is any number they like: the signature still matches.
 */
const URL = `${PUBLIC_URL}/webhooks/twilio`;

function sign(params: Record<string, string>): string {
  const data =
    URL +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return createHmac('sha1', SECRETS.TWILIO_AUTH_TOKEN).update(data).digest('base64');
}

describe('Twilio: a re-split of a signed inbound SMS', () => {
  it('never blocks a number that did not send STOP', async () => {
    // Prepare: the attacker's own SMS, as Twilio signs it. Its body is not a keyword: nothing blocks.
    const genuine = {
      AccountSid: 'AC0123',
      Body: `STOPFrom${VICTIM}FromCity`,
      From: ATTACKER,
      FromCity: 'BOSTON',
      FromCountry: 'US',
      MessageSid: 'SM0001',
      To: '+14155550000',
    };
    const signature = sign(genuine);
    const h0 = harness();
    await handleWebhook(
      request('twilio', new URLSearchParams(genuine).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
      }),
      h0.deps,
    );
    expect(h0.queued).toHaveLength(0);

    // Same concatenation, split differently:
    // "BodySTOP" + "From<victim>" + "FromCity" + "From<attacker>FromCityBOSTON" + …
    const forged = {
      AccountSid: 'AC0123',
      Body: 'STOP',
      From: VICTIM,
      FromCity: `From${ATTACKER}FromCityBOSTON`,
      FromCountry: 'US',
      MessageSid: 'SM0001',
      To: '+14155550000',
    };
    expect(sign(forged)).toBe(signature); // the signature Twilio made for the genuine request covers the forgery too
    const h = harness();

    // Act
    const response = await handleWebhook(
      request('twilio', new URLSearchParams(forged).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
      }),
      h.deps,
    );

    // Assess: the victim, who never texted anything, must not be queued for a (permanent) block.
    const contacts = h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact);
    expect(response.statusCode).toBeLessThan(500);
    expect(contacts).not.toContain(VICTIM);
  });

  it('still blocks a genuine STOP whose other fields merely contain "From" or "To" in a name', async () => {
    // Prepare
    const genuine = {
      AccountSid: 'AC0123',
      Body: 'STOP',
      From: ATTACKER,
      FromCity: 'Toronto',
      FromCountry: 'CA',
      FromState: 'ON',
      MessageSid: 'SM0002',
      To: '+14155550000',
    };
    const h = harness();

    // Act
    await handleWebhook(
      request('twilio', new URLSearchParams(genuine).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': sign(genuine),
      }),
      h.deps,
    );

    // Assess
    expect(h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact)).toEqual([ATTACKER]);
  });
});

/**
 * Twilio signs URL + Σ sorted(name + value) with no separator, so one signature covers every other way of
 * cutting the same string into names and values (issue 19, item 1). A request decides a block only if every
 * split Twilio could have sent decides the same.
 */
describe('Twilio re-split through a parameter name (through the ingress)', () => {
  it("does not block the victim when the attacker's number becomes a parameter name with an empty value", async () => {
    // Prepare: the attacker texts `STOPFrom<victim>` from their own number; Twilio signs it.
    const genuine = inboundSms(`STOPFrom${VICTIM}`);
    const forged = [
      ...genuine.filter(([n]) => n !== 'Body' && n !== 'From'),
      ['Body', 'STOP'],
      ['From', VICTIM],
      [`From${ATTACKER}`, ''],
    ] as const;

    // Act
    const outcome = await post(forged, twilioSignatureOf(genuine));

    // Assess: accepted (the signature matches), and nobody is blocked.
    expect(outcome.status).toBe(200);
    expect(outcome.blocked).toEqual([]);
    expect(outcome.ignored).toEqual({ ambiguous_signed_fields: 1 });
  });

  it('does not block the victim when the re-split name has letters only (FromAFro=m<attacker>)', async () => {
    // Prepare
    const genuine = inboundSms(`STOPFrom${VICTIM}FromA`);
    const forged = [
      ...genuine.filter(([n]) => n !== 'Body' && n !== 'From'),
      ['Body', 'STOP'],
      ['From', VICTIM],
      ['FromAFro', `m${ATTACKER}`],
    ] as const;

    // Act
    const outcome = await post(forged, twilioSignatureOf(genuine));

    // Assess
    expect(outcome.status).toBe(200);
    expect(outcome.blocked).toEqual([]);
    expect(outcome.ignored).toEqual({ ambiguous_signed_fields: 1 });
  });

  it("does not block the victim through a status callback made of the attacker's text (21610)", async () => {
    // Prepare: the body re-split so that it ends the ApiVersion value, and the rest of the message hides in a
    // made-up name sorted after To.
    const genuine = inboundSms(`xErrorCode21610MessageStatusfailedTo${VICTIM}Tz`);
    const tail = `${genuine
      .filter(([n]) => n > 'Body')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([n, v]) => n + v)
      .join('')}`;
    const forged = [
      ['AccountSid', sid('AC')],
      ['ApiVersion', '2010-04-01Bodyx'],
      ['ErrorCode', '21610'],
      ['MessageStatus', 'failed'],
      ['To', VICTIM],
      ['Tz', tail],
    ] as const;

    // Act
    const outcome = await post(forged, twilioSignatureOf(genuine));

    // Assess
    expect(outcome.status).toBe(200);
    expect(outcome.blocked).toEqual([]);
  });

  it('records no opt-in for the victim from a re-split START (a person may unblock whoever opted in)', async () => {
    // Prepare
    const genuine = inboundSms(`STARTFrom${VICTIM}`);
    const forged = [
      ...genuine.filter(([n]) => n !== 'Body' && n !== 'From'),
      ['Body', 'START'],
      ['From', VICTIM],
      [`From${ATTACKER}`, ''],
    ] as const;

    // Act
    const outcome = await post(forged, twilioSignatureOf(genuine));
    const honest = await post(inboundSms('START'));

    // Assess: queued neither as a block nor as an opt-in; an honest START still is.
    expect([...outcome.blocked, ...outcome.optedIn]).toEqual([]);
    expect(outcome.ignored).toEqual({ ambiguous_signed_fields: 1 });
    expect(honest.optedIn).toEqual([ATTACKER]);
  });

  it('still blocks an honest STOP', async () => {
    // Act
    const outcome = await post(inboundSms('STOP'));

    // Assess
    expect(outcome.blocked).toEqual([ATTACKER]);
  });

  it('still blocks an honest Advanced Opt-Out STOP whose body is not a keyword of this policy', async () => {
    // Prepare
    const message = inboundSms('Arrêt', ATTACKER, [
      ['OptOutType', 'STOP'],
      ['MessagingServiceSid', sid('MG')],
    ]);

    // Act
    const outcome = await post(message);

    // Assess
    expect(outcome.blocked).toEqual([ATTACKER]);
  });

  it('still blocks an honest MMS STOP with media and WhatsApp-style fields', async () => {
    // Prepare
    const media = `https://api.twilio.com/2010-04-01/Accounts/${sid('AC')}/Messages/${sid('MM')}/Media/${sid('ME')}`;
    const extra: Array<[string, string]> = [
      ['MediaUrl0', media],
      ['MediaContentType0', 'image/jpeg'],
      ['ProfileName', 'Ann From Boston'],
      ['WaId', ATTACKER.slice(1)],
      ['MessageType', 'image'],
    ];
    const message = inboundSms('stop', ATTACKER, extra).map(([n, v]): [string, string] => [
      n,
      n === 'NumMedia' ? '1' : v,
    ]);

    // Act
    const outcome = await post(message);

    // Assess
    expect(outcome.blocked).toEqual([ATTACKER]);
  });

  it('still blocks an honest STOP carrying parameters Twilio may add later', async () => {
    // Prepare: new names sorted after From, free text since undocumented.
    const message = inboundSms('STOP', ATTACKER, [
      ['MessagePriority', 'high'],
      ['Zeta', 'a later value'],
      ['Recipients', '[]'],
    ]);

    // Act
    const outcome = await post(message);

    // Assess
    expect(outcome.blocked).toEqual([ATTACKER]);
  });

  it('still blocks an honest status callback for error 21610', async () => {
    // Prepare
    const callback: Array<[string, string]> = [
      ['AccountSid', sid('AC')],
      ['ApiVersion', '2010-04-01'],
      ['ErrorCode', '21610'],
      ['From', COMPANY],
      ['MessageSid', sid('SM')],
      ['MessageStatus', 'undelivered'],
      ['SmsSid', sid('SM')],
      ['SmsStatus', 'undelivered'],
      ['To', VICTIM],
    ];

    // Act
    const outcome = await post(callback);

    // Assess
    expect(outcome.blocked).toEqual([VICTIM]);
  });
});
