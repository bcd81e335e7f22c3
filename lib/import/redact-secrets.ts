/**
 * Removing credentials from text an API sends back (error bodies often echo the request, headers
 * included) before it reaches an error message or a log. A credential is rarely echoed as it was given:
 * `Authorization: Basic base64("api:" + key)` (Mailgun), a base64 dump of the whole request, a URL- or
 * JSON-escaped copy. So every secret is removed in each spelling an echo can take: as is, URL-encoded
 * (either hex case, `+` for a space), JSON-escaped, hex, and base64 (standard or URL alphabet, padded or
 * not) of the secret, of `api:secret`, `secret:`, `user:secret` for the request's own user, and of the
 * secret at any byte offset inside a longer base64 text (below).
 */

const REDACTED = '[redacted]';
/** Shorter derived values (a Basic user such as "api", an empty token) are not secrets worth a rule. */
const MIN_DERIVED_LENGTH = 8;
/** A base64 "core" shorter than this could match ordinary text. */
const MIN_CORE_LENGTH = 8;
/** Headers, query parameters and JSON fields that carry a credential, by name. */
const CREDENTIAL_NAME_RE = /auth|key|token|secret|passw|signature|session|cookie|credential/iu;

const toUrlAlphabet = (b64: string) => b64.replace(/\+/gu, '-').replace(/\//gu, '_');

/** Padded and unpadded, standard and URL alphabet. */
function base64Spellings(bytes: Buffer): string[] {
  const padded = bytes.toString('base64');
  const bare = padded.replace(/=+$/u, '');
  return [padded, bare, toUrlAlphabet(padded), toUrlAlphabet(bare)];
}

/**
 * The characters of base64(prefix + secret + suffix) that depend on the secret's bytes alone, for each of
 * the three alignments a secret can have inside a longer text (an encoded request, `user:secret`): base64
 * turns 3 bytes into 4 characters, so after `offset` bytes of unknown prefix the secret's own bits begin
 * at character ceil(8·offset / 6) and fill whole characters until floor(8·(offset + n) / 6).
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (core.length >= MIN_CORE_LENGTH) cores.push(core, toUrlAlphabet(core));
  }
  return cores;
}

function percentEncodings(secret: string): string[] {
  const upper = encodeURIComponent(secret);
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  const lower = (s: string) => s.replace(/%[0-9A-F]{2}/gu, (m) => m.toLowerCase());
  return [upper, lower(upper), form, lower(form)];
}

/** Every spelling of one secret an echo may contain; `users`: Basic-auth users seen with it. */
export function secretSpellings(secret: string, users: readonly string[] = []): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const json = JSON.stringify(secret).slice(1, -1);
  const hex = bytes.toString('hex');
  const pairs = ['api', ...users].map((user) => `${user}:${secret}`).concat(`${secret}:`);
  return [
    secret,
    ...percentEncodings(secret),
    json,
    json.replace(/\//gu, '\\/'),
    hex,
    hex.toUpperCase(),
    ...base64Spellings(bytes),
    ...pairs.flatMap((pair) => base64Spellings(Buffer.from(pair, 'utf8'))),
    ...base64Cores(bytes),
  ];
}

interface Credential {
  secret: string;
  user?: string;
}

/** `Basic <base64 user:pass>` → user and pass; `<scheme> <token>` → token; a bare value → itself. */
function fromAuthorization(value: string): Credential[] {
  const found: Credential[] = [{ secret: value.trim() }];
  const m = /^\s*(\S+)\s+(\S+)\s*$/u.exec(value);
  if (m === null) return found;
  found.push({ secret: m[2]! });
  if (m[1]!.toLowerCase() === 'basic') {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0)
      found.push(
        { secret: decoded, user: decoded.slice(0, colon) },
        { secret: decoded.slice(colon + 1), user: decoded.slice(0, colon) },
      );
  }
  return found;
}

/**
 * The credentials a request itself carries: its Authorization-like headers, any header, query parameter
 * or top-level JSON field named like a credential, and a password in the URL.
 */
export function requestCredentials(
  url: string,
  headers: Readonly<Record<string, string>> = {},
  body?: string,
): Credential[] {
  const found: Credential[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (/^(proxy-)?authorization$/iu.test(name)) found.push(...fromAuthorization(value));
    else if (CREDENTIAL_NAME_RE.test(name)) found.push({ secret: value });
  }
  try {
    const u = new URL(url);
    for (const [name, value] of u.searchParams) if (CREDENTIAL_NAME_RE.test(name)) found.push({ secret: value });
    if (u.password !== '') found.push({ secret: decodeURIComponent(u.password), user: decodeURIComponent(u.username) });
  } catch {
    // Not a URL: nothing to read from it.
  }
  if (body?.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [name, value] of Object.entries(parsed)) {
          if (typeof value === 'string' && CREDENTIAL_NAME_RE.test(name)) found.push({ secret: value });
        }
      }
    } catch {
      // Not JSON: nothing to read from it.
    }
  }
  return found.filter((c) => c.secret.length >= MIN_DERIVED_LENGTH);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/**
 * A function that replaces every spelling of every given secret with "[redacted]". `secrets`: values
 * named by the caller (any length); `credentials`: values read from the request.
 */
export function createRedactor(
  secrets: readonly string[],
  credentials: readonly Credential[] = [],
): (text: string) => string {
  const users = credentials.flatMap((c) => (c.user === undefined || c.user === '' ? [] : [c.user]));
  const spellings = new Set<string>();
  for (const secret of [...secrets, ...credentials.map((c) => c.secret)]) {
    if (secret.length === 0) continue;
    // A very short secret is removed as given only: its encodings would match ordinary text.
    const all = secret.length < MIN_DERIVED_LENGTH ? [secret] : secretSpellings(secret, users);
    for (const spelling of all) if (spelling.length > 0) spellings.add(spelling);
  }
  if (spellings.size === 0) return (text) => text;
  // Longest first: where two spellings start at the same place, the whole of the longer one goes.
  const pattern = new RegExp(
    [...spellings]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'gu',
  );
  return (text) => text.replace(pattern, REDACTED);
}
