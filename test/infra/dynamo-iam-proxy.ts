import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dynamoRequest, isAllowed, type Request, type Statement, type Template } from './iam-eval.js';

/**
 * DynamoDB as a function's role sees it: an HTTP proxy in front of dynalite that evaluates every API call
 * against the role's statements (./iam-eval.ts) and answers a denied one as DynamoDB does, 400
 * AccessDeniedException, without forwarding it. Code under test talks to it through
 * AWS_ENDPOINT_URL_DYNAMODB, so whatever path a request takes inside the code, IAM sees it.
 */
export interface DynamoIamProxy {
  endpoint: string;
  /** Every request the code made, and IAM's answer. */
  readonly requests: ReadonlyArray<Request & { allowed: boolean }>;
  denied(): Array<Request & { allowed: boolean }>;
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startDynamoIamProxy(
  target: string,
  template: Template,
  statements: readonly Statement[],
): Promise<DynamoIamProxy> {
  const requests: Array<Request & { allowed: boolean }> = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    void body(req).then((raw) => {
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const asked = dynamoRequest(operation, JSON.parse(raw.toString('utf8') || '{}') as Record<string, any>);
      const allowed = isAllowed(template, statements, asked);
      requests.push({ ...asked, allowed });
      if (!allowed) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazon.coral.service#AccessDeniedException',
            Message: `User is not authorized to perform: ${asked.action} on resource: ${asked.resource}`,
          }),
        );
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      forward.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    denied: () => requests.filter((r) => !r.allowed),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
