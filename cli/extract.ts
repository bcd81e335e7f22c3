import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadPolicyConfig } from '../lib/config.js';
import { buildDescription } from '../lib/description.js';
import { ConfigError } from '../lib/errors.js';
import { gateDecisions } from '../lib/policy/index.js';
import { mapAwsNative, mapQueueBody, type MappingPolicy } from '../lib/mapping/index.js';
import { detectSource, isSourceName, mapProvider, SOURCE_NAMES, type SourceName } from '../lib/mapping/provider.js';
import { isLambdaSqsEvent } from '../lib/envelopes/sqs.js';
import { isRecord, reject } from '../lib/providers/shared/map.js';
import type { Decision } from '../lib/types.js';
import { formFields } from '../lib/providers/shared/body.js';
import { type CliIo, UsageError } from './shared/command.js';
import { whyUnreadable } from './shared/read-error.js';
import { didYouMean } from './shared/suggest.js';

/**
 * `hood-blocker extract [file|-] [--source auto|<provider>]` — the mapping as a dry run (README, CLI contract):
 * the same library the handlers use, no network, no signature check, one JSON line per decision.
 * Lines are a contract users script against: block `{action,contact,reason,source,description}`,
 * ignore `{action,reason,source,detail?}`, reject `{action,reason,source,contact?,detail?}`. Contacts are
 * printed unmasked: this runs on the operator's own machine, on a payload they already hold.
 */

