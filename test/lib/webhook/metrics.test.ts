import { describe, expect, it } from 'vitest';
import { webhookMetrics } from '../../../lib/webhook/ingress.js';

describe('webhookMetrics', () => {
  it('counts what a 200 queued, ignored and dead-lettered', () => {
    // Act
    const m = webhookMetrics({ statusCode: 200, summary: { queued: 3, ignored: 2, rejected: 1, correlationId: 'c' } });
    // Assess
    expect(m).toEqual({ webhook_requests: 1, webhook_queued: 3, webhook_ignored: 2, webhook_rejected: 1 });
  });

  it('counts a bad signature as webhook_unauthorized, never as the consumer metric unauthorized', () => {
    // Act
    const m = webhookMetrics({ statusCode: 401 });
    // Assess
    expect(m).toEqual({ webhook_requests: 1, webhook_unauthorized: 1 });
  });

  it('separates client errors from failures the provider will retry', () => {
    // Act
    const bad = [400, 404, 413].map((statusCode) => webhookMetrics({ statusCode }));
    const failed = webhookMetrics({ statusCode: 503 });
    // Assess
    expect(bad.every((m) => m.webhook_bad_request === 1)).toBe(true);
    expect(failed).toEqual({ webhook_requests: 1, webhook_failed: 1 });
  });
});
