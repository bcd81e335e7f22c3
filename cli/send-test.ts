import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STATE_DIR, ensureStateDir, type LocalState, readLocalState } from '../dev/state.js';
import { WEBHOOK_SECRETS, webhookOf } from '../lib/providers/index.js';
import type { SampleToSign, ShellSecret } from '../lib/providers/types.js';
import { WEBHOOK_PROVIDERS } from '../lib/webhook/ingress.js';
import { type CliIo, UsageError } from './shared/command.js';
import { parseFlagsAndOperands } from './shared/parse-command.js';
import { writeJson, writeLine } from './shared/output.js';
import { stampSampleTime } from './send-test-time.js';
import { STACK_OPTIONS, stackOf } from './shared/stack.js';
import { didYouMean } from './shared/suggest.js';

/** What each provider's signer signs (its own words), or how a sample of a provider nobody else can sign goes. */
function providerLines(): string {
  const width = Math.max(...WEBHOOK_PROVIDERS.map((p) => p.length));
  return WEBHOOK_PROVIDERS.map((name) => {
    const help =
      webhookOf(name).sign?.help ??
      "signed with the provider's own key, which nobody else can use: for the local pipeline the\n" +
        'sample (an SES notification) is published to its SNS topic instead (SES → SNS → SQS path)';
    return `  ${name.padEnd(width)}  ${help.split('\n').join(`\n  ${' '.repeat(width)}  `)}`;
  }).join('\n');
}

export const HELP = `Usage: hood-blocker send-test <provider> [payload] [options]

Signs a sample event exactly as the provider signs it, with the secret this shell has configured (the
same variables the pipeline reads), and posts it to the running pipeline, or prints the curl (--print).
A 200 means the signature, the mapping and the queue all worked; the contact then shows up in the
sandbox Hood ("npm start" prints its list URL).

Providers and what is signed (sample payloads: examples/<provider>.json, or .form; the samples are stamped
with the current time, a payload file is sent as it is):
${providerLines()}

Options:
  --url URL           the pipeline's webhook URL: a base (https://…), …/webhooks or …/webhooks/<provider>
                      (default: the local pipeline, from .hood-blocker/local.json)
  --print             print the curl command instead of sending (valid for about 5 minutes: timestamps);
                      a token or password is never printed: the command names its variable ("$VAR")
  --key FILE          a provider that signs with its private key: the key (PEM) to sign with
                      (default .hood-blocker/<provider>-test-key.pem, generated when missing)
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
  /** Curl arguments that replace secret-bearing headers in a printed command (they name the variable). */
  printAs?: Record<string, string>;
  /** What a 401 most likely means. */
  refusedHint?: string;
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

/** The local test key of a provider that signs with its own private key: `<stateDir>/<provider>-test-key.pem`. */
const keyFileName = (provider: string) => `${provider}-test-key.pem`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndOperands(args, io, HELP, {
    url: { type: 'string' },
    print: { type: 'boolean' },
    key: { type: 'string' },
    'state-dir': { type: 'string' },
    json: { type: 'boolean' },
    // main.ts resolved the stack's outputs into io.env; the flags are listed so the parser accepts them.
    ...STACK_OPTIONS,
  });
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [name, payloadFile, ...extra] = positionals;
  if (name === undefined)
    throw new UsageError(`which provider? hood-blocker send-test <${WEBHOOK_PROVIDERS.join('|')}> [payload]`);
  if (extra.length > 0) throw new UsageError('give a provider and at most one payload file');
  if (!(WEBHOOK_PROVIDERS as readonly string[]).includes(name)) {
    throw new UsageError(
      `unknown provider "${name}"${didYouMean(name, WEBHOOK_PROVIDERS)}; one of: ${WEBHOOK_PROVIDERS.join(', ')}`,
    );
  }
  const provider = name as Provider;
  const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
  const json = values.json === true;
  // The bundled samples carry a fixed date: stamped with now. A payload file is the user's: sent as it is.
  const payload =
    payloadFile === undefined
      ? stampSampleTime(readPayload(provider, undefined), Date.now())
      : readPayload(provider, payloadFile);

  // --stack: the deployed webhook (the stack's WebhookBaseUrl output), signed with the secrets in this shell.
  const stack = stackOf(io.env);
  const targetUrl = values.url ?? (stack !== undefined ? io.env.WEBHOOK_BASE_URL : undefined);
  if (stack !== undefined && targetUrl === undefined) {
    throw new UsageError(`stack ${stack.stackName} has no WebhookBaseUrl output; pass --url URL`);
  }
  const fromProvider = webhookOf(provider).testFromProvider;
  if (stack !== undefined && fromProvider !== undefined) {
    writeLine(io.stdout, `${fromProvider}\nWebhook URL: ${webhookUrl(targetUrl!, provider)}`);
    return 0;
  }
  const local = targetUrl === undefined ? readLocalState(stateDir) : undefined;
  if (local !== undefined && !local.ok) throw new UsageError(`${local.message}; or pass --url URL`);
  const state = local?.ok ? local.state : undefined;

  // Only AWS can sign an SNS message: the sample goes through the local topic instead.
  if (webhookOf(provider).sign === undefined)
    return sendSns(payload, state, targetUrl, values.print === true, io, json);

  const url = webhookUrl(targetUrl ?? state!.webhookUrl, provider);
  const signed = signRequest({
    provider,
    url,
    payload,
    env: io.env,
    now: Date.now(),
    sendgridKeyFile: values.key ?? join(stateDir, keyFileName(provider)),
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
    const cause =
      (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : String(error));
    const hint = state ? ': is "npm start" still running?' : '';
    if (json) writeJson(io.stdout, { provider, url: signed.url, signedAs: signed.signedAs, error: String(cause) });
    else writeLine(io.stderr, `hood-blocker send-test: cannot reach ${signed.url} (${cause})${hint}`);
    return 1;
  }
  const ok = status >= 200 && status < 300;
  if (json) {
    writeJson(io.stdout, {
      provider,
      url: signed.url,
      signedAs: signed.signedAs,
      status,
      response: parseMaybeJson(text),
    });
  } else {
    writeLine(
      io.stdout,
      `POST ${signed.url} (${signed.signedAs}) → ${status} ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`,
    );
    const hint = failureHint(provider, status, state !== undefined, signed.refusedHint);
    if (hint) writeLine(io.stdout, hint);
    if (ok && state?.hood.listUrl)
      writeLine(
        io.stdout,
        `Blocked contacts so far: curl -sS '${state.hood.listUrl}'` +
          ` -H "Authorization: Bearer ${state.hood.token ?? ''}"`,
      );
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
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url "${base}" is not an http(s) URL`);
  const path = url.pathname.replace(/\/+$/u, '');
  if (path.endsWith(`/webhooks/${provider}`)) return `${url.origin}${path}${url.search}`;
  if (path.endsWith('/webhooks')) return `${url.origin}${path}/${provider}${url.search}`;
  return `${url.origin}${path}/webhooks/${provider}${url.search}`;
}

