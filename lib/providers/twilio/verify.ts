import { createHash, createHmac } from 'node:crypto';
import { formEntries } from '../../webhook/body.js';
import { fail, header, type RequestHeaders, safeEqualStrings, VERIFIED, type VerifyResult } from '../shared/verify.js';

/**
 * Twilio request validation (X-Twilio-Signature), as twilio-node src/webhooks/webhooks.ts implements it
 * Signature: base64(HMAC-SHA1(authToken, url + Σ sorted(name + value))).
 * - Every POST parameter is signed, including ones Twilio adds later ("parameters are subject to change"),
 *   so the list comes from the body, not from a schema.
 * - A repeated parameter contributes each distinct value, sorted, as name + value.
 * - Twilio's back end is inconsistent about the default port, so the URL is tried as given, with `:443`/`:80`
 *   added and with it removed (the SDK does the same).
 * - JSON bodies: Twilio appends `bodySHA256=<hex sha256(body)>` to the URL and signs the URL alone.
 */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

export interface TwilioVerifyInput {
  rawBody: Buffer;
  headers: RequestHeaders;
  /** The full public URL Twilio called, query string included, exactly as configured in Twilio. */
  url: string;
  authToken: string;
}

type ParamList = ReadonlyArray<readonly [string, readonly string[]]>;

/** Group repeated parameters, sort names, and dedupe + sort values (twilio-node toFormUrlEncodedParam). */
function signedParams(rawBody: Buffer): ParamList {
  const grouped = new Map<string, Set<string>>();
  for (const [name, value] of formEntries(rawBody)) {
    const values = grouped.get(name) ?? new Set<string>();
    values.add(value);
    grouped.set(name, values);
  }
  return [...grouped.keys()].sort().map((name) => [name, [...grouped.get(name)!].sort()] as const);
}

export function twilioSignature(authToken: string, url: string, params: ParamList): string {
  let data = url;
  for (const [name, values] of params) for (const value of values) data += name + value;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

const AUTHORITY_RE = /^(https?):\/\/([^/?#]*)(.*)$/isu;

/** The URL as given, with the scheme's default port added, and with it removed (string surgery: the URL class would re-encode the path). */
export function twilioUrlVariants(url: string): string[] {
  const m = AUTHORITY_RE.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostPort = authority.slice(at + 1);
  const portMatch = /:(\d*)$/u.exec(hostPort);
  const host = portMatch && !hostPort.endsWith(']') ? hostPort.slice(0, portMatch.index) : hostPort;
  const port = portMatch && !hostPort.endsWith(']') ? portMatch[1] : undefined;
  const variants = new Set<string>([url]);
  if (port === undefined || port === '') variants.add(`${scheme}://${userinfo}${host}:${defaultPort}${rest}`);
  if (port === defaultPort) variants.add(`${scheme}://${userinfo}${host}${rest}`);
  return [...variants];
}

function bodySha256Param(url: string): string | null {
  try {
    return new URL(url).searchParams.get('bodySHA256');
  } catch {
    return null;
  }
}

export function verifyTwilio(input: TwilioVerifyInput): VerifyResult {
  const given = header(input.headers, TWILIO_SIGNATURE_HEADER);
  if (given === undefined) return fail('missing_signature');
  const bodyHash = bodySha256Param(input.url);
  let params: ParamList;
  if (bodyHash !== null) {
    // The URL (and so the hash) is what Twilio signed; the hash binds the body to it.
    const actual = createHash('sha256').update(input.rawBody).digest('hex');
    if (!safeEqualStrings(bodyHash.toLowerCase(), actual)) return fail('bad_signature');
    params = [];
  } else {
    params = signedParams(input.rawBody);
  }
  let matched = false;
  for (const candidate of twilioUrlVariants(input.url)) {
    // No early exit: every variant costs the same, whichever matches.
    if (safeEqualStrings(given, twilioSignature(input.authToken, candidate, params))) matched = true;
  }
  return matched ? VERIFIED : fail('bad_signature');
}
