// The admin service: a separate server (bound to 127.0.0.1 by default) for staff, with its own
// accounts, never reachable on the public port. Every route but login needs a session token.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import { adminForToken } from '../../marketplace/auth/admin-accounts.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { unauthorized } from '../errors.js';
import { createHttpServer } from '../http-server.js';
import { sessionRoutes } from './routes/session.js';
import { warehouseQueryRoutes } from './routes/warehouse-query.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no admin session (logging in). */
    public?: boolean;
  }
}

export interface AdminServerOptions {
  pool: Pool;
  log: Logger;
  warehouse?: ClickHouseClient;
}

export async function buildAdminServer(options: AdminServerOptions): Promise<FastifyInstance> {
  const app = createHttpServer({ log: options.log, server: 'admin' });
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config.public) return;
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const admin = token ? await adminForToken(options.pool, token) : undefined;
    if (!admin) throw unauthorized();
    request.log.info({ admin, route: request.routeOptions.url }, 'admin request');
  });
  await app.register(sessionRoutes, { pool: options.pool });
  if (options.warehouse) await app.register(warehouseQueryRoutes, { warehouse: options.warehouse });
  return app;
}
