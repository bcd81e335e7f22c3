import type { SampleToSign } from '../types.js';

/** Helpers of the `send-test` signers (lib/providers/<name>/sign.ts). */
export const JSON_CONTENT = { 'content-type': 'application/json' } as const;
export const FORM_CONTENT = { 'content-type': 'application/x-www-form-urlencoded' } as const;

/** The sample's time in whole seconds, as the signed timestamps carry it. */
export function sampleSeconds(sample: SampleToSign): string {
  return String(Math.floor(sample.nowMs / 1000));
}

/** The sample as a JSON object, or a usage error naming the provider. */
export function sampleObject(sample: SampleToSign, provider: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(sample.body);
  } catch {
    return sample.fail(`the ${provider} payload is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return sample.fail(`the ${provider} payload must be a JSON object`);
  return value as Record<string, unknown>;
}

/** A printed command's curl argument for a header whose value is the secret in `variable` after `scheme`. */
export function headerFromVariable(header: string, scheme: string, variable: string): string {
  return `-H "${header}: ${scheme} $${variable}"`;
}
