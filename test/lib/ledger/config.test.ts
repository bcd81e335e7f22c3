import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadLedgerConfig, parseSoftBouncePolicy } from '../../../lib/config.js';
import { normaliseContact } from '../../../lib/contact.js';
import { LedgerKeys, storableEvent } from '../../../lib/ledger/keys.js';

describe('ledger configuration', () => {
  it('uses the documented defaults and no table when nothing is set', () => {
    // Act
    const config = loadLedgerConfig({});
    // Assess
    expect(config).toMatchObject({
      table: undefined,
      hashKey: undefined,
      blockedDays: 30,
      historyDays: 400,
      softBounce: undefined,
    });
  });

  it('refuses a table without a hash key, naming LEDGER_HASH_KEY', () => {
    // Act
    const load = () => loadLedgerConfig({ LEDGER_TABLE: 'hood-blocker-ledger' });
    // Assess
    expect(load).toThrow(/LEDGER_HASH_KEY/u);
  });

  it('takes a Secrets Manager secret instead of a key', () => {
    // Act
    const config = loadLedgerConfig({
      LEDGER_TABLE: 'tbl',
      LEDGER_HASH_KEY_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k',
    });
    // Assess
    expect(config.hashKey).toEqual({
      kind: 'secret',
      secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k',
    });
  });

  it('refuses a short hash key without echoing it', () => {
    // Act
    const load = () => loadLedgerConfig({ LEDGER_HASH_KEY: 'short-secret' });
    // Assess
    expect(load).toThrow(/LEDGER_HASH_KEY/u);
    expect(load).not.toThrow(/short-secret/u);
  });

  it('uses dummy credentials only for a loopback DynamoDB endpoint', () => {
    // Act
    const local = loadLedgerConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' });
    const remote = loadLedgerConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'https://dynamodb.eu-west-1.amazonaws.com' });
    // Assess
    expect(local.localCredentials).toEqual({ accessKeyId: 'local', secretAccessKey: 'local' });
    expect(remote.localCredentials).toBeUndefined();
  });

  it.each([
    ['3/30d', 3, 30 * 86_400_000],
    ['2/12h', 2, 12 * 3_600_000],
    [' 5 / 90m ', 5, 90 * 60_000],
  ])('parses SOFT_BOUNCE_POLICY %s', (spec, count, periodMs) => {
    // Act
    const policy = parseSoftBouncePolicy(spec);
    // Assess
    expect(policy).toMatchObject({ count, periodMs });
  });

  it.each(['3', '3/30', '0/30d', 'three/30d', '3/30w', '3/0d'])('refuses SOFT_BOUNCE_POLICY %s', (spec) => {
    // Act
    const parse = () => parseSoftBouncePolicy(spec);
    // Assess
    expect(parse).toThrow(/SOFT_BOUNCE_POLICY/u);
  });
});

describe('ledger keys and stored events (properties)', () => {
  const contact = fc.oneof(
    fc.emailAddress().map((e) => e.toLowerCase()),
    fc.integer({ min: 10_000_000, max: 999_999_999_999 }).map((n) => `+${n}`),
  );

  it('no contact appears in its key or in a stored event, whatever the event id quotes', () => {
    fc.assert(
      fc.property(contact, fc.string(), fc.string(), fc.string({ minLength: 22 }), (c, before, after, key) => {
        const keys = new LedgerKeys(key);
        const event = { at: 'x', source: 's', reason: 'r', outcome: 'o', eventId: `${before}${c}${after}` };
        const stored = JSON.stringify({ pk: keys.contact(c), event: storableEvent(keys, c, event, 0) });
        // A contact inside the random padding itself could only come from that padding, not from the contact.
        return (before + after).includes(c) || !stored.includes(c);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives different contacts different keys, and the same contact the same key', () => {
    fc.assert(
      fc.property(contact, contact, (a, b) => {
        const keys = new LedgerKeys('property-test-key-0123456789');
        // One key per canonical form (lib/contact.ts), whatever form the caller passes.
        const canonical = (c: string) => {
          const n = normaliseContact(c);
          return n.ok ? n.contact : c;
        };
        return (
          (keys.contact(a) === keys.contact(b)) === (canonical(a) === canonical(b)) &&
          keys.contact(a) === new LedgerKeys('property-test-key-0123456789').contact(a)
        );
      }),
      { numRuns: 2000 },
    );
  });
});
