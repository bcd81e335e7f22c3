import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyConfig } from '../../lib/config.js';
import { gateDecisions } from '../../lib/policy/index.js';
import { mapQueueBody } from '../../lib/mapping/index.js';
import { createWebhookHandler } from '../../lib/webhook/lambda.js';
import { recordingLogger, SECRETS, testConfig, NOW_MS } from '../lib/webhook/harness.js';
import type { OutgoingMessage } from '../../lib/queue/sqs.js';
import type { Decision } from '../../lib/types.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * Upgrade in place (issue 11 §6). A `soft_bounce` queue message is new: the consumer of the last release
 * before the ledger (commit below) rejects its `reason` as `malformed_message` and dead-letters it. So a
 * soft_bounce message must never reach an old consumer:
 *   1. the ingress queues soft bounces only when SOFT_BOUNCE_POLICY is set (below: without it, dropped);
 *   2. the upgrade deploy leaves SOFT_BOUNCE_POLICY unset; the policy is switched on by a later deploy,
 *      when no old consumer is left (docs/ledger.md "Upgrading a stack");
 *   3. the new consumer ignores (never dead-letters) a soft_bounce message, with or without a policy
 *      (test/lib/ledger/consumer-ledger.test.ts).
 */
const PRE_LEDGER_COMMIT = '2cddb27e7498ca2c03c1679e99d8c6b0035bc66a';

function hasCommit(): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${PRE_LEDGER_COMMIT}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let oldTree: string | undefined;
afterAll(() => {
  if (oldTree) rmSync(oldTree, { recursive: true, force: true });
});

const softBounce = JSON.stringify({ contact: 'jane@example.com', reason: 'soft_bounce', source: 'ses', eventId: 'm1' });

describe('upgrade in place: a soft_bounce message and the consumer before the ledger', () => {
  // Needs the repository's history (a shallow CI clone may lack the commit: then there is nothing to compare).
  it.skipIf(!hasCommit())(
    'is dead-lettered by the old consumer (malformed_message): why the order matters',
    async () => {
      // Prepare: the old sources next to today's node_modules.
      oldTree = mkdtempSync(join(tmpdir(), 'hood-blocker-old-'));
      execFileSync('sh', ['-c', `git archive ${PRE_LEDGER_COMMIT} lib | tar -x -C '${oldTree}'`]);
      symlinkSync(resolve('node_modules'), join(oldTree, 'node_modules'), 'dir');
      const old = (await import(pathToFileURL(join(oldTree, 'lib/sources/index.ts')).href)) as {
        // The gate's name and signature in that release.
        applyBlockReasons: (decisions: Decision[], blockReasons: ReadonlySet<string>) => Decision[];
        mapQueueBody: typeof mapQueueBody;
      };
      const oldPolicy = (await import(
        pathToFileURL(join(oldTree, 'lib/config.ts')).href
      )) as typeof import('../../lib/config.js');
      // Act
      const decisions = old.applyBlockReasons(
        old.mapQueueBody(softBounce, oldPolicy.loadPolicyConfig({})),
        oldPolicy.loadPolicyConfig({}).blockReasons,
      );
      // Assess
      expect(decisions).toMatchObject([{ action: 'reject', reason: 'malformed_message' }]);
    },
  );

  it('is ignored with reason soft_bounce by the new consumer’s mapping when no policy is set', () => {
    // Act
    const decisions = gateDecisions(mapQueueBody(softBounce, loadPolicyConfig({})), {
      blockReasons: loadPolicyConfig({}).blockReasons,
    });
    // Assess
    expect(decisions).toMatchObject([{ action: 'ignore', reason: 'soft_bounce' }]);
  });

  it.each([
    ['never queued by the ingress without SOFT_BOUNCE_POLICY', {}, 0],
    ['queued by the ingress, to be counted, with SOFT_BOUNCE_POLICY', { SOFT_BOUNCE_POLICY: '3/30d' }, 1],
  ])('is %s', async (_name, extraEnv, expected) => {
    // Prepare
    const queued: OutgoingMessage[] = [];
    const handler = createWebhookHandler({
      config: testConfig(extraEnv),
      sendToQueue: async (m) => void queued.push(...m),
      deadLetter: async () => {},
      now: () => NOW_MS,
      logger: recordingLogger(),
    });
    const event = {
      version: '2.0',
      rawPath: '/webhooks/generic',
      rawQueryString: '',
      headers: { authorization: `Bearer ${SECRETS.GENERIC_WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
      body: softBounce,
      isBase64Encoded: false,
      pathParameters: { provider: 'generic' },
      requestContext: { http: { method: 'POST' } },
    } as unknown as APIGatewayProxyEventV2;
    // Act
    const response = await handler(event);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(queued).toHaveLength(expected);
    if (expected > 0)
      expect(JSON.parse(queued[0]!.body)).toMatchObject({ contact: 'jane@example.com', reason: 'soft_bounce' });
  });
});
