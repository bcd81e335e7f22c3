import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../lib/webhook/ingress.js';
import { harness, PUBLIC_URL, request, SECRETS } from '../lib/webhook/harness.js';

/**
 * Twilio signs url + Σ sorted(name + value) with NO separator between names and values, so the same
 * signed string can be re-split into different parameters. An attacker who sends one SMS of their own
 * choosing to the company's number and holds the signed request Twilio delivered for it can re-split it
 * so that `Body` is STOP and `From` is any number they like: the signature still matches.
 */
const URL = `${PUBLIC_URL}/webhooks/twilio`;
const ATTACKER = '+14155550111';
const VICTIM = '+14155550199';

function sign(params: Record<string, string>): string {
  const data = URL + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', SECRETS.TWILIO_AUTH_TOKEN).update(data).digest('base64');
}

describe('Twilio: a re-split of a signed inbound SMS', () => {
  it('never blocks a number that did not send STOP', async () => {
    // Prepare: the attacker's own SMS, as Twilio signs it. Its body is not a keyword: nothing blocks.
    const genuine = { AccountSid: 'AC0123', Body: `STOPFrom${VICTIM}FromCity`, From: ATTACKER, FromCity: 'BOSTON', FromCountry: 'US', MessageSid: 'SM0001', To: '+14155550000' };
    const signature = sign(genuine);
    const h0 = harness();
    await handleWebhook(request('twilio', new URLSearchParams(genuine).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }), h0.deps);
    expect(h0.queued).toHaveLength(0);

    // Same concatenation, split differently: "BodySTOP" + "From<victim>" + "FromCity" + "From<attacker>FromCityBOSTON" + …
    const forged = { AccountSid: 'AC0123', Body: 'STOP', From: VICTIM, FromCity: `From${ATTACKER}FromCityBOSTON`, FromCountry: 'US', MessageSid: 'SM0001', To: '+14155550000' };
    expect(sign(forged)).toBe(signature); // the signature Twilio made for the genuine request covers the forgery too
    const h = harness();

    // Act
    const response = await handleWebhook(request('twilio', new URLSearchParams(forged).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }), h.deps);

    // Assess: the victim, who never texted anything, must not be queued for a (permanent) block.
    const contacts = h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact);
    expect(response.statusCode).toBeLessThan(500);
    expect(contacts).not.toContain(VICTIM);
  });

  it('still blocks a genuine STOP whose other fields merely contain "From" or "To" in a name', async () => {
    // Prepare
    const genuine = { AccountSid: 'AC0123', Body: 'STOP', From: ATTACKER, FromCity: 'Toronto', FromCountry: 'CA', FromState: 'ON', MessageSid: 'SM0002', To: '+14155550000' };
    const h = harness();

    // Act
    await handleWebhook(request('twilio', new URLSearchParams(genuine).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(genuine) }), h.deps);

    // Assess
    expect(h.queued.map((m) => (JSON.parse(m.body) as { contact: string }).contact)).toEqual([ATTACKER]);
  });
});