/** The sample in examples/, or the user's file. */
function readPayload(provider: Provider, file: string | undefined): string {
  const path = file ?? exampleFile(provider);
  try {
    return readFileSync(path, 'utf8')
      .replace(/^\uFEFF/u, '')
      .trim();
  } catch {
    throw new UsageError(
      file === undefined ? `no sample payload for ${provider} at ${path}: pass a payload file` : `cannot read ${file}`,
    );
  }
}

/** examples/<provider>.json, or .form for a provider that posts forms. */
function exampleFile(provider: Provider): string {
  const names = [`${provider}.json`, `${provider}.form`];
  // examples/ sits at the package root: next to dist/ (the built bin) and cli/ (this source).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3; i += 1) {
    for (const name of names) {
      const candidate = join(dir, 'examples', name);
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  return resolve('examples', names[0]!);
}

/** The first of `variables` set in this shell, else one `npm start` generated (printed by it already). */
function shellSecret(
  env: CliIo['env'],
  generated: Readonly<Record<string, string | undefined>>,
  variables: string[],
): ShellSecret {
  for (const variable of variables) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  for (const variable of variables) {
    const value = generated[variable];
    if (value) return { variable, value, generated: true };
  }
  throw new UsageError(
    `${variables.join(' or ')} is not set in this shell: export the same value the pipeline was started with`,
  );
}

/** The token `npm start` generated (recorded in its state file), under the variable it stands for. */
function generatedSecrets(generatedToken: string | undefined): Record<string, string | undefined> {
  const generated = WEBHOOK_SECRETS.find((spec) => spec.generatedLocally === true);
  return generated === undefined ? {} : { [generated.variable]: generatedToken };
}

/** The sample signed by the provider's own module (lib/providers/<name>/sign.ts). */
export function signRequest(ctx: SignContext): SignedRequest {
  const { provider, url, env } = ctx;
  const spec = webhookOf(provider);
  if (spec.sign === undefined)
    throw new UsageError(
      `${provider} messages are signed by the provider's own key: see "hood-blocker send-test --help"`,
    );
  const sample: SampleToSign = {
    url,
    signedUrl: publicUrl(env, url, provider),
    body: compactJson(ctx.payload),
    secret: (...variables) => shellSecret(env, generatedSecrets(ctx.generatedToken), variables),
    setting: (variable) => env[variable],
    privateKey: () => testPrivateKey(ctx),
    fail: (message) => {
      throw new UsageError(message);
    },
    nowMs: ctx.now,
  };
  return { url, ...spec.sign(sample) };
}

/**
 * A provider that signs with its private key (SendGrid): the user has only the public one. A local test
 * therefore uses a key pair made here, whose public half the pipeline must be started with (the provider's
 * own secret variable).
 */
function testPrivateKey(ctx: SignContext): { key: KeyObject; description: string } {
  const file = ctx.sendgridKeyFile;
  const variable = webhookOf(ctx.provider).secrets[0]!.variable;
  let generated = false;
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    ensureStateDir(dirname(file));
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    generated = true;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file} is not a PEM private key`);
  }
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
  const configured = ctx.env[variable]?.replace(/\s+/gu, '');
  if (generated || (configured !== undefined && configured !== publicKey && !configured.includes('BEGIN'))) {
    const lines = [
      generated
        ? `Generated a P-256 key pair for local ${ctx.provider} tests: ${file}`
        : `${variable} in this shell is not the public half of ${file}.`,
      `Only the provider holds its signing key; to test locally, start the pipeline with this key's public half:`,
      `  ${variable}=${publicKey} npm start`,
      `and keep your real ${variable} for the deployed stack.`,
    ];
    for (const line of lines) writeLine(ctx.io.stderr, line);
  }
  return { key, description: `the key in ${file}` };
}

