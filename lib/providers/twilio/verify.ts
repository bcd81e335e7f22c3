import { createHash, createHmac } from 'node:crypto';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { formEntries } from '../shared/body.js';
import { fail, header, type RequestHeaders, safeEqualStrings, type VerifyFailure } from '../shared/verify.js';
import type { Param } from './resplit.js';

/**
 * Twilio request validation (X-Twilio-Signature), as twilio-node 6.3.1 `src/webhooks/webhooks.ts` does it.
 * Signature: base64(HMAC(secret, url + Σ sorted(name + value))).
 * - The secret and the HMAC: the account's Auth Token with HMAC-SHA1, unless the request carries
 *   `X-Twilio-Webhooks-Signature-Settings: key=<shared key id>,algorithm=<HMAC_SHA1|HMAC_SHA256>`: then the
 *   webhook was signed with a shared key (TWILIO_WEBHOOK_SIGNING_KEY), with the algorithm it names (HMAC_SHA1
 *   when it names none). An algorithm twilio-node does not know fails, as there.
 * - Every POST parameter is signed, including ones Twilio adds later ("parameters are subject to change"),
 *   so the list comes from the body, not from a schema. A repeated parameter contributes each distinct
 *   value, sorted, as name + value.
 * - The URL: Twilio's back end is inconsistent about the port and about escaping the query string, so the
 *   SDK tries the URL as received without and with the scheme's port, then the URL as `new URL()` writes it
 *   (`'` becomes `%27`), without and with the port, and each of those with the query string re-encoded by
 *   Node's legacy `querystring` (`+` becomes `%20`). The same list is tried here (twilioUrlCandidates).
 * - JSON bodies: Twilio appends `bodySHA256=<hex sha256(body)>` to the URL and signs the URL alone.
 */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';
export const TWILIO_SIGNATURE_SETTINGS_HEADER = 'x-twilio-webhooks-signature-settings';

export type TwilioAlgorithm = 'HMAC_SHA1' | 'HMAC_SHA256';

export interface TwilioVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  /** The full public URL Twilio called, query string included, exactly as configured in Twilio. */
  url: string;
  /** TWILIO_AUTH_TOKEN: requests without a signature-settings header. */
  authToken?: string;
  /** TWILIO_WEBHOOK_SIGNING_KEY: requests signed with a shared key (signature-settings header). */
  signingKey?: string;
}

export type TwilioVerifyResult =
  | {
      ok: true;
      /** The signed parameters in signed order (empty for a JSON body, which the URL's bodySHA256 binds). */
      params: readonly Param[];
      form: boolean;
    }
  | VerifyFailure;

/** Sorted names, each distinct value of a repeated name sorted (twilio-node `toFormUrlEncodedParam`). */
export function signedParams(entries: Iterable<readonly [string, string]>): Param[] {
  const grouped = new Map<string, Set<string>>();
  for (const [name, value] of entries) {
    const values = grouped.get(name) ?? new Set<string>();
    values.add(value);
    grouped.set(name, values);
  }
  return [...grouped.keys()]
    .sort()
    .flatMap((name) => [...grouped.get(name)!].sort().map((value): Param => [name, value]));
}

const HASHES: Readonly<Record<TwilioAlgorithm, string>> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

export function twilioSignature(
  secret: string,
  url: string,
  params: readonly Param[],
  algorithm: TwilioAlgorithm = 'HMAC_SHA1',
): string {
  let data = url;
  for (const [name, value] of params) data += name + value;
  return createHmac(HASHES[algorithm], secret).update(data, 'utf8').digest('base64');
}

/** twilio-node `getSignatureAlgorithm`: the `algorithm=` part of the settings header, HMAC_SHA1 when none. */
export function signatureAlgorithm(settings: string | undefined): string {
  for (const part of (settings ?? '').split(',')) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === 'algorithm') {
      const algorithm = part.slice(separator + 1).trim();
      if (algorithm) return algorithm;
    }
  }
  return 'HMAC_SHA1';
}

function knownAlgorithm(name: string): TwilioAlgorithm | undefined {
  const upper = name.toUpperCase();
  return upper === 'HMAC_SHA1' || upper === 'HMAC_SHA256' ? upper : undefined;
}

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

/** twilio-node `splitUrl`: string surgery, so that the path and query keep the characters Twilio signed. */
function splitUrl(url: string): UrlParts | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/iu.exec(url);
  if (!match) return undefined;
  const [prefix, scheme, authority] = match as unknown as [string, string, string];
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  // A colon only starts the port after the closing bracket of an IPv6 literal.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

function addPort(url: string): string {
  const parts = splitUrl(url);
  if (!parts || parts.port) return url;
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest;
}

function removePort(url: string): string {
  const parts = splitUrl(url);
  return parts ? parts.scheme + parts.userInfo + parts.host + parts.rest : url;
}

function withLegacyQuerystring(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1 || queryStart === url.length - 1) return url;
  return `${url.slice(0, queryStart)}?${stringifyQuery(parseQuery(url.slice(queryStart + 1)))}`;
}

/** Every URL twilio-node's `validateRequest` tries for a request received at `url`, each once. */
export function twilioUrlCandidates(url: string): string[] {
  const candidates = [removePort(url), addPort(url)];
  let normalized: string | undefined;
  try {
    normalized = new URL(url).toString();
  } catch {
    normalized = undefined;
  }
  if (normalized !== undefined) {
    const without = removePort(normalized);
    const withPort = addPort(normalized);
    candidates.push(without, withPort, withLegacyQuerystring(without), withLegacyQuerystring(withPort));
  }
  return [...new Set(candidates)];
}

function bodySha256Param(url: string): string | null {
  try {
    return new URL(url).searchParams.get('bodySHA256');
  } catch {
    return null;
  }
}

export function verifyTwilio(input: TwilioVerifyInput): TwilioVerifyResult {
  const given = header(input.headers, TWILIO_SIGNATURE_HEADER);
  if (given === undefined) return fail('missing_signature');
  const settings = header(input.headers, TWILIO_SIGNATURE_SETTINGS_HEADER);
  const algorithm = knownAlgorithm(signatureAlgorithm(settings));
  if (algorithm === undefined) return fail('unsupported_signature_version');
  const secret = settings !== undefined ? input.signingKey : input.authToken;
  if (secret === undefined) return fail('secret_not_configured');

  const bodyHash = bodySha256Param(input.url);
  let params: Param[];
  if (bodyHash !== null) {
    // The URL (and so the hash) is what Twilio signed; the hash binds the body to it.
    const actual = createHash('sha256').update(input.rawBody).digest('hex');
    if (!safeEqualStrings(bodyHash.toLowerCase(), actual)) return fail('bad_signature');
    params = [];
  } else {
    params = signedParams(formEntries(input.rawBody));
  }
  let matched = false;
  for (const candidate of twilioUrlCandidates(input.url)) {
    // No early exit: every candidate costs the same, whichever matches.
    if (safeEqualStrings(given, twilioSignature(secret, candidate, params, algorithm))) matched = true;
  }
  return matched ? { ok: true, params, form: bodyHash === null } : fail('bad_signature');
}
