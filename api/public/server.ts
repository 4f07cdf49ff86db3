// The public HTTP server. It only composes route plugins; each plugin owns its schemas.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { portInUse } from '../../core/ports.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { installErrorHandler } from '../errors.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/search.js';

export interface PublicServerOptions {
  pool: Pool;
  log: Logger;
  search?: SearchService;
}

export async function buildPublicServer(options: PublicServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log.child({ server: 'public' }) as FastifyBaseLogger,
    // Unknown parameters are an error the caller should hear about, not something to drop.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false } },
  });
  installErrorHandler(app);
  await app.register(healthRoutes, { pool: options.pool, startedAt: Date.now() });
  if (options.search) await app.register(searchRoutes, { search: options.search });
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
