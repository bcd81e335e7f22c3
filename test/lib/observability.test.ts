import { describe, expect, it } from 'vitest';
import { emfPublisher } from '../../lib/consumer/consumer.js';
import { countsEmfPublisher, METRICS_NAMESPACE } from '../../lib/observability.js';
import { webhookEmfPublisher } from '../../lib/webhook/lambda.js';

type EmfDoc = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

/** Every stdout line written while `run` executes (Powertools writes EMF documents there). */
function emfDocs(run: () => void): EmfDoc[] {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  }) as typeof process.stdout.write;
  try {
    run();
  } finally {
    process.stdout.write = original;
  }
  return lines.map((l) => JSON.parse(l) as EmfDoc);
}

describe('countsEmfPublisher', () => {
  it('writes one document with the non-zero counts under the extra dimensions', () => {
    // Prepare
    const publish = countsEmfPublisher();
    // Act
    const docs = emfDocs(() => publish({ accepted: 3, rejected: 0, fractional: 0.5 }, { provider: 'mailgun' }));
    // Assess
    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc!._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
    expect(doc!._aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'provider']));
    expect(doc!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(['accepted', 'fractional']);
    expect([doc!.provider, doc!.accepted, doc!.fractional]).toEqual(['mailgun', 3, 0.5]);
  });

  it('writes nothing for all-zero counts when told to skip them', () => {
    // Prepare
    const publish = countsEmfPublisher({ whenEmpty: 'skip' });
    // Act
    const docs = emfDocs(() => publish({ blocked: 0, ignored: undefined }));
    // Assess
    expect(docs).toEqual([]);
  });
});

describe('the Lambdas publish through it', () => {
  it('gives the webhook one document per request with its provider, and the consumer one without', () => {
    // Prepare
    const webhook = webhookEmfPublisher();
    const consumer = emfPublisher();
    // Act
    const [fromWebhook] = emfDocs(() => webhook('twilio', { webhook_accepted: 1 }));
    const [fromConsumer] = emfDocs(() => consumer({ blocked: 2 }));
    // Assess
    expect(fromWebhook!.provider).toBe('twilio');
    expect(fromConsumer!.provider).toBeUndefined();
    expect(fromConsumer!.blocked).toBe(2);
  });
});
