import { Writable } from 'node:stream';
import { signRequest } from '../../cli/send-test.js';
import { PUBLIC_URL } from '../lib/webhook/harness.js';

/**
 * `hood-blocker send-test`'s signer (cli/send-test.ts `signRequest`, which hands providers with their own
 * `webhook.sign` to it): the interop tests' "our signer", whose output the providers' SDKs must accept.
 */
export interface OurSigned {
  body: string;
  headers: Record<string, string>;
}

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

export function sendTestSign(
  provider: 'resend' | 'sendgrid' | 'vonage',
  payload: string,
  env: Record<string, string>,
  nowMs: number,
  sendgridKeyFile = '/nonexistent/sendgrid-test-key.pem',
): OurSigned {
  const io = { stdout: sink(), stderr: sink(), stdin: process.stdin, env };
  const url = `${PUBLIC_URL}/webhooks/${provider}`;
  const signed = signRequest({
    provider,
    url,
    payload,
    env,
    now: nowMs,
    keyFile: sendgridKeyFile,
    io,
    json: false,
    generatedToken: undefined,
  });
  return { body: signed.body, headers: signed.headers };
}
