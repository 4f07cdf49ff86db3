// A real HTTP server on 127.0.0.1 that answers each request with the next scripted step and
// records what it received: what the client's retry and error tests talk to.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Step = (response: ServerResponse, request: ReceivedRequest) => void;

export interface ScriptedServer {
  url: string;
  received: ReceivedRequest[];
  /** Replaces the script: request n gets step n; requests past the end get a 500 saying so. */
  script(...steps: Step[]): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Step {
  return (response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Step {
  return (response) => {
    response.writeHead(status, { 'content-type': 'text/html', ...headers });
    response.end(body);
  };
}

export function noContent(): Step {
  return (response) => {
    response.writeHead(204);
    response.end();
  };
}

/** Drops the connection after the whole request arrived: a write that may have landed. */
export function reset(): Step {
  return (response) => {
    response.socket?.destroy();
  };
}

/** Never answers; the client's timeout has to end it. */
export function hang(): Step {
  return () => {};
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  let steps: Step[] = [];
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: ReceivedRequest = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() };
      const step = steps[received.length] ?? json(500, { error: 'internal', message: `unscripted request ${received.length + 1}: ${seen.method} ${seen.url}` });
      received.push(seen);
      step(response, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script(...next) {
      steps = next;
      received.length = 0;
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
