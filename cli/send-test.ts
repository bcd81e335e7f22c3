import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STATE_DIR, ensureStateDir, type LocalState, readLocalState } from '../dev/state.js';
import { webhookOf } from '../lib/providers/index.js';
import { WEBHOOK_PROVIDERS } from '../lib/webhook/ingress.js';
import { type CliIo, parseArgs, UsageError } from './shared/command.js';
import { writeJson, writeLine } from './shared/output.js';
import { didYouMean } from './shared/suggest.js';

export const HELP = `Usage: hood-blocker send-test <provider> [payload] [options]

Signs a sample event exactly as the provider signs it, with the secret this shell has configured (the
same variables the pipeline reads), and posts it to the running pipeline, or prints the curl (--print).
A 200 means the signature, the mapping and the queue all worked; the contact then shows up in the
sandbox Hood ("npm start" prints its list URL).

Providers and what is signed (sample payloads: examples/<provider>.json, twilio: examples/twilio.form):
  sendgrid   ECDSA P-256/SHA-256 over timestamp + body (X-Twilio-Email-Event-Webhook-Signature). Only
             SendGrid holds the private key, so a local test uses a key pair generated here: start the
             pipeline with its public half (printed) as SENDGRID_WEBHOOK_PUBLIC_KEY
  twilio     HMAC-SHA1(TWILIO_AUTH_TOKEN, URL + sorted form parameters) (X-Twilio-Signature)
  mailgun    HMAC-SHA256(MAILGUN_WEBHOOK_SIGNING_KEY, timestamp + token), fresh token each time
  mandrill   HMAC-SHA1(MANDRILL_WEBHOOK_KEY, URL + sorted form parameters) (X-Mandrill-Signature)
  resend     Svix: HMAC-SHA256(RESEND_WEBHOOK_SECRET, id.timestamp.body) (svix-* headers)
  vonage     signed parameters (sig) with VONAGE_SIGNATURE_SECRET, method VONAGE_SIGNATURE_METHOD
             (default sha256)
  postmark, brevo, sparkpost
             HTTP basic auth: <PROVIDER>_WEBHOOK_BASIC_AUTH, else WEBHOOK_BASIC_AUTH (user:pass)
  generic    Authorization: Bearer GENERIC_WEBHOOK_TOKEN (else the token "npm start" generated)
  sns        AWS signs SNS messages with its own key, which nobody else can: for the local pipeline the
             sample (an SES notification) is published to its SNS topic instead (SES → SNS → SQS path)

Options:
  --url URL           the pipeline's webhook URL: a base (https://…), …/webhooks or …/webhooks/<provider>
                      (default: the local pipeline, from .hood-blocker/local.json)
  --print             print the curl command instead of sending (valid for about 5 minutes: timestamps)
  --key FILE          sendgrid: the private key (PEM) to sign with
                      (default .hood-blocker/sendgrid-test-key.pem, generated when missing)
  --state-dir DIR     where local.json is (default .hood-blocker)
  --json              one JSON object on stdout
  -h, --help          this help

Exit codes: 0 the pipeline answered 2xx (or --print) · 1 it answered something else or was unreachable · 2 usage`;

type Provider = (typeof WEBHOOK_PROVIDERS)[number];

interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** How it was signed, for people. */
  signedAs: string;
}

interface SignContext {
  provider: Provider;
  url: string;
  payload: string;
  env: CliIo['env'];
  now: number;
  sendgridKeyFile: string;
  io: CliIo;
  json: boolean;
  generatedToken: string | undefined;
}

