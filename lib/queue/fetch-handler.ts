import { FetchHttpHandler as SdkFetchHttpHandler } from '@smithy/fetch-http-handler';

/**
 * The AWS SDK's HTTP transport for our SQS, SSM and DynamoDB clients: the SDK's own `fetch` handler
 * (`@smithy/fetch-http-handler`, what the SDK uses where `fetch` is the platform's HTTP), on Node's built-in
 * `fetch` — the same HTTP stack (undici, shipped with Node) the Hood client uses. The SDK's default Node
 * handler loads `node:http`/`node:https` and its own agent besides; a consumer's cold start then paid for two
 * HTTP stacks where one does: the first Hood call loads undici anyway. Connections are kept alive by undici's
 * global dispatcher.
 */
export interface FetchHttpHandlerOptions {
  /** Whole-request budget in ms (connect + answer); the SDK's per-request `requestTimeout` wins when given. */
  requestTimeoutMs?: number | undefined;
}

export class FetchHttpHandler extends SdkFetchHttpHandler {
  constructor(options: FetchHttpHandlerOptions = {}) {
    super({ requestTimeout: options.requestTimeoutMs, keepAlive: true });
  }
}
