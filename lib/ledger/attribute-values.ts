import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Writing and reading DynamoDB attribute values (reading without trusting what the item holds), one home for
 * the contact ledger (`dynamo.ts`) and the rate item (`rate-item.ts`, `rate-store.ts`).
 * Type-only SDK import: the module stays free of the SDK at run time (the rate gate loads the SDK lazily).
 */

type Item = Record<string, AttributeValue>;

/** A string attribute. */
export function textValue(value: string): AttributeValue {
  return { S: value };
}

/** A number attribute (DynamoDB carries numbers as text). */
export function numberValue(value: number): AttributeValue {
  return { N: String(value) };
}

/** A number attribute's value: undefined unless it is an `N` whose text is a finite number. */
export function numberOf(v: AttributeValue | undefined): number | undefined {
  if (v === undefined || typeof v !== 'object' || !('N' in v) || typeof v.N !== 'string') return undefined;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : undefined;
}

/** A whole number attribute within `min..max` (e.g. a counter or a time): undefined when it is anything else. */
export function wholeNumberOf(
  v: AttributeValue | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const n = numberOf(v);
  return n !== undefined && Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A string attribute's value, or undefined. */
export function textOf(v: AttributeValue | undefined): string | undefined {
  return v !== undefined && typeof v === 'object' && 'S' in v && typeof v.S === 'string' ? v.S : undefined;
}

/** A map attribute's entries, or undefined when it is not a map. */
export function mapOf(v: AttributeValue | undefined): Item | undefined {
  return v !== undefined && typeof v === 'object' && 'M' in v && v.M !== null && typeof v.M === 'object'
    ? v.M
    : undefined;
}

/**
 * A conditional write whose condition did not hold (`ConditionalCheckFailedException`). By name, not by class:
 * the error may come from another copy of the SDK (a bundle's chunk, a test's client).
 */
export function isConditionFailure(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
  );
}

/**
 * The item as it is, returned with a failed condition when the write asked for it
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html); undefined when the
 * failure carries none (no item, or a local DynamoDB that does not return it).
 */
export function conditionFailureItem(error: unknown): Item | undefined {
  if (!isConditionFailure(error)) return undefined;
  const item = (error as { Item?: unknown }).Item;
  return item !== null && typeof item === 'object' ? (item as Item) : undefined;
}