// Webhook bodies are small (SendGrid batches ≤ 768 KB, SQS ≤ 256 KB); a cap keeps a wrong file from eating memory.
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export function extractUsage(): string {
  return [
    'Usage: hood-blocker extract [file|-] [--source auto|<name>]',
    '',
    'Dry run of the mapping: reads one payload and prints one JSON line per decision',
    '(block, ignore or reject). No network, no signature check.',
    '',
    'The payload may be a provider webhook body (JSON or form-encoded), an SNS envelope, an SQS',
    'message body, or a whole Lambda SQS or SNS event. Without a file, or with "-", it is read from stdin.',
    'BLOCK_REASONS, SMS_OPT_OUT_KEYWORDS and NEVER_BLOCK are read from the environment; a reason outside',
    'BLOCK_REASONS prints as an ignore with that reason, a NEVER_BLOCK contact as an ignore with reason',
    'never_block, and a soft bounce (count-only) as an ignore with reason soft_bounce.',
    '',
    'Options:',
    `  -s, --source <name>  auto (default), or one of: ${SOURCE_NAMES.join(', ')}`,
    '  --json               accepted; the output already is JSON lines',
    '  -h, --help           show this help',
  ].join('\n');
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      source: { type: 'string', short: 's', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
      // Accepted like every command's --json; the output already is one JSON document per line.
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(`${extractUsage()}\n`);
    return 0;
  }
  const source = values.source;
  if (source !== 'auto' && !isSourceName(source)) {
    throw new UsageError(
      `unknown --source "${source}"${didYouMean(source, ['auto', ...SOURCE_NAMES])}; expected auto or one of: ${SOURCE_NAMES.join(', ')}`,
    );
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one input file, got ${positionals.length}`);
  const file = positionals[0];

  let policy;
  try {
    policy = loadPolicyConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }

  const text = await readInput(file, io);
  const payload = parsePayload(text);
  const decisions = gateDecisions(mapPayload(payload, source, policy), policy);
  io.stdout.write(decisions.map((d) => `${JSON.stringify(toLine(d))}\n`).join(''));
  return 0;
}

async function readInput(file: string | undefined, io: CliIo): Promise<string> {
  if (file === undefined || file === '-') {
    if ((io.stdin as { isTTY?: boolean }).isTTY === true) {
      throw new UsageError('no input: pass a file, or pipe a payload on stdin (see --help)');
    }
    return readStream(io.stdin);
  }
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read "${file}": ${whyUnreadable(error) ?? 'unreadable'}`);
  }
  if (buffer.length > MAX_INPUT_BYTES) throw new UsageError(`"${file}" is larger than ${MAX_INPUT_BYTES} bytes`);
  return buffer.toString('utf8');
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new UsageError(`stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// `key=value&key=value` with percent-encoding: what Twilio, Mandrill, Vonage and legacy Mailgun POST.
const FORM_RE = /^[^\s&=]+(=[^\s&]*)?(&[^\s&=]*(=[^\s&]*)?)*$/u;

/** JSON first; otherwise an `application/x-www-form-urlencoded` body, read as the webhook ingress reads it. */
export function parseBody(text: string): unknown {
  const body = text.replace(/^\uFEFF/u, '').trim();
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    // not JSON: maybe a form body
  }
  if (!body.includes('=') || !FORM_RE.test(body)) return undefined;
  // The ingress's own form parser, so that the dry run gives the webhook's answer (a repeated key is
  // ambiguous and left out).
  return formFields(body);
}

function parsePayload(text: string): unknown {
  if (text.replace(/^\uFEFF/u, '').trim() === '') throw new UsageError('the input is empty');
  const payload = parseBody(text);
  if (payload === undefined) throw new UsageError('the input is neither JSON nor form-encoded (key=value&…)');
  return payload;
}

function mapPayload(payload: unknown, source: 'auto' | SourceName, policy: MappingPolicy): Decision[] {
  if (isLambdaSqsEvent(payload)) {
    // Each record as the consumer would see it, or, with an explicit provider, as that provider's body.
    return payload.Records.flatMap((record) => {
      const body = record.body;
      if (typeof body !== 'string') return [reject('unrecognised_event', 'queue', 'SQS record without a string body')];
      if (source === 'auto') return mapQueueBody(body, policy);
      const parsed = parseBody(body);
      if (parsed === undefined)
        return [reject('unrecognised_event', source, 'SQS body is neither JSON nor form-encoded')];
      return mapProvider(source, parsed, policy);
    });
  }
  if (source !== 'auto') return mapProvider(source, payload, policy);
  const detected = detectSource(payload);
  if (detected !== undefined) return mapProvider(detected, payload, policy);
  const captured = unwrapCaptured(payload);
  if (captured !== undefined) return mapPayload(captured.payload, captured.source ?? 'auto', policy);
  const decisions = mapAwsNative(payload, policy);
  // Tell the operator what to do about it, not only that it failed.
  return decisions.map((d) =>
    d.action === 'reject' && d.reason === 'unrecognised_event' && d.source === 'unknown'
      ? { ...d, detail: 'no provider recognised this payload; pass --source <name>' }
      : d,
  );
}

const SOURCE_SET: ReadonlySet<string> = new Set(SOURCE_NAMES);
const WRAPPER_KEYS = ['params', 'form', 'fields', 'payload', 'body', 'data'] as const;

/**
 * A payload saved together with its request — an API Gateway or Lambda function URL event copied from a
 * log, a `{headers, body}` capture, a signature test vector `{url, params, signature}` — is unwrapped to
 * the body it carries, so it can be checked as it is. The provider comes from a `/webhooks/<provider>`
 * path when there is one. Only used when nothing recognised the payload itself.
 */
function unwrapCaptured(payload: unknown, depth = 0): { payload: unknown; source?: SourceName } | undefined {
  if (!isRecord(payload) || depth > 2) return undefined;
  const path = [payload.rawPath, payload.path, payload.url].find((v): v is string => typeof v === 'string');
  const fromPath = path === undefined ? undefined : /\/webhooks\/([a-z-]+)/u.exec(path)?.[1];
  const source = fromPath !== undefined && SOURCE_SET.has(fromPath) ? (fromPath as SourceName) : undefined;
  for (const key of WRAPPER_KEYS) {
    const inner = payload[key];
    let candidate: unknown;
    if (typeof inner === 'string' && inner.trim() !== '') {
      const text = payload.isBase64Encoded === true ? Buffer.from(inner, 'base64').toString('utf8') : inner;
      candidate = parseBody(text);
    } else if (isRecord(inner) || Array.isArray(inner)) {
      candidate = inner;
    }
    if (candidate === undefined) continue;
    if (source !== undefined || detectSource(candidate) !== undefined || isLambdaSqsEvent(candidate))
      return { payload: candidate, source };
    const deeper = unwrapCaptured(candidate, depth + 1);
    if (deeper !== undefined) return { payload: deeper.payload, source: deeper.source ?? source };
  }
  return undefined;
}

type Line =
  | { action: 'block'; contact: string; reason: string; source: string; description: string }
  | { action: 'ignore'; reason: string; source: string; detail?: string }
  | { action: 'reject'; reason: string; source: string; contact?: string; detail?: string };

function toLine(d: Decision): Line {
  switch (d.action) {
    case 'block':
      return {
        action: 'block',
        contact: d.contact,
        reason: d.reason,
        source: d.source,
        description: buildDescription(d),
      };
    case 'ignore':
      return {
        action: 'ignore',
        reason: d.reason,
        source: d.source,
        ...(d.detail !== undefined && { detail: d.detail }),
      };
    case 'reject':
      return {
        action: 'reject',
        reason: d.reason,
        source: d.source,
        ...(d.contact !== undefined && { contact: d.contact }),
        ...(d.detail !== undefined && { detail: d.detail }),
      };
  }
}
