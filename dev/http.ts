import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `npm start` listens on loopback only: the webhooks and the sandbox Hood are for this machine. */
export const HOST = '127.0.0.1';

export function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.close();
      if (error.code === 'EADDRINUSE')
        reject(
          new Error(
            `port ${port} on ${HOST} is in use: stop whatever runs there, or choose another port with --port N (or PORT=N)`,
          ),
        );
      else if (error.code === 'EACCES')
        reject(new Error(`not allowed to listen on port ${port}: choose a port above 1024 with --port N`));
      else reject(new Error(`cannot listen on ${HOST}:${port}: ${error.message}`));
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve(`http://${HOST}:${(server.address() as AddressInfo).port}`);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
