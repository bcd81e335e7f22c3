import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = `${ROOT}test/fixtures/`;

interface Run {
  code: number;
  lines: Array<Record<string, unknown>>;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `hood-blocker <args>` in-process with in-memory stdio and the given environment. */
async function cli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const stdout = sink();
  const stderr = sink();
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, stdin, env: options.env ?? {} });
  const out = stdout.text();
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, stdout: out, stderr: stderr.text() };
}

function sqsEvent(...bodies: string[]): string {
  return JSON.stringify({
    Records: bodies.map((body, i) => ({
      messageId: `m-${i}`,
      receiptHandle: 'AQEB',
      body,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:blocks',
      awsRegion: 'eu-west-1',
    })),
  });
}

describe('hood-blocker extract, payloads saved with their request', () => {
  it('maps an API Gateway event copied from a log, taking the provider from its path', async () => {
    // Prepare
    const body = Buffer.from('From=%2B14155550123&To=%2B14155550100&Body=STOP&MessageSid=SM1').toString('base64');
    const event = JSON.stringify({
      version: '2.0',
      rawPath: '/webhooks/twilio',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      isBase64Encoded: true,
    });
    // Act
    const run = await cli(['extract', '-'], { stdin: event });
    // Assess
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'block', contact: '+14155550123', reason: 'sms_opt_out', source: 'twilio' }),
    ]);
  });

  it('maps the form params of a signature test vector', async () => {
    // Prepare
    const fixture = JSON.parse(
      readFileSync(`${FIXTURES}mandrill/telegraf-mandrill-hard-bounce-event.json`, 'utf8'),
    ) as unknown;
    const vector = JSON.stringify({
      url: 'https://example.com/webhooks/mandrill',
      key: 'k',
      params: { mandrill_events: JSON.stringify([fixture]) },
      signature: 'x',
    });
    // Act
    const run = await cli(['extract', '-'], { stdin: vector });
    // Assess
    expect(run.lines).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'example.webhook@mandrillapp.com',
        reason: 'hard_bounce',
        source: 'mandrill',
      }),
    ]);
  });

  it('still reports a payload that nothing recognises', async () => {
    // Act
    const run = await cli(['extract', '-'], { stdin: JSON.stringify({ headers: {}, body: '{"hello":"world"}' }) });
    // Assess
    expect(run.lines).toEqual([expect.objectContaining({ action: 'reject', reason: 'unrecognised_event' })]);
  });
});

describe('hood-blocker extract, reading input', () => {
  it('prints one block line per decision for a JSON file', async () => {
    // Prepare
    const file = `${FIXTURES}ses/aws-docs-notification-bounce-without-dsn-2-recipients.json`;

    // Act
    const run = await cli(['extract', file]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => [l.action, l.contact, l.reason, l.source])).toEqual([
      ['block', 'jane@example.com', 'hard_bounce', 'ses'],
      ['block', 'richard@example.com', 'hard_bounce', 'ses'],
    ]);
  });

  it('prints exactly the contract keys on a block line, with the Hood description', async () => {
    // Prepare
    const file = `${FIXTURES}ses/aws-docs-notification-bounce-with-dsn.json`;

    // Act
    const run = await cli(['extract', file]);

    // Assess
    expect(run.lines).toEqual([
      {
        action: 'block',
        contact: 'jane@example.com',
        reason: 'hard_bounce',
        source: 'ses',
        description:
          'hood-blocker: Hard bounce (hard_bounce) via ses; Permanent/General: smtp; 550 5.1.1 <jane@example.com>... User; event 00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000; at 2016-01-27T14:59:38.237Z',
      },
    ]);
  });

  it('reads stdin when the file is "-"', async () => {
    // Prepare
    const body = readFileSync(`${FIXTURES}sendgrid/signed-single-dropped-body.raw`, 'utf8');

    // Act
    const run = await cli(['extract', '-'], { stdin: body });

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'hello@world.com',
        reason: 'suppressed',
        source: 'sendgrid',
      }),
    ]);
  });

  it('reads stdin when no file is given', async () => {
    // Prepare
    const body = JSON.stringify({ contact: '+387 61 234 567', reason: 'sms_opt_out' });

    // Act
    const run = await cli(['extract'], { stdin: body });

    // Assess
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'block', contact: '+38761234567', reason: 'sms_opt_out', source: 'generic' }),
    ]);
  });

  it('reads a form-encoded Twilio file and prints an ignore line', async () => {
    // Prepare
    const file = `${FIXTURES}twilio/botbuilder-inbound-sms-hello.form`;

    // Act
    const run = await cli(['extract', file]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([{ action: 'ignore', reason: 'not_an_opt_out_keyword', source: 'twilio' }]);
  });

  it('blocks a form-encoded Twilio STOP read from stdin', async () => {
    // Prepare
    const form = 'MessageSid=SM1&AccountSid=AC1&From=%2B14158675309&To=%2B15005550006&Body=%20Stop%20';

    // Act
    const run = await cli(['extract', '--source', 'twilio'], { stdin: form });

    // Assess
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'block', contact: '+14158675309', reason: 'sms_opt_out', source: 'twilio' }),
    ]);
  });

  it('honours an explicit --source', async () => {
    // Prepare
    const file = `${FIXTURES}mailgun/mailgun-docs-event-data-complained.json`;

    // Act
    const run = await cli(['extract', file, '--source', 'mailgun']);

    // Assess
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'block', contact: 'foo@example.com', reason: 'complaint', source: 'mailgun' }),
    ]);
  });
});