const SENDGRID_KEY_FILE = 'sendgrid-test-key.pem';

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      print: { type: 'boolean' },
      key: { type: 'string' },
      'state-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeLine(io.stdout, HELP);
    return 0;
  }
  const [name, payloadFile, ...extra] = positionals;
  if (name === undefined) throw new UsageError(`which provider? hood-blocker send-test <${WEBHOOK_PROVIDERS.join('|')}> [payload]`);
  if (extra.length > 0) throw new UsageError('give a provider and at most one payload file');
  if (!(WEBHOOK_PROVIDERS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown provider "${name}"${didYouMean(name, WEBHOOK_PROVIDERS)}; one of: ${WEBHOOK_PROVIDERS.join(', ')}`);
  }
  const provider = name as Provider;
  const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
  const json = values.json === true;
  const payload = readPayload(provider, payloadFile);

  const local = values.url === undefined ? readLocalState(stateDir) : undefined;
  if (local !== undefined && !local.ok) throw new UsageError(`${local.message}; or pass --url URL`);
  const state = local?.ok ? local.state : undefined;

  if (provider === 'sns') return sendSns(payload, state, values.url, values.print === true, io, json);

  const url = webhookUrl(values.url ?? state!.webhookUrl, provider);
  const signed = signRequest({
    provider,
    url,
    payload,
    env: io.env,
    now: Date.now(),
    sendgridKeyFile: values.key ?? join(stateDir, SENDGRID_KEY_FILE),
    io,
    json,
    generatedToken: state?.genericWebhookToken,
  });
  if (values.print) {
    const curl = curlCommand(signed);
    if (json) writeJson(io.stdout, { provider, url: signed.url, signedAs: signed.signedAs, curl });
    else writeLine(io.stdout, curl);
    return 0;
  }
  let status: number;
  let text: string;
  try {
    const res = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body });
    status = res.status;
    text = await res.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : String(error));
    const hint = state ? ': is "npm start" still running?' : '';
    if (json) writeJson(io.stdout, { provider, url: signed.url, signedAs: signed.signedAs, error: String(cause) });
    else writeLine(io.stderr, `hood-blocker send-test: cannot reach ${signed.url} (${cause})${hint}`);
    return 1;
  }
  const ok = status >= 200 && status < 300;
  if (json) {
    writeJson(io.stdout, { provider, url: signed.url, signedAs: signed.signedAs, status, response: parseMaybeJson(text) });
  } else {
    writeLine(io.stdout, `POST ${signed.url} (${signed.signedAs}) → ${status} ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`);
    const hint = failureHint(provider, status, state !== undefined);
    if (hint) writeLine(io.stdout, hint);
    if (ok && state?.hood.listUrl) writeLine(io.stdout, `Blocked contacts so far: curl -sS '${state.hood.listUrl}' -H "Authorization: Bearer ${state.hood.token ?? ''}"`);
  }
  return ok ? 0 : 1;
}

/** `https://x` → `https://x/webhooks/p`; `…/webhooks` → `…/webhooks/p`; `…/webhooks/p` unchanged. */
export function webhookUrl(base: string, provider: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`--url "${base}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url "${base}" is not an http(s) URL`);
  const path = url.pathname.replace(/\/+$/u, '');
  if (path.endsWith(`/webhooks/${provider}`)) return `${url.origin}${path}${url.search}`;
  if (path.endsWith('/webhooks')) return `${url.origin}${path}/${provider}${url.search}`;
  return `${url.origin}${path}/webhooks/${provider}${url.search}`;
}

/** The sample in examples/, or the user's file. */
function readPayload(provider: Provider, file: string | undefined): string {
  const path = file ?? exampleFile(provider);
  try {
    return readFileSync(path, 'utf8').replace(/^\uFEFF/u, '').trim();
  } catch {
    throw new UsageError(file === undefined ? `no sample payload for ${provider} at ${path}: pass a payload file` : `cannot read ${file}`);
  }
}

function exampleFile(provider: Provider): string {
  const name = provider === 'twilio' ? 'twilio.form' : `${provider}.json`;
  // examples/ sits at the package root: next to dist/ (the built bin) and cli/ (this source).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3; i += 1) {
    const candidate = join(dir, 'examples', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return resolve('examples', name);
}

function secret(env: CliIo['env'], ...names: string[]): string {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  throw new UsageError(`${names.join(' or ')} is not set in this shell: export the same value the pipeline was started with`);
}

export function signRequest(ctx: SignContext): SignedRequest {
  const { provider, url, payload, env } = ctx;
  const seconds = String(Math.floor(ctx.now / 1000));
  const json = { 'content-type': 'application/json' };
  switch (provider) {
    case 'sendgrid': {
      // https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
      const key = sendgridKey(ctx);
      const body = compactJson(payload);
      const signature = sign('sha256', Buffer.concat([Buffer.from(seconds), Buffer.from(body)]), key).toString('base64');
      return {
        url,
        body,
        headers: { ...json, 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': seconds },
        signedAs: `ECDSA P-256 with the key in ${ctx.sendgridKeyFile}`,
      };
    }
    case 'twilio': {
      // https://www.twilio.com/docs/usage/webhooks/webhooks-security: URL + each POST parameter name and value, sorted by name.
      const token = secret(env, 'TWILIO_AUTH_TOKEN');
      const params = formParams(payload);
      const signedUrl = publicUrl(env, url, provider);
      const data = signedUrl + [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => k + v).join('');
      const signature = createHmac('sha1', token).update(data, 'utf8').digest('base64');
      return { url, body: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, signedAs: `HMAC-SHA1 of ${signedUrl} + parameters with TWILIO_AUTH_TOKEN` };
    }
    case 'mailgun': {
      // https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
      const key = secret(env, 'MAILGUN_WEBHOOK_SIGNING_KEY');
      const parsed = parseJsonObject(payload, provider);
      const eventData = 'event-data' in parsed ? parsed['event-data'] : parsed;
      const token = randomBytes(25).toString('hex');
      const signature = createHmac('sha256', key).update(seconds + token).digest('hex');
      return { url, body: JSON.stringify({ signature: { timestamp: seconds, token, signature }, 'event-data': eventData }), headers: json, signedAs: 'HMAC-SHA256 of timestamp + fresh token with MAILGUN_WEBHOOK_SIGNING_KEY' };
    }
    case 'mandrill': {
      // https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/#authenticating-webhook-requests
      const key = secret(env, 'MANDRILL_WEBHOOK_KEY');
      const events = payload.startsWith('mandrill_events=') ? (new URLSearchParams(payload).get('mandrill_events') ?? '[]') : compactJson(payload);
      const signedUrl = publicUrl(env, url, provider);
      const signature = createHmac('sha1', key).update(`${signedUrl}mandrill_events${events}`, 'utf8').digest('base64');
      return {
        url,
        body: new URLSearchParams({ mandrill_events: events }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-mandrill-signature': signature },
        signedAs: `HMAC-SHA1 of ${signedUrl} + parameters with MANDRILL_WEBHOOK_KEY`,
      };
    }
    case 'resend': {
      // https://docs.svix.com/receiving/verifying-payloads/how-manual
      const raw = secret(env, 'RESEND_WEBHOOK_SECRET');
      const key = Buffer.from(raw.replace(/^whsec_/u, ''), 'base64');
      const body = compactJson(payload);
      const id = `msg_${randomUUID().replace(/-/gu, '')}`;
      const signature = createHmac('sha256', key).update(`${id}.${seconds}.${body}`, 'utf8').digest('base64');
      return { url, body, headers: { ...json, 'svix-id': id, 'svix-timestamp': seconds, 'svix-signature': `v1,${signature}` }, signedAs: 'Svix v1 HMAC-SHA256 with RESEND_WEBHOOK_SECRET' };
    }
    case 'vonage': {
      // https://developer.vonage.com/en/getting-started/concepts/signing-messages
      const key = secret(env, 'VONAGE_SIGNATURE_SECRET');
      const method = (env.VONAGE_SIGNATURE_METHOD?.trim() || 'sha256').toLowerCase();
      if (!['md5hash', 'md5', 'sha1', 'sha256', 'sha512'].includes(method)) throw new UsageError(`VONAGE_SIGNATURE_METHOD "${method}" is not md5hash, md5, sha1, sha256 or sha512`);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(parseJsonObject(payload, provider))) if (k !== 'sig' && v !== null && typeof v !== 'object') params[k] = String(v);
      params.timestamp = seconds;
      params.nonce = randomUUID();
      let signed = '';
      for (const k of Object.keys(params).sort()) signed += `&${k}=${params[k]!.replace(/[&=]/gu, '_')}`;
      const sig = method === 'md5hash' ? createHash('md5').update(signed + key, 'utf8').digest('hex') : createHmac(method, key).update(signed, 'utf8').digest('hex');
      return { url, body: JSON.stringify({ ...params, sig }), headers: json, signedAs: `Vonage signed parameters (${method}) with VONAGE_SIGNATURE_SECRET` };
    }
    case 'postmark':
    case 'brevo':
    case 'sparkpost': {
      const variable = `${provider.toUpperCase()}_WEBHOOK_BASIC_AUTH`;
      const credentials = secret(env, variable, 'WEBHOOK_BASIC_AUTH');
      return { url, body: compactJson(payload), headers: { ...json, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }, signedAs: `basic auth from ${env[variable]?.trim() ? variable : 'WEBHOOK_BASIC_AUTH'}` };
    }
    case 'generic': {
      const token = env.GENERIC_WEBHOOK_TOKEN?.trim() || ctx.generatedToken;
      if (!token) throw new UsageError('GENERIC_WEBHOOK_TOKEN is not set in this shell (and the local pipeline did not generate one): export the token the pipeline uses');
      return { url, body: compactJson(payload), headers: { ...json, authorization: `Bearer ${token}` }, signedAs: env.GENERIC_WEBHOOK_TOKEN?.trim() ? 'Bearer GENERIC_WEBHOOK_TOKEN' : 'Bearer token generated by npm start' };
    }
    case 'sns':
      throw new UsageError('sns messages are signed by AWS: see "hood-blocker send-test --help"');
    default: {
      // A provider whose module signs its own samples (lib/providers/<name>/index.ts `webhook.sign`).
      const sign = webhookOf(provider).sign;
      if (sign === undefined) throw new UsageError(`send-test cannot sign ${provider} samples yet`);
      return { url, ...sign({ url, body: compactJson(payload), secret: (variable) => secret(env, variable), nowMs: ctx.now }) };
    }
  }
}

/**
 * SendGrid signs with its private key; the user has only the public one. A local test therefore uses a
 * key pair made here, whose public half the pipeline must be started with.
 */
function sendgridKey(ctx: SignContext) {
  const file = ctx.sendgridKeyFile;
  let generated = false;
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    ensureStateDir(dirname(file));
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    generated = true;
  }
  let key;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file} is not a PEM private key`);
  }
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
  const configured = ctx.env.SENDGRID_WEBHOOK_PUBLIC_KEY?.replace(/\s+/gu, '');
  if (generated || (configured !== undefined && configured !== publicKey && !configured.includes('BEGIN'))) {
    const lines = [
      generated ? `Generated a P-256 key pair for local SendGrid tests: ${file}` : `SENDGRID_WEBHOOK_PUBLIC_KEY in this shell is not the public half of ${file}.`,
      "SendGrid signs with a private key only SendGrid has; to test locally, start the pipeline with this key's public half:",
      `  SENDGRID_WEBHOOK_PUBLIC_KEY=${publicKey} npm start`,
      'and keep your real SendGrid public key for the deployed stack.',
    ];
    for (const line of lines) writeLine(ctx.io.stderr, line);
  }
  return key;
}

/** Twilio and Mandrill sign the URL they call: WEBHOOK_PUBLIC_URL's, when the pipeline has one. */
function publicUrl(env: CliIo['env'], url: string, provider: string): string {
  const base = env.WEBHOOK_PUBLIC_URL?.trim();
  return base ? webhookUrl(base, provider) : url;
}

function formParams(payload: string): [string, string][] {
  if (payload.startsWith('{')) return Object.entries(parseJsonObject(payload, 'twilio')).map(([k, v]) => [k, String(v)]);
  return [...new URLSearchParams(payload)];
}

function parseJsonObject(payload: string, provider: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw new UsageError(`the ${provider} payload is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`the ${provider} payload must be a JSON object`);
  return value as Record<string, unknown>;
}

