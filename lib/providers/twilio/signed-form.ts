import type { Param } from './resplit.js';

/**
 * The form fields the mapper reads, carrying the parameters exactly as they were signed (sorted, repeated
 * values included), so that the re-split check (resplit.ts) looks at the very string Twilio signed. A symbol
 * property that does not enumerate: no JSON or form body can forge it, and nothing else sees it.
 */
const SIGNED_PARAMS = Symbol('twilio signed parameters');

export function withSignedParams<T extends object>(fields: T, params: readonly Param[]): T {
  Object.defineProperty(fields, SIGNED_PARAMS, { value: params, enumerable: false });
  return fields;
}

/** The signed parameters, or (a payload read from a file, with no signature) its own fields sorted by name. */
export function signedParamsOf(payload: Readonly<Record<string, unknown>>): readonly Param[] {
  const signed = (payload as { [SIGNED_PARAMS]?: readonly Param[] })[SIGNED_PARAMS];
  if (signed !== undefined) return signed;
  return Object.keys(payload)
    .sort()
    .flatMap((name): Param[] => (typeof payload[name] === 'string' ? [[name, payload[name]]] : []));
}
