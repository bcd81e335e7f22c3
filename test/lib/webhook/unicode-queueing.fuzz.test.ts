import { readdirSync } from 'node:fs';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalQueues, startLocalQueues } from '../../../dev/emulator.js';
import type { WebhookConfig } from '../../../lib/config.js';
import { handleWebhook, type WebhookRequest } from '../../../lib/webhook/ingress.js';
import { createWebhookHandler } from '../../../lib/webhook/lambda.js';
import { ReplayCache } from '../../../lib/providers/shared/replay.js';
import { receiveAll, sqsClientFor } from '../../helpers/sqs.js';
import { sqsRefuses, strictSqs } from '../../helpers/strict-sqs.js';
import { unicodeText } from '../../helpers/unicode.js';
import { apiEventOf } from './api-event.js';
import { fixtureBytes, fixtureJson } from './fixtures.js';
import {
  basicRequest,
  genericRequest,
  harness,
  mailgunRequest,
  mandrillRequest,
  NOW_MS,
  QUEUE_ENV,
  recordingLogger,
  resendRequest,
  sendgridRequest,
  snsRequest,
  testConfig,
  twilioRequest,
  vonageRequest,
} from './harness.js';
import { createTestSnsSigner, snsNotification, type TestSnsSigner } from './sns-signer.js';

/**
 * Issue 19 item 5 (and 19), the whole class: random Unicode — every class SQS refuses (U+FFFE, U+FFFF, lone
 * surrogates, C0 controls) and astral characters, which the local emulator refuses — in any text field of
 * any provider's payload (the fixtures as templates, string leaves mutated), signed as the provider signs.
 * Each request goes through the webhook Lambda twice: with a queue that takes anything (what the ingress
 * means to send) and with an SQS that refuses exactly what real SQS refuses (and, in the second suite,
 * through fauxqs too). Property: the same answer, never a 503, every contact meant for the block queue is
 * on it and every dead letter on the DLQ, each body parsing back to the very same value.
 */

let signer: TestSnsSigner;

type Template = { provider: string; name: string; payload: unknown; build: (payload: unknown) => WebhookRequest };

function jsonTemplates(dir: string): Array<{ name: string; payload: unknown }> {
  return readdirSync(new URL(`../../fixtures/${dir}/`, import.meta.url))
    .filter((f) => f.endsWith('.json') && !f.startsWith('signature-vectors'))
    .map((f) => ({ name: `${dir}/${f}`, payload: fixtureJson(`${dir}/${f}`) }));
}

function templates(): Template[] {
  const out: Template[] = [];
  const add = (provider: string, dir: string, build: (payload: unknown) => WebhookRequest) => {
    for (const t of jsonTemplates(dir)) out.push({ provider, ...t, build });
  };
  add('sendgrid', 'sendgrid', (p) => sendgridRequest(JSON.stringify(p)));
  add('mailgun', 'mailgun', (p) => mailgunRequest(p));
  add('mandrill', 'mandrill', (p) => mandrillRequest(Array.isArray(p) ? p : [p]));
  add('postmark', 'postmark', (p) => basicRequest('postmark', p));
  add('brevo', 'brevo', (p) => basicRequest('brevo', p));
  add('sparkpost', 'sparkpost', (p) => basicRequest('sparkpost', p));
  add('resend', 'resend-svix', (p) => resendRequest(p));
  add('sns', 'ses', (p) => snsRequest(signer.sign(snsNotification(JSON.stringify(p)))));
  const twilio = Object.fromEntries(
    new URLSearchParams(fixtureBytes('twilio/botbuilder-inbound-sms-hello.form').toString('utf8')),
  );
  out.push({
    provider: 'twilio',
    name: 'twilio STOP',
    payload: { ...twilio, Body: 'STOP', From: '+14155550199', To: '+14155550100' },
    build: (p) => twilioRequest(p as Record<string, string>),
  });
  const vonage = {
    msisdn: '447700900001',
    to: '447700900000',
    messageId: '0A0000000123ABCD1',
    text: 'STOP',
    type: 'text',
    keyword: 'STOP',
    'message-timestamp': '2026-01-15 10:29:59',
  };
  out.push({
    provider: 'vonage',
    name: 'vonage STOP',
    payload: vonage,
    build: (p) => vonageRequest(p as Record<string, string>),
  });
  const generic = [
    {
      contact: 'jane@example.com',
      reason: 'complaint',
      description: 'reported as spam',
      source: 'crm',
      eventId: 'evt-1',
    },
    {
      contact: '+14155550123',
      reason: 'sms_opt_out',
      description: 'STOP',
      source: 'sms-app',
      occurredAt: '2026-01-15T10:00:00Z',
    },
    { contact: 'bob@example.org' },
  ];
  out.push({ provider: 'generic', name: 'generic', payload: generic, build: (p) => genericRequest(p) });
  return out;
}

