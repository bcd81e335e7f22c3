import { describe, expect, it } from 'vitest';
import { mapEventBridge } from '../../../lib/providers/eventbridge/map.js';
import { blocks, fixture, policy } from './helpers.js';

function eventBridge(detailType: string, detail: unknown): Record<string, unknown> {
  return {
    version: '0',
    id: 'c2a2d3e4-1111-2222-3333-444455556666',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '123456789012',
    time: '2016-01-27T14:59:38Z',
    region: 'us-east-1',
    resources: ['arn:aws:ses:us-east-1:123456789012:configuration-set/ConfigSet'],
    detail,
  };
}

describe('EventBridge-wrapped SES events', () => {
  it('blocks the bounced recipients of an "Email Bounced" event', () => {
    // Prepare
    const bounce = fixture('ses/aws-docs-notification-bounce-with-dsn.json');
    bounce.eventType = bounce.notificationType;
    delete bounce.notificationType;
    const event = eventBridge('Email Bounced', bounce);

    // Act
    const decisions = mapEventBridge(event, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'block', contact: 'jane@example.com', reason: 'hard_bounce', source: 'ses' }),
    ]);
  });

  it('ignores an "Email Delivery Delayed" event', () => {
    // Prepare
    const event = eventBridge('Email Delivery Delayed', fixture('ses/aws-docs-event-publishing-deliverydelay.json'));

    // Act
    const decisions = mapEventBridge(event, policy);

    // Assess
    expect(blocks(decisions)).toEqual([]);
    expect(decisions.map((d) => d.reason)).toEqual(['delivery_delay']);
  });

  it('uses the EventBridge id when the SES detail carries none', () => {
    // Prepare
    const event = eventBridge('Email Subscription', {
      eventType: 'Subscription',
      subscription: { newTopicPreferences: { unsubscribeAll: true } },
      mail: { destination: ['a@example.com'] },
    });

    // Act
    const decisions = mapEventBridge(event, policy);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'block',
        reason: 'unsubscribe',
        eventId: 'c2a2d3e4-1111-2222-3333-444455556666',
      }),
    ]);
  });

  it('dead-letters an EventBridge event from another AWS service', () => {
    // Prepare
    const event = { ...eventBridge('EC2 Instance State-change Notification', { state: 'running' }), source: 'aws.ec2' };

    // Act
    const decisions = mapEventBridge(event, policy);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});