describe('hood-blocker extract, Lambda events', () => {
  it('maps the real Lambda SQS event fixture record by record (an SNS envelope that is not SES)', async () => {
    // Prepare
    const file = `${FIXTURES}sqs/powertools-sqs-event-sns-envelope-body.json`;

    // Act
    const run = await cli(['extract', file]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'ignore', reason: 'unrecognised_sns_message', source: 'sns' }),
    ]);
  });

  it('maps every body of a whole Lambda SQS event as the consumer would', async () => {
    // Prepare
    const bounce = readFileSync(`${FIXTURES}ses/aws-docs-notification-bounce-with-dsn.json`, 'utf8');
    const snsWrapped = JSON.stringify({
      Type: 'Notification',
      MessageId: 'sns-1',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses',
      Message: bounce,
    });
    const event = sqsEvent(JSON.stringify({ contact: 'manual@example.com' }), snsWrapped, 'not json');

    // Act
    const run = await cli(['extract'], { stdin: event });

    // Assess
    expect(run.lines.map((l) => [l.action, l.reason, l.contact])).toEqual([
      ['block', 'manual', 'manual@example.com'],
      ['block', 'hard_bounce', 'jane@example.com'],
      ['reject', 'unrecognised_event', undefined],
    ]);
  });

  it('maps each SQS body with the provider named by --source', async () => {
    // Prepare
    const body = readFileSync(`${FIXTURES}sendgrid/signed-multi-event-body.raw`, 'utf8');
    const event = sqsEvent(body);

    // Act
    const run = await cli(['extract', '--source', 'sendgrid'], { stdin: event });

    // Assess
    expect(run.lines.map((l) => l.reason)).toEqual(['processed', 'soft_bounce']);
  });

  it('maps a Lambda SNS event', async () => {
    // Prepare
    const file = `${FIXTURES}sns/powertools-lambda-sns-event-direct.json`;

    // Act
    const run = await cli(['extract', file]);

    // Assess
    expect(run.lines).toEqual([
      { action: 'ignore', reason: 'unrecognised_sns_message', source: 'sns', detail: 'Message is not JSON' },
    ]);
  });
});

