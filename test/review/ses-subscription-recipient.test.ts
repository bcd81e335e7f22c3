import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseContact } from '../../lib/contact.js';
import { mapSes } from '../../lib/providers/ses/map.js';
import { detectSource, mapProvider } from '../../lib/mapping/provider.js';
import type { Decision } from '../../lib/types.js';
import { FIXTURES, fixture, policy } from '../lib/mapping/helpers.js';

/**
 * Issue 19 item 4 (and the contact-free event ids of item 8 on the mapping side): an SES list-management
 * Subscription event names no contact in its `subscription` object; `mail.destination` lists every
 * recipient of the message. Blocking all of them blocks people who did not opt out. One destination is the
 * contact; several are a person's decision (`ambiguous_recipient`). The event id is built from SES's
 * message id only, never from a destination such as `"Jane Doe" <Jane.Doe@Example.com>`.
 */

const SUBSCRIPTION = 'ses/aws-docs-event-publishing-subscription-unsubscribe-all.json';

const destinations = fc.uniqueArray(
  fc
    .tuple(fc.emailAddress(), fc.constantFrom('', 'Jane Doe', '"Doe, Jane"'), fc.boolean())
    .map(([address, name, upper]) => {
      const written = upper ? address.toUpperCase() : address;
      return name === '' ? written : `${name} <${written}>`;
    }),
  { minLength: 1, maxLength: 5, selector: (raw) => (normaliseContact(raw) as { contact?: string }).contact ?? raw },
);
const preferences = fc.record({
  unsubscribeAll: fc.boolean(),
  topicSubscriptionStatus: fc.array(
    fc.record({ topicName: fc.constantFrom('News', 'Offers'), subscriptionStatus: fc.constantFrom('OptIn', 'OptOut') }),
    { maxLength: 2 },
  ),
});

function subscriptionEvent(to: string[], next?: unknown, previous?: unknown) {
  const payload = fixture(SUBSCRIPTION);
  payload.mail.destination = to;
  payload.mail.commonHeaders.to = to;
  if (next !== undefined) payload.subscription.newTopicPreferences = next;
  if (previous !== undefined) payload.subscription.oldTopicPreferences = previous;
  return payload;
}

const blocked = (decisions: readonly Decision[]) => decisions.filter((d) => d.action === 'block');

describe('SES Subscription events block only the recipient the event is about', () => {
  it('with several destinations, blocks nobody and dead-letters the event as ambiguous_recipient', () => {
    // Prepare
    const payload = subscriptionEvent(['"Jane Doe" <Jane.Doe@Example.com>', 'recipient@example.com', 'cc@example.com']);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'ambiguous_recipient', eventId: payload.mail.messageId }),
    ]);
  });

  it('with one destination, blocks it (display name and case removed)', () => {
    // Prepare
    const payload = subscriptionEvent(['"Jane Doe" <Jane.Doe@Example.com>']);

    // Act
    const decisions = mapSes(payload, policy);

    // Assess
    expect(blocked(decisions)).toEqual([
      expect.objectContaining({
        contact: 'jane.doe@example.com',
        reason: 'unsubscribe',
        eventId: payload.mail.messageId,
      }),
    ]);
  });

  it('never blocks more than one destination, for any preferences and destinations', () => {
    // Act / Assess
    fc.assert(
      fc.property(destinations, preferences, preferences, (to, next, previous) => {
        const decisions = mapSes(subscriptionEvent(to, next, previous), policy);
        expect(blocked(decisions).length).toBeLessThanOrEqual(to.length === 1 ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });

  it('never blocks on a change that only opts in (a re-subscription)', () => {
    // Prepare: unsubscribeAll false now, and every topic OptIn now, whatever it was before.
    const before = fc.tuple(fc.boolean(), fc.constantFrom('OptIn', 'OptOut'));

    // Act / Assess
    fc.assert(
      fc.property(before, ([wasAll, was]) => {
        const previous = {
          unsubscribeAll: wasAll,
          topicSubscriptionStatus: [{ topicName: 'News', subscriptionStatus: was }],
        };
        const next = {
          unsubscribeAll: false,
          topicSubscriptionStatus: [{ topicName: 'News', subscriptionStatus: 'OptIn' }],
        };
        const decisions = mapSes(subscriptionEvent(['recipient@example.com'], next, previous), policy);
        expect(decisions).toEqual([expect.objectContaining({ action: 'ignore' })]);
      }),
      { numRuns: 50 },
    );
  });
});

describe('event ids carry no contact', () => {
  it('an SES Subscription event id holds neither the destination nor its address, and is the same on a retry', () => {
    // Act / Assess
    fc.assert(
      fc.property(destinations, (to) => {
        const payload = subscriptionEvent(to);
        const first = mapSes(payload, policy);
        const retry = mapSes(structuredClone(payload), policy);
        expect(retry.map((d) => d.eventId)).toEqual(first.map((d) => d.eventId));
        for (const d of first) {
          for (const raw of to) {
            const address = (normaliseContact(raw) as { contact: string }).contact;
            expect(d.eventId?.toLowerCase()).not.toContain(address);
            expect(d.eventId).not.toContain(raw);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no decision of any fixture has an event id containing its contact', () => {
    // Prepare
    const cases = (JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as { cases: Array<{ file: string }> })
      .cases;

    // Act
    const offending = cases.flatMap(({ file }) => {
      const payload = fixture(file);
      if (file.startsWith('sqs/')) return [];
      const source = detectSource(payload);
      if (source === undefined) return [];
      return mapProvider(source, payload, policy).flatMap((d) =>
        d.action === 'block' && d.eventId?.toLowerCase().includes(d.contact) ? [`${file}: ${d.eventId}`] : [],
      );
    });

    // Assess
    expect(offending).toEqual([]);
  });
});
