import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../lib/webhook/ingress.js';
import { decodeOptIn } from '../../../lib/queue/opt-in.js';
import { harness, NOW_S, sendgridRequest, twilioRequest } from './harness.js';

// A person who opts back in (Twilio START/YES/UNSTOP or OptOutType=START, SendGrid group_resubscribe) is queued
// as an opt-in message (lib/queue/opt-in.ts), never as a block request, from the signed request alone.

const twilio = (extra: Record<string, string>) => ({
  From: '+14155550100',
  To: '+14155550199',
  MessageSid: 'SM0123456789abcdef',
  AccountSid: 'AC0123456789abcdef',
  ...extra,
});

describe('webhook: opt-ins are queued as their own message kind', () => {
  for (const body of ['START', 'yes', ' Unstop ']) {
    it(`twilio: an inbound "${body}" is queued as an opt-in, not a block`, async () => {
      // Prepare
      const h = harness();

      // Act
      const response = await handleWebhook(twilioRequest(twilio({ Body: body })), h.deps);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(h.queued).toHaveLength(1);
      const decoded = decodeOptIn(h.queued[0]!.body);
      expect(decoded).toEqual({
        ok: true,
        message: expect.objectContaining({
          kind: 'opt_in',
          optIn: { contact: '+14155550100' },
          signal: 'sms_opt_in',
          source: 'twilio',
        }),
      });
      expect(JSON.parse(h.queued[0]!.body)).not.toHaveProperty('contact');
    });
  }

  it('twilio: Advanced Opt-Out OptOutType=START is queued as an opt-in', async () => {
    // Prepare
    const h = harness();

    // Act
    await handleWebhook(twilioRequest(twilio({ Body: 'start please', OptOutType: 'START' })), h.deps);

    // Assess
    expect(h.queued.map((m) => decodeOptIn(m.body)?.ok)).toEqual([true]);
  });

  it('twilio: a body that only contains START is not an opt-in', async () => {
    // Prepare
    const h = harness();

    // Act
    await handleWebhook(twilioRequest(twilio({ Body: 'please START again' })), h.deps);

    // Assess
    expect(h.queued).toEqual([]);
  });

  it('sendgrid: group_resubscribe is queued as an opt-in for the address', async () => {
    // Prepare
    const h = harness();
    const events = [
      {
        email: 'Jane@Example.com',
        event: 'group_resubscribe',
        asm_group_id: 42,
        sg_event_id: 'ev1',
        timestamp: Number(NOW_S),
      },
    ];

    // Act
    const response = await handleWebhook(sendgridRequest(JSON.stringify(events)), h.deps);

    // Assess
    expect(response.statusCode).toBe(200);
    const decoded = decodeOptIn(h.queued[0]!.body);
    expect(decoded?.ok && decoded.message).toMatchObject({
      optIn: { contact: 'jane@example.com' },
      signal: 'group_resubscribe',
      source: 'sendgrid',
    });
  });
});