describe('hood-blocker extract, policy', () => {
  it('prints a block whose reason is outside BLOCK_REASONS as an ignore with that reason', async () => {
    // Prepare
    const file = `${FIXTURES}ses/aws-docs-notification-bounce-with-dsn.json`;

    // Act
    const run = await cli(['extract', file], { env: { BLOCK_REASONS: 'complaint,unsubscribe' } });

    // Assess
    expect(run.lines).toEqual([
      { action: 'ignore', reason: 'hard_bounce', source: 'ses', detail: 'reason not in BLOCK_REASONS' },
    ]);
  });

  it('leaves group_unsubscribe out by default', async () => {
    // Prepare
    const file = `${FIXTURES}sendgrid/sendgrid-nodejs-example-event-notification-all-types.json`;

    // Act
    const run = await cli(['extract', file]);

    // Assess
    expect(run.lines.find((l) => l.reason === 'group_unsubscribe')).toEqual({
      action: 'ignore',
      reason: 'group_unsubscribe',
      source: 'sendgrid',
      detail: 'reason not in BLOCK_REASONS',
    });
  });

  it('uses SMS_OPT_OUT_KEYWORDS from the environment', async () => {
    // Prepare
    const body = JSON.stringify({ originationNumber: '+14255550182', messageBody: 'basta' });

    // Act
    const run = await cli(['extract'], { stdin: body, env: { SMS_OPT_OUT_KEYWORDS: 'BASTA' } });

    // Assess
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'block', contact: '+14255550182', reason: 'sms_opt_out' }),
    ]);
  });

  it('prints the raw contact of a reject line (a local dry run masks nothing)', async () => {
    // Prepare
    const body = JSON.stringify({ From: '55555', Body: 'STOP', MessageSid: 'SM1' });

    // Act
    const run = await cli(['extract', '--source', 'twilio'], { stdin: body });

    // Assess
    expect(run.lines).toEqual([
      expect.objectContaining({ action: 'reject', reason: 'invalid_contact', source: 'twilio', contact: '55555' }),
    ]);
  });

  it('prints an unrecognised payload as a reject line that suggests --source', async () => {
    // Prepare
    const body = JSON.stringify({ hello: 'world' });

    // Act
    const run = await cli(['extract'], { stdin: body });

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      {
        action: 'reject',
        reason: 'unrecognised_event',
        source: 'unknown',
        detail: 'no provider recognised this payload; pass --source <name>',
      },
    ]);
  });
});

describe('hood-blocker extract, mistakes', () => {
  it('exits 2 with one clear line on input that is neither JSON nor a form', async () => {
    // Act
    const run = await cli(['extract'], { stdin: 'this is { not json' });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('hood-blocker extract: the input is neither JSON nor form-encoded (key=value&…)\n');
  });

  it('exits 2 on empty input', async () => {
    // Act
    const run = await cli(['extract', '-'], { stdin: '  \n' });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('hood-blocker extract: the input is empty\n');
  });

  it('exits 2 on a missing file', async () => {
    // Act
    const run = await cli(['extract', `${FIXTURES}does-not-exist.json`]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^hood-blocker extract: cannot read ".*does-not-exist\.json": no such file\n$/u);
  });

  it('exits 2 on an unknown --source', async () => {
    // Act
    const run = await cli(['extract', '--source', 'carrier-pigeon'], { stdin: '{}' });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown --source "carrier-pigeon"; expected auto or one of: ses, sns/u);
  });

  it('exits 2 on an unknown option', async () => {
    // Act
    const run = await cli(['extract', '--bogus'], { stdin: '{}' });

    // Assess
    expect(run.code).toBe(2);
  });

  it('exits 2 on a BLOCK_REASONS it does not know, naming the variable', async () => {
    // Act
    const run = await cli(['extract'], { stdin: '{}', env: { BLOCK_REASONS: 'hard_bounce,annoyed' } });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^hood-blocker extract: BLOCK_REASONS: unknown reason "annoyed"/u);
  });

  it('prints usage for --help and exits 0', async () => {
    // Act
    const run = await cli(['extract', '--help']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: hood-blocker extract \[file\|-\] \[--source auto\|<name>\]/u);
  });
});

describe('hood-blocker extract as a real process', () => {
  it('prints decisions and exits 0 for a fixture, then exits 2 for a missing file', () => {
    // Prepare
    const tsx = `${ROOT}node_modules/.bin/tsx`;
    const env = { ...process.env, BLOCK_REASONS: '' };

    // Act
    const ok = spawnSync(
      tsx,
      ['cli/main.ts', 'extract', 'test/fixtures/postmark/spatie-postmark-bounce-hardbounce.json'],
      { cwd: ROOT, env, encoding: 'utf8' },
    );
    const missing = spawnSync(tsx, ['cli/main.ts', 'extract', 'test/fixtures/nope.json'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });

    // Assess
    expect(ok.status).toBe(0);
    expect(
      ok.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      expect.objectContaining({
        action: 'block',
        contact: 'john@example.com',
        reason: 'hard_bounce',
        source: 'postmark',
      }),
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('hood-blocker extract: cannot read "test/fixtures/nope.json": no such file\n');
  });
});
