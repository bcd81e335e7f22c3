import { detectRecord, providerNamed, type SourceName } from '../providers/index.js';
import { isRecord } from '../providers/shared/map.js';
import type { MappingPolicy } from '../providers/types.js';
import type { Decision } from '../types.js';
import { safely } from './index.js';

/**
 * Mapping by provider name and recognising a provider by shape: the parts of mapping that read the whole
 * registry (lib/providers/index.ts, verifiers included). Apart from ./index.ts so that the consumer, which
 * maps only queue messages, imports none of it.
 */

export { isSourceName, PROVIDERS, type ProviderName, SOURCE_NAMES, type SourceName } from '../providers/index.js';

/** Map one provider payload (webhook body, already parsed from JSON or form encoding). */
export function mapProvider(source: SourceName, payload: unknown, policy: MappingPolicy): Decision[] {
  const { map } = providerNamed(source);
  return safely(source, () => map(payload, policy));
}

/**
 * Which provider produced a payload, from its shape alone (extract `--source auto`), by the registry's
 * detectors in their priority order (lib/providers/index.ts). A Lambda SQS event is not a source: callers
 * unwrap it first. Undefined when no provider matches.
 */
export function detectSource(payload: unknown): SourceName | undefined {
  if (Array.isArray(payload)) {
    const first = payload.find(isRecord);
    return first === undefined ? undefined : detectRecord(first, true);
  }
  return isRecord(payload) ? detectRecord(payload, false) : undefined;
}