type Mutation = { op: 'keep' | 'append' | 'prepend' | 'insert' | 'replace'; text: string; at: number };

// Most leaves kept, so that many events still name a valid contact; the others carry the random text.
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.oneof(
    { weight: 7, arbitrary: fc.constant<Mutation['op']>('keep') },
    { weight: 3, arbitrary: fc.constantFrom<Mutation['op']>('append', 'prepend', 'insert', 'replace') },
  ),
  text: unicodeText(12),
  at: fc.nat(),
});

/** A provider first (each as likely), then one of its templates. */
const templateOf = (all: readonly Template[]): fc.Arbitrary<Template> =>
  fc
    .constantFrom(...new Set(all.map((t) => t.provider)))
    .chain((provider) => fc.constantFrom(...all.filter((t) => t.provider === provider)));

/** Every string leaf of the template, mutated by the plan's mutations in turn (the plan cycles). */
function mutate(template: unknown, plan: readonly Mutation[]): unknown {
  let i = 0;
  const leaf = (s: string): string => {
    const m = plan[i++ % plan.length]!;
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    switch (m.op) {
      case 'keep':
        return s;
      case 'append':
        return s + m.text;
      case 'prepend':
        return m.text + s;
      case 'insert':
        return s.slice(0, at) + m.text + s.slice(at);
      case 'replace':
        return m.text;
    }
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return leaf(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(template);
}

/** Parsed bodies in a canonical order (JSON.stringify writes lone surrogates as escapes, so any value sorts). */
const parsedBodies = (bodies: readonly string[]) => bodies.map((b) => JSON.stringify(JSON.parse(b))).sort();

/** A body that real SQS or fauxqs would refuse if its parsed value were written with JSON.stringify alone. */
const needsEncoder = (body: string) => {
  const plain = JSON.stringify(JSON.parse(body));
  return sqsRefuses(plain) || /[\uD800-\uDFFF]/u.test(plain);
};

interface Counts {
  runs: number;
  byProvider: Record<string, number>;
  queued: number;
  deadLettered: number;
  queuedNeedingEncoder: number;
  deadLettersNeedingEncoder: number;
  answers: Record<number, number>;
}

const newCounts = (): Counts => ({
  runs: 0,
  byProvider: {},
  queued: 0,
  deadLettered: 0,
  queuedNeedingEncoder: 0,
  deadLettersNeedingEncoder: 0,
  answers: {},
});

/** What the ingress means to send for a request: its answer and the bodies, with a queue that takes anything. */
async function intended(request: WebhookRequest, config: WebhookConfig) {
  const h = harness({ config, signer });
  const response = await handleWebhook(request, h.deps);
  return {
    statusCode: response.statusCode,
    queued: h.queued.map((m) => m.body),
    deadLetters: h.deadLetters.map((d) => d.body),
  };
}

function lambdaFor(config: WebhookConfig, sqsClient: ReturnType<typeof strictSqs>['client']) {
  return createWebhookHandler({
    config,
    sqsClient,
    now: () => NOW_MS,
    logger: recordingLogger(),
    replayCache: new ReplayCache({ maxEntries: 1000, ttlMs: 3_600_000 }),
    fetchCertificate: async () => signer.certificatePem,
    confirmSubscription: async () => undefined,
  });
}

function tally(
  counts: Counts,
  provider: string,
  statusCode: number,
  queued: readonly string[],
  dead: readonly string[],
) {
  counts.runs += 1;
  counts.byProvider[provider] = (counts.byProvider[provider] ?? 0) + 1;
  counts.answers[statusCode] = (counts.answers[statusCode] ?? 0) + 1;
  counts.queued += queued.length;
  counts.deadLettered += dead.length;
  counts.queuedNeedingEncoder += queued.filter(needsEncoder).length;
  counts.deadLettersNeedingEncoder += dead.filter(needsEncoder).length;
}

const bodies = (entries: readonly SendMessageBatchRequestEntry[] | undefined) =>
  (entries ?? []).map((e) => e.MessageBody!);

beforeAll(() => {
  signer = createTestSnsSigner();
});

describe('random Unicode in every text field of every provider (SQS that refuses what real SQS refuses)', () => {
  it('queues every contact and dead-letters every reject, with a 200, never a 503', async () => {
    const all = templates();
    const config = testConfig();
    const counts = newCounts();
    await fc.assert(
      fc.asyncProperty(templateOf(all), fc.array(mutation, { minLength: 1, maxLength: 30 }), async (template, plan) => {
        // Prepare
        const payload = mutate(template.payload, plan);
        const want = await intended(template.build(payload), config);
        const sqs = strictSqs();

        // Act
        const response = await lambdaFor(config, sqs.client)(apiEventOf(template.build(payload)));

        // Assess
        const queued = bodies(sqs.accepted.get(QUEUE_ENV.BLOCK_QUEUE_URL));
        const dead = bodies(sqs.accepted.get(QUEUE_ENV.DEAD_LETTER_QUEUE_URL));
        expect(response.statusCode).toBe(want.statusCode);
        expect(response.statusCode).not.toBe(503);
        expect(sqs.refusedCalls()).toBe(0);
        expect(parsedBodies(queued)).toEqual(parsedBodies(want.queued));
        expect(parsedBodies(dead)).toEqual(parsedBodies(want.deadLetters));
        tally(counts, template.provider, response.statusCode ?? 0, queued, dead);
      }),
      { numRuns: 500 },
    );
    // The run must have exercised the class: contacts queued and dead letters whose text SQS would refuse raw.
    expect(Object.keys(counts.byProvider).sort()).toEqual([...new Set(all.map((t) => t.provider))].sort());
    console.info(`unicode queueing fuzz (strict SQS): ${JSON.stringify(counts)}`);
    expect(counts.queuedNeedingEncoder).toBeGreaterThanOrEqual(5);
    expect(counts.deadLettersNeedingEncoder).toBeGreaterThanOrEqual(5);
  });
});

describe('random Unicode in every text field of every provider (through fauxqs)', () => {
  let queues: LocalQueues;
  beforeAll(async () => {
    queues = await startLocalQueues();
  });
  afterAll(async () => {
    await queues.stop();
  });

  it('queues every contact on the local emulator, which also refuses characters beyond U+FFFF', async () => {
    const all = templates();
    const config = testConfig({
      BLOCK_QUEUE_URL: queues.blockQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    });
    const sqs = sqsClientFor(queues);
    const counts = newCounts();
    await fc.assert(
      fc.asyncProperty(templateOf(all), fc.array(mutation, { minLength: 1, maxLength: 30 }), async (template, plan) => {
        // Prepare
        const payload = mutate(template.payload, plan);
        const want = await intended(template.build(payload), config);
        const strict = strictSqs(sqs);

        // Act
        const response = await lambdaFor(config, strict.client)(apiEventOf(template.build(payload)));

        // Assess: what is received is hidden for 12 h, so the next run reads only its own messages.
        const queued = (await receiveAll(sqs, queues.blockQueueUrl, 1000, 43_200)).map((m) => m.Body!);
        const dead = (await receiveAll(sqs, queues.deadLetterQueueUrl, 1000, 43_200)).map((m) => m.Body!);
        expect(response.statusCode).toBe(want.statusCode);
        expect(response.statusCode).not.toBe(503);
        expect(parsedBodies(queued)).toEqual(parsedBodies(want.queued));
        expect(parsedBodies(dead)).toEqual(parsedBodies(want.deadLetters));
        tally(counts, template.provider, response.statusCode ?? 0, queued, dead);
      }),
      { numRuns: 60 },
    );
    console.info(`unicode queueing fuzz (fauxqs): ${JSON.stringify(counts)}`);
    expect(counts.queuedNeedingEncoder + counts.deadLettersNeedingEncoder).toBeGreaterThanOrEqual(3);
  });
});
