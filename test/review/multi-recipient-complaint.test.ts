import { describe, expect, it } from 'vitest';
import { mapResend } from '../../lib/providers/resend/map.js';
import { mapSes } from '../../lib/providers/ses/map.js';

/**
 * One complaint is one person's action. The SES Developer Guide on complainedRecipients: "Most ISPs remove
 * the email address of the recipient who submitted the complaint … this list contains information about
 * recipients who might have sent the complaint" (https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html,
 * the mapper did not handle it before `ambiguous_recipient`).
 * Resend's email.complained carries only the message's `data.to` list. Today every listed recipient of a
 * multi-recipient message is blocked for good, though at most one of them complained.
 */
describe('a complaint about a message sent to several recipients', () => {
  it('SES: never blocks every recipient the notification lists', () => {
    // Prepare
    const to = ['ann@example.com', 'bob@example.com', 'cy@example.com'];
    const notification = {
      notificationType: 'Complaint',
      complaint: {
        complainedRecipients: to.map((emailAddress) => ({ emailAddress })),
        timestamp: '2026-01-15T10:00:00.000Z',
        feedbackId: 'fb-1',
        complaintFeedbackType: 'abuse',
      },
      mail: {
        messageId: 'm-1',
        destination: to,
        timestamp: '2026-01-15T09:59:00.000Z',
        source: 'news@company.example',
      },
    };

    // Act
    const blocks = mapSes(notification).filter((d) => d.action === 'block');

    // Assess: at most the one complainer (when the report names one); otherwise a human decides (dead letter).
    expect(blocks.length).toBeLessThanOrEqual(1);
  });

  it('Resend: never blocks every address of data.to', () => {
    // Act
    const blocks = mapResend({
      type: 'email.complained',
      created_at: '2026-01-15T10:00:00Z',
      data: { email_id: 'e-1', to: ['ann@example.com', 'bob@example.com', 'cy@example.com'] },
    }).filter((d) => d.action === 'block');

    // Assess
    expect(blocks.length).toBeLessThanOrEqual(1);
  });
});
