// Lambda bundles only (scripts/build.mjs aliases `@smithy/node-http-handler` here). Every SDK client the
// project builds is given lib/queue/fetch-handler.ts as its `requestHandler`; a client the SDK builds by
// itself (credential providers' STS/SSO clients) gets one here too, so that the Node handler — and with it
// `node:http`, `node:https` and their agents — is never loaded. These are the two exports the SDK's Node
// runtime configs import; a new one would fail the build ("No matching export"), never a request.
import { FetchHttpHandler } from '../../lib/queue/fetch-handler.js';

export { streamCollector } from '@smithy/core/serde';

export const NodeHttpHandler = {
  /** The SDK calls this with the client's `requestHandler` option: an instance, options, or a provider of options. */
  create(instanceOrOptions?: unknown): unknown {
    if (typeof (instanceOrOptions as { handle?: unknown } | undefined)?.handle === 'function') return instanceOrOptions;
    const options = typeof instanceOrOptions === 'object' && instanceOrOptions !== null ? (instanceOrOptions as { requestTimeout?: number }) : {};
    return new FetchHttpHandler({ requestTimeoutMs: options.requestTimeout });
  },
};