/** Twilio and Mandrill sign the URL they call: WEBHOOK_PUBLIC_URL's, when the pipeline has one. */
function publicUrl(env: CliIo['env'], url: string, provider: string): string {
  const base = env.WEBHOOK_PUBLIC_URL?.trim();
  return base ? webhookUrl(base, provider) : url;
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

/** The request as a curl command; a header carrying a secret itself is printed as `printAs` says (its variable). */
export function curlCommand(r: SignedRequest): string {
  const q = (s: string) => `'${s.replace(/'/gu, `'\\''`)}'`;
  const headers = Object.entries(r.headers)
    .map(([k, v]) => (r.printAs?.[k] !== undefined ? ` ${r.printAs[k]}` : ` -H ${q(`${k}: ${v}`)}`))
    .join('');
  return `curl -sS -X POST ${q(r.url)}${headers} --data-binary ${q(r.body)}`;
}

function failureHint(
  provider: Provider,
  status: number,
  local: boolean,
  refusedHint: string | undefined,
): string | undefined {
  if (status === 404) {
    const restart = local ? ': restart "npm start" with it exported' : '';
    return `404: the pipeline has ${provider} disabled (its secret is not set where the pipeline runs${restart}).`;
  }
  if (status === 401) return `401: ${refusedHint ?? "this shell's secret differs from the pipeline's."}`;
  return undefined;
}

/** SNS: the local pipeline's topic, via the emulator's SNS Publish (AWS query API, as the AWS CLI sends it). */
async function sendSns(
  payload: string,
  state: LocalState | undefined,
  url: string | undefined,
  print: boolean,
  io: CliIo,
  json: boolean,
): Promise<number> {
  if (state === undefined) {
    throw new UsageError(
      `SNS signs with AWS's own key, so a signed SNS test cannot be made here${url ? ` for ${url}` : ''}; ` +
        'publish to your topic instead: aws sns publish --topic-arn <arn> --message file://examples/sns.json',
    );
  }
  const message = compactJson(payload);
  const { endpoint, sesTopicArn, region } = state.sqs;
  if (print) {
    const quoted = `'${message.replace(/'/gu, `'\\''`)}'`;
    const command =
      `aws --endpoint-url ${endpoint} --region ${region} sns publish --topic-arn ${sesTopicArn}` +
      ` --message ${quoted}`;
    if (json) writeJson(io.stdout, { provider: 'sns', topicArn: sesTopicArn, command });
    else writeLine(io.stdout, command);
    return 0;
  }
  let status: number;
  try {
    const res = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        Action: 'Publish',
        Version: '2010-03-31',
        TopicArn: sesTopicArn,
        Message: message,
      }).toString(),
    });
    status = res.status;
    await res.text();
  } catch (error) {
    writeLine(
      io.stderr,
      `hood-blocker send-test: cannot reach the local SNS at ${endpoint} ` +
        `(${error instanceof Error ? error.message : String(error)}): is "npm start" still running?`,
    );
    return 1;
  }
  const ok = status >= 200 && status < 300;
  if (json) writeJson(io.stdout, { provider: 'sns', topicArn: sesTopicArn, status });
  else {
    writeLine(io.stdout, `Published to ${sesTopicArn} (local SNS, raw delivery to the block queue) → ${status}`);
    writeLine(
      io.stdout,
      'SNS HTTPS subscriptions (/webhooks/sns) are signed by AWS with its private key; ' +
        'only a real topic can send those.',
    );
  }
  return ok ? 0 : 1;
}
