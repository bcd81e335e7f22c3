import { describe, expect, it } from 'vitest';
import { loadLedgerConfig } from '../../../lib/config.js';
import { createDynamoClient } from '../../../lib/ledger/client.js';

describe('createDynamoClient', () => {
  it('signs with the local credentials config.ts derives for an emulator on this machine', async () => {
    // Prepare
    const config = loadLedgerConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_REGION: 'eu-west-1' });
    // Act
    const client = createDynamoClient({
      region: config.region,
      endpoint: config.endpoint,
      localCredentials: config.localCredentials,
    });
    const credentials = await client.config.credentials();
    const region = await client.config.region();
    client.destroy();
    // Assess
    expect(credentials.accessKeyId).toBe(config.localCredentials!.accessKeyId);
    expect(region).toBe('eu-west-1');
  });

  it('keeps the per-caller attempt budget and defaults to three attempts', async () => {
    // Prepare
    const ledger = createDynamoClient({ region: 'us-east-1', maxAttempts: 2 });
    const plain = createDynamoClient({ region: 'us-east-1' });
    // Act
    const attempts = [await ledger.config.maxAttempts(), await plain.config.maxAttempts()];
    ledger.destroy();
    plain.destroy();
    // Assess
    expect(attempts).toEqual([2, 3]);
  });
});
