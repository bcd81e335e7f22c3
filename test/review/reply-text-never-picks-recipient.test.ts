import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseContact } from '../../lib/contact.js';
import { mapBrevo } from '../../lib/providers/brevo/map.js';
import { mapMailgun } from '../../lib/providers/mailgun/map.js';
import { mapMandrill } from '../../lib/providers/mandrill/map.js';
import { mapPostmark } from '../../lib/providers/postmark/map.js';
import { mapResend } from '../../lib/providers/resend/map.js';
import { mapSendgrid } from '../../lib/providers/sendgrid/map.js';
import { mapSes } from '../../lib/providers/ses/map.js';
import { mapSparkpost } from '../../lib/providers/sparkpost/map.js';
import type { Decision } from '../../lib/types.js';
import { fixture, policy } from '../lib/mapping/helpers.js';

/**
 * Issue 19 item 2: a bounce's or complaint's reply text is written by the receiving server (or by whoever
 * can make it reply), so it must never pick whom to block, a block that cannot be undone. For events about
 * several recipients the recipients a provider lists in its own structure decide (SES bouncedRecipients),
 * or nobody does (`ambiguous_recipient`: Resend's data.to, SES complainedRecipients and Subscription
 * destinations). For one-recipient events, text may change *why* (hard bounce or not), never *who*.
 */

const RUNS = 200;

const emails = fc.uniqueArray(fc.emailAddress(), {
  minLength: 2,
  maxLength: 6,
  selector: (e) => (normaliseContact(e) as { contact?: string }).contact ?? e,
});
const strangers = fc.array(fc.emailAddress(), { maxLength: 3 });

/** Free text quoting any of the given addresses, the way SMTP replies quote them, among arbitrary words. */
function replyQuoting(addresses: readonly string[]): fc.Arbitrary<string> {
  const quoted =
    addresses.length === 0
      ? fc.constant('')
      : fc.constantFrom(...addresses).chain((a) => fc.constantFrom(`<${a}>`, a, `${a}.`, `"${a}"`, `RCPT TO:<${a}>`));
  const word = fc.oneof(
    fc.constantFrom(
      '550',
      '5.1.1',
      'User unknown',
      'Recipient address rejected:',
      'mailbox full',
      'spam',
      'recipient address was suppressed due to customer policy',
    ),
    fc.string({ maxLength: 12 }),
  );
  return fc.array(fc.oneof(quoted, word), { maxLength: 8 }).map((parts) => parts.join(' '));
}

const blockedContacts = (decisions: readonly Decision[]) =>
  decisions.flatMap((d) => (d.action === 'block' ? [d.contact] : [])).sort();
const normalised = (e: string) => (normaliseContact(e) as { contact: string }).contact;

