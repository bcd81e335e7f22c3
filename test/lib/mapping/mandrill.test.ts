import { describe, expect, it } from 'vitest';
import { mapMandrill } from '../../../lib/providers/mandrill/map.js';
import { blocks, fixture, policy } from './helpers.js';

const HARD = 'mandrill/telegraf-mandrill-hard-bounce-event.json';

describe('Mandrill message events', () => {
  it('blocks a hard_bounce given as one event object', () => {
    // Prepare
    const event = fixture(HARD);

    // Act
    const decisions = mapMandrill(event, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'example.webhook@mandrillapp.com',
        reason: 'hard_bounce',
        eventId: 'id2',
        occurredAt: '2013-11-20T13:26:44.000Z',
      }),
    ]);
  });

  it('reads the form parameter mandrill_events as a JSON array', () => {
    // Prepare
    const form = { mandrill_events: JSON.stringify([fixture(HARD), { ...fixture(HARD), event: 'open' }]) };

    // Act
    const decisions = mapMandrill(form, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([
      ['block', 'hard_bounce'],
      ['ignore', 'open'],
    ]);
  });

  it('rejects mandrill_events that is not JSON as malformed_message', () => {
    // Prepare
    const form = { mandrill_events: 'GARBAGE DATA' };

    // Act
    const decisions = mapMandrill(form, policy);

    // Assess
    expect(decisions).toEqual([
      { action: 'reject', reason: 'malformed_message', source: 'mandrill', detail: 'mandrill_events is not JSON' },
    ]);
  });

  it.each([
    ['spam', 'complaint'],
    ['unsub', 'unsubscribe'],
    ['reject', 'suppressed'],
  ])('blocks %s as %s', (event, reason) => {
    // Prepare
    const events = [{ ...fixture(HARD), event }];

    // Act
    const decisions = mapMandrill(events, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'example.webhook@mandrillapp.com', reason }]);
  });

  it('does not block a soft_bounce that is not about a full mailbox', () => {
    // Prepare: the fixture's diag is an unknown-user reply (not a full mailbox).
    const events = [{ ...fixture(HARD), event: 'soft_bounce' }];

    // Act
    const decisions = mapMandrill(events, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'transient_bounce']]);
  });

  it.each(['deferral', 'send', 'open', 'click'])('does not block %s', (event) => {
    // Prepare
    const events = [{ ...fixture(HARD), event }];

    // Act
    const decisions = mapMandrill(events, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', event]]);
  });
});

describe('Mandrill sync events', () => {
  it('labels a blacklist add suppressed', () => {
    // Prepare
    const events = [
      { type: 'blacklist', action: 'add', reject: { email: 'recipient@example.com', reason: 'manual edit' } },
    ];

    // Act
    const decisions = mapMandrill({ mandrill_events: JSON.stringify(events) }, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'recipient@example.com',
        reason: 'suppressed',
        description: 'blacklist add: manual edit',
      }),
    ]);
  });

  it('ignores a blacklist removal', () => {
    // Prepare
    const events = [
      { type: 'blacklist', action: 'remove', reject: { email: 'recipient@example.com', reason: 'manual edit' } },
    ];

    // Act
    const decisions = mapMandrill(events, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'blacklist_removed']]);
  });

  it('ignores a whitelist change', () => {
    // Prepare
    const events = [{ type: 'whitelist', action: 'add', reject: { email: 'recipient@example.com' } }];

    // Act
    const decisions = mapMandrill(events, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'whitelist']]);
  });
});
