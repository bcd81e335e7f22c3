import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGISTRY, type SourceName } from '../../lib/providers/index.js';
import { FIXTURES, fixture, policy } from '../lib/mapping/helpers.js';

/**
 * Issue 19 item 9: a signed 100 KB Resend body took 11.6 s in one regular expression (`\.+$` on every
 * token of a bounce reply: quadratic), past the webhook's timeout. Every mapper is run here on classic
 * super-linear shapes, ~100 KB each, put in turn into every text field of a real payload of its provider.
 *
 * Why a wall-time bound: JavaScript exposes no step counter for its regular expressions, so "the mapper is
 * linear" cannot be measured directly. Linearity is argued where each expression is written (and provider
 * text is cut to MAX_PROVIDER_TEXT before any rule reads it); this test is the safety net behind that
 * argument. Its bound, 1 s per call, is ~100 times what a call takes on the 2-core CI box (a few ms) and
 * ~10 times less than what the quadratic expression took, so it fails on a super-linear path and not on a
 * busy machine.
 */

const SIZE = 100_000;
const LIMIT_MS = 1_000;

const ATTACKS: Record<string, string> = {
  spaces: `${' '.repeat(SIZE)}!`,
  'a@': 'a@'.repeat(SIZE / 2),
  '<': '<'.repeat(SIZE),
  '"': '"'.repeat(SIZE),
  'dot run': `a@${'.'.repeat(SIZE)}x`,
  'status code run': `x5.1.${'1.'.repeat(SIZE / 2)}x`,
  'no @ in a long word': 'a'.repeat(SIZE),
  'phrase window': 'user '.repeat(SIZE / 5),
  'angle then spaces': `<a@b.co>${' '.repeat(SIZE)}x`,
  'plus then spaces': `+1${' '.repeat(SIZE)}x`,
};

// Payloads of every provider: each fixture expected.json lists, plus shapes no fixture has.
const FOLDER: Record<string, SourceName> = {
  ses: 'ses',
  sns: 'sns',
  sendgrid: 'sendgrid',
  twilio: 'twilio',
  mailgun: 'mailgun',
  mandrill: 'mandrill',
  postmark: 'postmark',
  'resend-svix': 'resend',
  brevo: 'brevo',
  sparkpost: 'sparkpost',
  'aws-sms': 'aws-sms',
};
const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as { cases: Array<{ file: string }> };
const TEMPLATES: Array<[SourceName, string, unknown]> = [
  ...expected.cases.flatMap(({ file }): Array<[SourceName, string, unknown]> => {
    const source = FOLDER[file.split('/')[0]!];
    return source === undefined ? [] : [[source, file, fixture(file)]];
  }),
  [
    'vonage',
    'inbound SMS',
    {
      msisdn: '447700900001',
      to: '447700900000',
      messageId: 'm-1',
      text: 'STOP',
      type: 'text',
      keyword: 'STOP',
      'message-timestamp': '2020-01-01 12:00:00',
    },
  ],
  [
    'vonage',
    'delivery receipt',
    {
      msisdn: '447700900001',
      to: 'AcmeInc',
      messageId: 'm-2',
      status: 'failed',
      'err-code': '9',
      'message-timestamp': '2020-01-01 12:00:00',
    },
  ],
  [
    'generic',
    'block request',
    {
      contact: 'jane@example.com',
      reason: 'manual',
      source: 'crm',
      description: 'replied STOP',
      eventId: 'e-1',
      occurredAt: '2024-05-01T10:00:00Z',
    },
  ],
  [
    'eventbridge',
    'SES bounce',
    {
      version: '0',
      id: 'eb-1',
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      time: '2016-01-27T14:59:38Z',
      detail: {
        ...fixture<Record<string, unknown>>('ses/aws-docs-notification-bounce-with-dsn.json'),
        eventType: 'Bounce',
      },
    },
  ],
  [
    'mandrill',
    'message events as the signed form',
    { mandrill_events: JSON.stringify([fixture('mandrill/telegraf-mandrill-hard-bounce-event.json')]) },
  ],
];

type Path = Array<string | number>;

/** Every string or number leaf of a payload. */
function leaves(value: unknown, path: Path = []): Path[] {
  if (typeof value === 'string' || typeof value === 'number') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [];
}

function withLeaf(template: unknown, path: Path, text: string): unknown {
  const copy = structuredClone(template) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = text;
  return copy;
}

const MAPPERS = new Map(REGISTRY.map((p) => [p.name as SourceName, p.map]));

describe('every mapper stays fast on adversarial ~100 KB text in every field', () => {
  it('covers every registered mapper', () => {
    // Assess
    expect(new Set(TEMPLATES.map(([source]) => source))).toEqual(new Set(MAPPERS.keys()));
  });

  it.each(TEMPLATES.map(([source, name, payload]) => [source, name, payload] as const))(
    '%s: %s',
    (source, _name, template) => {
      // Prepare
      const map = MAPPERS.get(source);
      if (map === undefined) throw new Error(`no mapper named ${source}`);
      const slow: string[] = [];

      // Act
      for (const path of leaves(template)) {
        for (const [attack, text] of Object.entries(ATTACKS)) {
          const payload = withLeaf(template, path, text);
          const started = performance.now();
          map(payload, policy);
          const ms = performance.now() - started;
          if (ms > LIMIT_MS) slow.push(`${path.join('.')} = ${attack}: ${Math.round(ms)} ms`);
        }
      }

      // Assess
      expect(slow).toEqual([]);
    },
  );
});
