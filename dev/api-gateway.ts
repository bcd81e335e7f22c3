import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebhookLambdaHandler } from '../lib/webhook/lambda.js';
import { HOST, sendJson } from './http.js';

/** Node request → API Gateway HTTP API (v2) event → the Lambda's own handler → Node response. */
export async function serveWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  provider: string,
  handler: WebhookLambdaHandler,
  maxBodyBytes: number,
): Promise<number> {
  try {
    const body = await readLimited(req, maxBodyBytes);
    const headers: Record<string, string> = {};
    // API Gateway joins repeated headers with commas and lower-cases names; so do we.
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      headers[name] =
        headers[name] === undefined ? req.rawHeaders[i + 1]! : `${headers[name]},${req.rawHeaders[i + 1]!}`;
    }
    // This server speaks plain HTTP; without this the ingress would assume https when rebuilding the URL
    // that Twilio and Mandrill sign. A tunnel (ngrok, cloudflared) sets the header itself.
    headers['x-forwarded-proto'] ??= 'http';
    const method = req.method ?? 'GET';
    const event = {
      version: '2.0',
      routeKey: 'ANY /webhooks/{provider}',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/u, ''),
      headers,
      pathParameters: { provider: decodeURIComponent(provider) },
      body: body.toString('base64'),
      isBase64Encoded: true,
      requestContext: {
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '',
          userAgent: headers['user-agent'] ?? '',
        },
        domainName: headers.host ?? HOST,
        requestId: '',
        routeKey: 'ANY /webhooks/{provider}',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
    } as unknown as APIGatewayProxyEventV2;
    const out = await handler(event);
    const status = out.statusCode ?? 200;
    const responseHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.headers ?? {})) responseHeaders[k] = String(v);
    const text = out.body ?? '';
    res.writeHead(status, { ...responseHeaders, 'content-length': String(Buffer.byteLength(text)) });
    res.end(method === 'HEAD' ? undefined : text);
    return status;
  } catch (error) {
    if (!res.headersSent)
      sendJson(res, 500, { error: 'internal_error', detail: error instanceof Error ? error.message : String(error) });
    return 500;
  }
}

/** Reads the body, keeping at most limit+1 bytes: enough for the ingress to answer 413, never more. */
async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size <= limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}
