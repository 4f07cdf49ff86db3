// The public HTTP server. It only composes route plugins; each plugin owns its schemas.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { portInUse } from '../../core/ports.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import { healthRoutes } from './routes/health.js';

export interface PublicServerOptions {
  pool: Pool;
  log: Logger;
}

export async function buildPublicServer(options: PublicServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.log.child({ server: 'public' }) as FastifyBaseLogger });
  await app.register(healthRoutes, { pool: options.pool, startedAt: Date.now() });
  return app;
}

/** Listens and returns the bound address; a taken port is a one-line error naming the setting. */
export async function listen(app: FastifyInstance, host: string, port: number, setting = 'PORT'): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw portInUse(host, port, setting);
    if (code === 'EADDRNOTAVAIL') throw new EnvironmentError(`HOST: ${host} is not an address of this machine`);
    if (code === 'EACCES') throw new EnvironmentError(`${setting}: not allowed to listen on ${host}:${port} (ports below 1024 need root)`);
    throw error;
  }
}
