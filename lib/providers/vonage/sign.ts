import { createHash, createHmac, randomUUID } from 'node:crypto';
import { JSON_CONTENT, sampleObject, sampleSeconds } from '../shared/sample.js';
import type { SampleSigner, SampleToSign, SignedSample } from '../types.js';

const METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'];

/**
 * `send-test vonage`: SMS API signed parameters (Vonage "Signing messages"): `&name=value` for every
 * parameter sorted by name, `&` and `=` in values replaced by `_`, a fresh timestamp and nonce; md5hash
 * appends the secret, the others are HMACs. Method: VONAGE_SIGNATURE_METHOD, default sha256.
 */
function sign(sample: SampleToSign): SignedSample {
  const secret = sample.secret('VONAGE_SIGNATURE_SECRET');
  const method = (sample.setting('VONAGE_SIGNATURE_METHOD')?.trim() || 'sha256').toLowerCase();
  if (!METHODS.includes(method))
    sample.fail(`VONAGE_SIGNATURE_METHOD "${method}" is not md5hash, md5, sha1, sha256 or sha512`);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(sampleObject(sample, 'vonage')))
    if (k !== 'sig' && v !== null && typeof v !== 'object') params[k] = String(v);
  params.timestamp = sampleSeconds(sample);
  params.nonce = randomUUID();
  let signed = '';
  for (const k of Object.keys(params).sort()) signed += `&${k}=${params[k]!.replace(/[&=]/gu, '_')}`;
  const sig =
    method === 'md5hash'
      ? createHash('md5')
          .update(signed + secret.value, 'utf8')
          .digest('hex')
      : createHmac(method, secret.value).update(signed, 'utf8').digest('hex');
  return {
    body: JSON.stringify({ ...params, sig }),
    headers: { ...JSON_CONTENT },
    signedAs: `Vonage signed parameters (${method}) with ${secret.variable}`,
  };
}

export const signVonageSample: SampleSigner = Object.assign(sign, {
  help: 'signed parameters (sig) with VONAGE_SIGNATURE_SECRET, method VONAGE_SIGNATURE_METHOD\n' + '(default sha256)',
});