/** JSON re-serialised compactly (signed bytes are exactly the bytes sent); other text as it is. */
function compactJson(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload));
  } catch {
    return payload;
  }
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function curlCommand(r: SignedRequest): string {
  const q = (s: string) => `'${s.replace(/'/gu, `'\\''`)}'`;
  const headers = Object.entries(r.headers).map(([k, v]) => ` -H ${q(`${k}: ${v}`)}`).join('');
  return `curl -sS -X POST ${q(r.url)}${headers} --data-binary ${q(r.body)}`;
}

function failureHint(provider: Provider, status: number, local: boolean): string | undefined {
  if (status === 404) return `404: the pipeline has ${provider} disabled (its secret is not set where the pipeline runs${local ? ': restart "npm start" with it exported' : ''}).`;
  if (status === 401 && provider === 'sendgrid') return '401: the pipeline checks another public key: start it with the SENDGRID_WEBHOOK_PUBLIC_KEY printed above.';
  if (status === 401) return "401: this shell's secret differs from the pipeline's (or, for twilio/mandrill, the signed URL differs: set the same WEBHOOK_PUBLIC_URL).";
  return undefined;
}

/** SNS: the local pipeline's topic, via the emulator's SNS Publish (AWS query API, as the AWS CLI sends it). */
async function sendSns(payload: string, state: LocalState | undefined, url: string | undefined, print: boolean, io: CliIo, json: boolean): Promise<number> {
  if (state === undefined) {
    throw new UsageError(
      `SNS signs with AWS's own key, so a signed SNS test cannot be made here${url ? ` for ${url}` : ''}; publish to your topic instead: aws sns publish --topic-arn <arn> --message file://examples/sns.json`,
    );
  }
  const message = compactJson(payload);
  const { endpoint, sesTopicArn, region } = state.sqs;
  if (print) {
    const command = `aws --endpoint-url ${endpoint} --region ${region} sns publish --topic-arn ${sesTopicArn} --message '${message.replace(/'/gu, `'\\''`)}'`;
    if (json) writeJson(io.stdout, { provider: 'sns', topicArn: sesTopicArn, command });
    else writeLine(io.stdout, command);
    return 0;
  }
  let status: number;
  try {
    const res = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: sesTopicArn, Message: message }).toString(),
    });
    status = res.status;
    await res.text();
  } catch (error) {
    writeLine(io.stderr, `hood-blocker send-test: cannot reach the local SNS at ${endpoint} (${error instanceof Error ? error.message : String(error)}): is "npm start" still running?`);
    return 1;
  }
  const ok = status >= 200 && status < 300;
  if (json) writeJson(io.stdout, { provider: 'sns', topicArn: sesTopicArn, status });
  else {
    writeLine(io.stdout, `Published to ${sesTopicArn} (local SNS, raw delivery to the block queue) → ${status}`);
    writeLine(io.stdout, 'SNS HTTPS subscriptions (/webhooks/sns) are signed by AWS with its private key; only a real topic can send those.');
  }
  return ok ? 0 : 1;
}
