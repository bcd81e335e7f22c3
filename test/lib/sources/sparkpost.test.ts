import { describe, expect, it } from 'vitest';
import { mapSparkpost } from '../../../lib/sources/sparkpost.js';
import { blocks, fixture, policy } from './helpers.js';

const BOUNCE = 'sparkpost/anymail-sparkpost-bounce-class-10.json';

function withEvent(change: Record<string, unknown>, group = 'message_event'): unknown[] {
  const body = fixture(BOUNCE);
  const event = { ...body[0].msys.message_event, ...change };
  return [{ msys: { [group]: event } }];
}

describe('SparkPost events', () => {
  it('blocks a bounce of class 10 with event_id and timestamp', () => {
    // Prepare
    const body = fixture(BOUNCE);

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'block', contact: 'bounce@example.com', reason: 'hard_bounce', eventId: '84345317653491230', occurredAt: '2016-06-01T23:42:28.000Z' })]);
  });

  it.each(['30', '90'])('blocks bounce class %s as hard_bounce', (bounceClass) => {
    // Prepare
    const body = withEvent({ bounce_class: bounceClass });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'hard_bounce' }]);
  });

  it('labels admin bounce class 25 suppressed', () => {
    // Prepare
    const body = withEvent({ bounce_class: '25' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'suppressed' }]);
  });

  it.each(['1', '20', '21', '22', '23', '24', '40', '50', '51', '52', '53', '54', '60', '70', '100'])('does not block bounce class %s', (bounceClass) => {
    // Prepare
    const body = withEvent({ bounce_class: bounceClass });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'soft_bounce']]);
  });

  it('blocks an out_of_band bounce of class 10', () => {
    // Prepare
    const body = withEvent({ type: 'out_of_band' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'hard_bounce' }]);
  });

  it('blocks a spam_complaint as complaint', () => {
    // Prepare
    const body = withEvent({ type: 'spam_complaint', fbtype: 'abuse' });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'complaint' }]);
  });

  it.each(['list_unsubscribe', 'link_unsubscribe'])('blocks %s as unsubscribe', (type) => {
    // Prepare
    const body = withEvent({ type }, 'unsubscribe_event');

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(blocks(decisions)).toEqual([{ contact: 'bounce@example.com', reason: 'unsubscribe' }]);
  });

  it('ignores a delay', () => {
    // Prepare
    const body = withEvent({ type: 'delay', bounce_class: undefined });

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['ignore', 'delay']]);
  });

  it('ignores the webhook test ping [{"msys":{}}]', () => {
    // Prepare
    const body = [{ msys: {} }];

    // Act
    const decisions = mapSparkpost(body, policy);

    // Assess
    expect(decisions).toEqual([{ action: 'ignore', reason: 'ping', source: 'sparkpost', detail: 'webhook test ping' }]);
  });
});
