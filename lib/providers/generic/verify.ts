import { fail, header, type RequestHeaders, secretEquals, VERIFIED, type VerifyResult } from '../shared/verify.js';

/**
 * `Authorization: Bearer <GENERIC_WEBHOOK_TOKEN>` (RFC 6750 §2.1) for the `generic` provider: own apps
 * posting normalised block requests. The scheme name is case-insensitive (RFC 9110 §11.1).
 */
export interface BearerVerifyInput {
  headers: RequestHeaders;
  token: string;
}

export function verifyBearer(input: BearerVerifyInput): VerifyResult {
  const authorization = header(input.headers, 'authorization');
  if (authorization === undefined) return fail('missing_credentials');
  const m = /^bearer\s+(\S+)$/iu.exec(authorization);
  if (!m) return fail('missing_credentials');
  return secretEquals(m[1]!, input.token) ? VERIFIED : fail('bad_credentials');
}
