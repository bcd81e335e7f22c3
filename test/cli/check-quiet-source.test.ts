import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as check, readSourceLastSeen } from '../../cli/check.js';
import { awsStandInEnv, startAwsStandIn } from '../../dev/aws-standin.js';
import { type LocalQueues, queuesForState, startLocalQueues } from '../../dev/emulator.js';
import { parseExpectedSources, sourceRecorder, sourceVerdicts } from '../../dev/source-activity.js';
import { writeLocalState } from '../../dev/state.js';
import { tempDir } from './helpers.js';

// `check --local` shows an expected source going quiet (EXPECTED_SOURCES of `npm start`), from the last webhook
// request the local pipeline recorded per provider. Virtual time: `now` is passed in.

const PROVIDERS = ['generic', 'sns', 'twilio'];
const START = Date.UTC(2026, 11, 6, 1, 0, 0);
const MIN = 60_000;

describe('EXPECTED_SOURCES', () => {
  it('reads minutes, hours and bare hours', () => {
    expect(parseExpectedSources('generic:5m, sns:0.5h,twilio:24', PROVIDERS)).toEqual([
      { name: 'generic', quietMs: 5 * MIN },
      { name: 'sns', quietMs: 30 * MIN },
      { name: 'twilio', quietMs: 24 * 60 * MIN },
    ]);
  });

  it.each([
    ['nosuch:5m', /unknown source "nosuch"/u],
    ['generic:0m', /above 0/u],
    ['generic:169h', /at most 168 hours/u],
    ['generic', /is not <source>/u],
  ])('refuses %s with the variable name', (text, message) => {
    expect(() => parseExpectedSources(text, PROVIDERS)).toThrow(message);
    expect(() => parseExpectedSources(text, PROVIDERS)).toThrow(/EXPECTED_SOURCES/u);
  });
});

describe('quiet verdicts', () => {
  it('is quiet once a source has been silent for its window, counting from the start when never seen', () => {
    // Prepare
    const expected = parseExpectedSources('generic:5m,sns:5m', PROVIDERS);
    const activity = { lastSeen: { generic: new Date(START + 3 * MIN).toISOString() } };

    // Act
    const at7 = sourceVerdicts(expected, activity, START, START + 7 * MIN);

    // Assess
    expect(at7.map((v) => [v.name, v.status])).toEqual([
      ['generic', 'ok'],
      ['sns', 'quiet'],
    ]);
    expect(sourceVerdicts(expected, activity, START, START + 8 * MIN)[0]?.status).toBe('quiet');
  });
});

describe('check --local', () => {
  let queues: LocalQueues;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    queues = await startLocalQueues();
    dir = tempDir();
  });

  afterEach(async () => {
    await queues.stop();
    dir.remove();
  });

  async function checkAt(nowMs: number): Promise<{ code: number; lines: string[] }> {
    let stdout = '';
    const io = {
      stdout: new Writable({
        write(chunk: Buffer | string, _e, cb) {
          stdout += chunk.toString();
          cb();
        },
      }),
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
      stdin: Readable.from(['']),
      env: {},
    };
    const code = await check(['--local', '--state-dir', dir.path], io, { now: () => nowMs });
    return { code, lines: stdout.split('\n').filter((l) => l.includes('source ')) };
  }

  it('shows an expected source going quiet after its minutes, and last-seen for the others', async () => {
    // Prepare
    writeLocalState(dir.path, {
      version: 1,
      pid: process.pid,
      startedAt: new Date(START).toISOString(),
      sqs: queuesForState(queues),
      webhookUrl: 'http://127.0.0.1:9/webhooks',
      hood: { sandbox: false, url: 'http://127.0.0.1:9/v1/hood' },
      logFile: `${dir.path}/local.log`,
      expectedSources: [{ name: 'generic', quietMs: 5 * MIN }],
    });
    let clock = START + MIN;
    const record = sourceRecorder(dir.path, () => clock);
    record('generic');
    clock = START + 2 * MIN;
    record('twilio');

    // Act
    const early = await checkAt(START + 4 * MIN);
    const late = await checkAt(START + 7 * MIN);

    // Assess
    expect(early.lines.find((l) => l.includes('source generic'))).toMatch(
      /^ok\s+source generic\s+last request 3 min ago/u,
    );
    expect(late.lines.find((l) => l.includes('source generic'))).toMatch(
      /^FAIL\s+source generic\s+quiet: no request for 6 min \(expected within 5 min/u,
    );
    expect(late.lines.find((l) => l.includes('source twilio'))).toMatch(/last request 5 min ago/u);
    expect(late.code).toBe(1);
  });
});

describe('check --stack: last request per source from CloudWatch (the AWS stand-in)', () => {
  it('reads each provider last hour with webhook requests in one GetMetricData call', async () => {
    // Prepare
    const standIn = await startAwsStandIn();
    const at = new Date(Date.UTC(2026, 11, 5, 22, 0, 0));
    standIn.lastRequest.set('sendgrid', at);

    // Act
    const seen = await readSourceLastSeen(
      'eu-west-1',
      awsStandInEnv(standIn),
      new Date(Date.UTC(2026, 11, 6, 1, 0, 0)),
    );

    // Assess
    await standIn.close();
    expect(seen).toEqual({ sendgrid: at });
    expect(standIn.calls).toEqual(['CloudWatch:GetMetricData']);
  });
});
