import type { HttpHandlerOptions, HttpRequest, HttpResponse } from '@smithy/types';

/**
 * The AWS SDK's HTTP transport for our SQS (and DynamoDB) clients, on Node's built-in `fetch` — the same
 * HTTP stack (undici, shipped with Node) the Hood client uses. The SDK's default Node handler loads
 * `node:http`/`node:https` and its own agent besides; a consumer's cold start then paid for two HTTP stacks
 * where one does: the first Hood call loads undici anyway. The SDK accepts any object with this shape as
 * `requestHandler` (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * shows the option; the contract is `HttpHandler` of @smithy/types), and collects a web `ReadableStream`
 * body itself, as it does for its own browser (`fetch`) handler.
 *
 * Connections are pooled and kept alive by undici's global dispatcher. `requestTimeoutMs` bounds a whole
 * request (connect, headers, body); without it, only the SDK's per-request `requestTimeout` and abort signal
 * apply (the default Node handler has no timeout either).
 */
export interface FetchHttpHandlerOptions {
  /** Whole-request budget in ms (connect + answer); the SDK's per-request `requestTimeout` wins when given. */
  requestTimeoutMs?: number | undefined;
}

export class FetchHttpHandler {
  readonly metadata = { handlerProtocol: 'h1' };

  constructor(private readonly options: FetchHttpHandlerOptions = {}) {}

  async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const signals: AbortSignal[] = [];
    if (options.abortSignal) signals.push(options.abortSignal as AbortSignal);
    const timeoutMs = options.requestTimeout ?? this.options.requestTimeoutMs;
    if (timeoutMs !== undefined && timeoutMs > 0) signals.push(AbortSignal.timeout(timeoutMs));
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : (request.body as RequestInit["body"]);
    const response = await fetch(requestUrl(request), {
      method: request.method,
      headers: request.headers,
      body,
      ...(body === undefined ? {} : { duplex: 'half' }),
      ...(signals.length === 0 ? {} : { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) }),
    } as RequestInit);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return {
      response: {
        statusCode: response.status,
        reason: response.statusText,
        headers,
        // An empty body (204, HEAD) is an empty stream for the SDK's collector, as with its own handlers.
        body: response.body ?? new Blob([]),
      },
    };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/** RFC 3986 escaping, as the SDK signs the query (`!'()*` escaped too; a space is `%20`, never `+`). */
const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `protocol//host:port/path?query` from the SDK's request (query values may repeat: arrays). */
export function requestUrl(request: Pick<HttpRequest, 'protocol' | 'hostname' | 'port' | 'path' | 'query' | 'username' | 'password'>): string {
  const parts: string[] = [];
  const query = request.query ?? {};
  // Keys in sorted order, as the SDK's own handlers write them.
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === null || value === undefined) parts.push(escape(key));
    else for (const v of Array.isArray(value) ? value : [value]) parts.push(`${escape(key)}=${escape(v)}`);
  }
  const auth = request.username != null || request.password != null ? `${request.username ?? ''}:${request.password ?? ''}@` : '';
  return `${request.protocol}//${auth}${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${parts.length > 0 ? `?${parts.join('&')}` : ''}`;
}
