import { createServer } from 'node:net';
import { EnvironmentError } from './errors.js';

/** Asks the OS for a port nobody listens on right now. Another process may still take it first. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Throws a clear error naming the setting when `host:port` is taken. */
export async function assertPortFree(host: string, port: number, setting: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(portInUse(host, port, setting));
      else if (error.code === 'EACCES') reject(new EnvironmentError(`${setting}: not allowed to listen on ${host}:${port} (ports below 1024 need root); pick a port above 1024`));
      else reject(error);
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

export function portInUse(host: string, port: number, setting: string): EnvironmentError {
  return new EnvironmentError(`${setting}: ${host}:${port} is already in use; stop what listens there or set ${setting} to another port`);
}
