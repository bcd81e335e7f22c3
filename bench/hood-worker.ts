/**
 * The Hood stand-in in its own worker thread, so its answers are not delayed by the SQS emulator's
 * work on the main thread (as the real Hood is not delayed by SQS).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startHoodSandbox } from '../dev/hood-sandbox.js';
import type { RateWindow } from '../lib/config.js';

const input = workerData as { token: string; rateLimits: RateWindow[]; latencyMs?: number; maxParallel?: number };
// `maxParallel`: the stand-in's parallel cap (past it, `429 Retry-After: -1`); default the sandbox's 10.
const hood = await startHoodSandbox({
  token: input.token,
  rateLimits: input.rateLimits,
  duplicateBehaviour: 'create',
  latencyMs: input.latencyMs ?? 0,
  maxParallel: input.maxParallel,
});
parentPort!.postMessage({ kind: 'ready', url: hood.url });
const contacts = () => hood.contacts().map((c) => ({ contact: c.contact, at: c.createdAtMs }));
parentPort!.on('message', async (m: string) => {
  if (m === 'stats') parentPort!.postMessage({ kind: 'stats', stats: hood.stats() });
  if (m === 'final-peek') parentPort!.postMessage({ kind: 'peek', stats: hood.stats(), contacts: contacts() });
  if (m === 'final') {
    parentPort!.postMessage({ kind: 'final', stats: hood.stats(), contacts: contacts() });
    await hood.close();
  }
});