describe('reply text never selects a recipient among several', () => {
  it('Resend: a bounce, complaint or suppression on a message to several blocks nobody, whatever it quotes', () => {
    // Prepare
    const template = fixture('resend-svix/anymail-resend-email-bounced.json');
    const kinds = fc.constantFrom(
      { type: 'email.bounced', bounce: { type: 'Permanent', subType: 'General' } },
      { type: 'email.bounced', bounce: {} },
      { type: 'email.bounced', bounce: { type: 'Transient', subType: 'MailboxFull' } },
      { type: 'email.suppressed', suppressed: { type: 'OnAccountSuppressionList' } },
      { type: 'email.complained' },
    );
    const cases = fc
      .tuple(emails, strangers, kinds, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }))
      .chain(([to, others, kind, named]) =>
        fc.tuple(fc.constant(to), fc.constant(kind), fc.constant(named), replyQuoting([...to, ...others])),
      );

    // Act / Assess
    fc.assert(
      fc.property(cases, ([to, kind, named, reply]) => {
        const payload = structuredClone(template);
        payload.type = kind.type;
        payload.data.to = to.map((e, i) => (named[i] ? `Some Name <${e}>` : e));
        delete payload.data.bounce;
        if (kind.bounce) payload.data.bounce = { ...kind.bounce, message: reply };
        if (kind.suppressed) payload.data.suppressed = { ...kind.suppressed, message: reply };
        const decisions = mapResend(payload, policy);
        expect(blockedContacts(decisions)).toEqual([]);
        expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient' })]);
      }),
      { numRuns: RUNS },
    );
  });

  it('SES: a Permanent bounce blocks exactly its bouncedRecipients, whatever their diagnostic codes quote', () => {
    // Prepare
    const template = fixture('ses/aws-docs-notification-bounce-with-dsn.json');
    const cases = fc
      .tuple(emails, strangers)
      .chain(([all, others]) =>
        fc.tuple(
          fc.constant(all),
          fc.integer({ min: 1, max: all.length }),
          fc.array(replyQuoting([...all, ...others]), { minLength: all.length, maxLength: all.length }),
        ),
      );

    // Act / Assess: the first `n` bounced; the rest are other destinations of the same message.
    fc.assert(
      fc.property(cases, ([all, n, replies]) => {
        const payload = structuredClone(template);
        payload.mail.destination = all;
        payload.bounce.bouncedRecipients = all
          .slice(0, n)
          .map((emailAddress, i) => ({ emailAddress, status: '5.1.1', diagnosticCode: replies[i] }));
        expect(blockedContacts(mapSes(payload, policy))).toEqual(all.slice(0, n).map(normalised).sort());
      }),
      { numRuns: RUNS },
    );
  });

  it('SES: a complaint naming several recipients or a Subscription to several destinations blocks nobody', () => {
    // Prepare
    const complaint = fixture('ses/aws-docs-notification-complaint-with-feedback.json');
    const subscription = fixture('ses/aws-docs-event-publishing-subscription-unsubscribe-all.json');
    const cases = fc
      .tuple(emails, strangers)
      .chain(([to, others]) => fc.tuple(fc.constant(to), replyQuoting([...to, ...others])));

    // Act / Assess
    fc.assert(
      fc.property(cases, ([to, text]) => {
        const c = structuredClone(complaint);
        c.complaint.complainedRecipients = to.map((emailAddress) => ({ emailAddress }));
        c.complaint.userAgent = text;
        const s = structuredClone(subscription);
        s.mail.destination = to;
        s.subscription.source = text;
        expect(blockedContacts(mapSes(c, policy))).toEqual([]);
        expect(blockedContacts(mapSes(s, policy))).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("reply text never selects a recipient other than the event's own", () => {
  // One event, one recipient field; the text fields are the receiving server's (or a person's) words.
  const ONE_RECIPIENT: Array<[string, (recipient: string, text: string) => Decision[]]> = [
    [
      'sendgrid',
      (email, reason) =>
        mapSendgrid([{ email, event: 'bounce', type: 'bounce', reason, status: reason, sg_event_id: 'e-1' }], policy),
    ],
    [
      'mailgun',
      (recipient, message) =>
        mapMailgun(
          {
            event: 'failed',
            severity: 'permanent',
            reason: 'bounce',
            recipient,
            id: 'e-1',
            'delivery-status': { code: 550, message, description: message },
          },
          policy,
        ),
    ],
    [
      'mailgun legacy',
      (recipient, description) =>
        mapMailgun({ event: 'dropped', reason: 'hardfail', code: '550', recipient, description }, policy),
    ],
    [
      'postmark',
      (Email, Details) =>
        mapPostmark({ RecordType: 'Bounce', Type: 'HardBounce', TypeCode: 1, Email, Details, ID: 1 }, policy),
    ],
    [
      'postmark older',
      (Email, Details) => mapPostmark({ Type: 'SoftBounce', TypeCode: 4096, Email, Details, ID: 1 }, policy),
    ],
    ['brevo', (email, reason) => mapBrevo({ event: 'soft_bounce', email, reason, 'message-id': 'm-1' }, policy)],
    [
      'mandrill',
      (email, diag) =>
        mapMandrill(
          [{ event: 'soft_bounce', _id: 'm-1', msg: { email, diag, bounce_description: 'mailbox_full' } }],
          policy,
        ),
    ],
    [
      'mandrill sync',
      (email, detail) =>
        mapMandrill([{ type: 'blacklist', action: 'add', reject: { email, reason: 'hard-bounce', detail } }], policy),
    ],
    [
      'sparkpost',
      (rcpt_to, reason) =>
        mapSparkpost(
          [
            {
              msys: {
                message_event: {
                  type: 'bounce',
                  bounce_class: '25',
                  rcpt_to,
                  reason,
                  raw_reason: reason,
                  event_id: 'e-1',
                },
              },
            },
          ],
          policy,
        ),
    ],
  ];

  it.each(ONE_RECIPIENT)('%s', (_name, map) => {
    // Prepare
    const cases = fc
      .tuple(fc.emailAddress(), strangers)
      .chain(([recipient, others]) => fc.tuple(fc.constant(recipient), replyQuoting(others)));

    // Act / Assess
    fc.assert(
      fc.property(cases, ([recipient, text]) => {
        for (const contact of blockedContacts(map(recipient, text))) expect(contact).toBe(normalised(recipient));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('a single recipient is still blocked, whatever the reply text', () => {
  it('Resend: a Permanent bounce to one recipient blocks that recipient', () => {
    // Prepare
    const template = fixture('resend-svix/anymail-resend-email-bounced.json');
    const cases = fc
      .tuple(fc.emailAddress(), strangers)
      .chain(([to, others]) => fc.tuple(fc.constant(to), replyQuoting([to, ...others])));

    // Act / Assess
    fc.assert(
      fc.property(cases, ([to, reply]) => {
        const payload = structuredClone(template);
        payload.data.to = [to];
        payload.data.bounce = { type: 'Permanent', subType: 'General', message: reply };
        expect(blockedContacts(mapResend(payload, policy))).toEqual([normalised(to)]);
      }),
      { numRuns: RUNS },
    );
  });
});
