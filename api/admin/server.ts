// The admin service: a separate server (bound to 127.0.0.1 by default) for staff, with its own
// accounts, never reachable on the public port. Every route but login needs a session token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../core/log.js';
import { adminForToken } from '../../marketplace/auth/admin-accounts.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { Scheduler } from '../../pipelines/scheduler/index.js';
import { PipelineStatusReader, type PipelineSources } from '../../pipelines/status/pipeline-status.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { unauthorized } from '../errors.js';
import { createHttpServer } from '../http-server.js';
import './admin-of.js';
import { isLoopback, localCommandActor } from './local-commands.js';
import { auditRoutes } from './routes/audit.js';
import { complaintModerationRoutes } from './routes/complaints.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { emailRoutes } from './routes/emails.js';
import { jobRoutes } from './routes/jobs.js';
import { reportRoutes } from './routes/reports.js';
import { listingModerationRoutes } from './routes/listings.js';
import { metricsRoutes } from './routes/metrics.js';
import { orderSupportRoutes } from './routes/orders.js';
import { pipelineRoutes } from './routes/pipeline.js';
import { sessionRoutes } from './routes/session.js';
import { userSupportRoutes } from './routes/users.js';
import { warehouseQueryRoutes } from './routes/warehouse-query.js';
import { httpsOptions, type AdminTls } from './tls.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route needs no admin session: `true` for anyone (logging in), `'local'` for clients on
     * loopback or with a verified client certificate (a metrics scraper cannot log in).
     */
    public?: boolean | 'local';
    /** Local commands may call the route with the secret the platform gave them (see local-commands.ts). */
    localCommand?: boolean;
  }
}

/** Loopback peers and peers whose client certificate the TLS layer verified. */
function isLocalOrCertified(request: FastifyRequest): boolean {
  const socket = request.raw.socket as Partial<TLSSocket>;
  return (socket.encrypted && socket.authorized) || isLoopback(request);
}

export interface AdminServerOptions {
  pool: Pool;
  log: Logger;
  warehouse?: ClickHouseClient;
  /** What GET /admin/pipeline and GET /metrics report on; without it those routes are absent. */
  pipeline?: PipelineSources;
  /** The built Evidence dashboards served at /reports; default reports/build. */
  reportsDir?: string;
  /** Its jobs and ledger are shown at /admin/jobs. */
  scheduler?: Scheduler;
  /** The local mailbox's folder, shown at /admin/mailbox, when the platform runs its own mail server. */
  mailboxDir?: string;
  /** Serve HTTPS and admit only clients with a certificate signed by `tls.ca`. */
  tls?: AdminTls;
  /** The secret local commands present, from loopback, on the routes that admit them. */
  localCommandSecret?: string;
}

export async function buildAdminServer(options: AdminServerOptions): Promise<FastifyInstance> {
  const app = createHttpServer({ log: options.log, server: 'admin', https: options.tls && httpsOptions(options.tls) });
  app.decorateRequest('adminUsername', undefined);
  // Before validation, so a caller without a session learns nothing about a route's input.
  app.addHook('preValidation', async (request) => {
    const access = request.routeOptions.config?.public;
    if (access === true || (access === 'local' && isLocalOrCertified(request))) return;
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const local = token && options.localCommandSecret && request.routeOptions.config?.localCommand ? localCommandActor(request, token, options.localCommandSecret) : undefined;
    const admin = local ?? (token ? await adminForToken(options.pool, token) : undefined);
    if (!admin) throw unauthorized();
    request.adminUsername = admin;
    request.log.info({ admin, route: request.routeOptions.url }, 'admin request');
  });
  await app.register(sessionRoutes, { pool: options.pool });
  if (options.warehouse) await app.register(warehouseQueryRoutes, { warehouse: options.warehouse });
  await app.register(listingModerationRoutes, { pool: options.pool });
  await app.register(userSupportRoutes, { pool: options.pool });
  await app.register(orderSupportRoutes, { pool: options.pool });
  await app.register(complaintModerationRoutes, { pool: options.pool });
  await app.register(auditRoutes, { pool: options.pool });
  await app.register(emailRoutes, { pool: options.pool, mailboxDir: options.mailboxDir });
  if (options.scheduler) await app.register(jobRoutes, { pool: options.pool, scheduler: options.scheduler });
  await app.register(reportRoutes, { buildDir: options.reportsDir });
  if (options.pipeline) {
    const status = new PipelineStatusReader(options.pipeline, options.pool);
    await app.register(pipelineRoutes, { status });
    await app.register(metricsRoutes, { status });
    await app.register(deadLetterRoutes, { pool: options.pool, bus: options.pipeline.bus, topicPrefix: options.pipeline.topicPrefix });
  }
  return app;
}
