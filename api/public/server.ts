// The public HTTP server. It only composes route plugins; each plugin owns its schemas.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { createHttpServer } from '../http-server.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/search.js';

export { listen } from '../http-server.js';

export interface PublicServerOptions {
  pool: Pool;
  log: Logger;
  search?: SearchService;
}

export async function buildPublicServer(options: PublicServerOptions): Promise<FastifyInstance> {
  // Query strings are text: numbers in them are coerced by the schemas.
  const app = createHttpServer({ log: options.log, server: 'public', coerceTypes: true });
  await app.register(healthRoutes, { pool: options.pool, startedAt: Date.now() });
  if (options.search) await app.register(searchRoutes, { search: options.search });
  return app;
}
