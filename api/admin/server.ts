// The admin service: a separate server (bound to 127.0.0.1 by default) for staff, with its own
// accounts, never reachable on the public port. Every route but login (and the console's files)
// needs a session, a bearer token or the console's cookie, and a role the route admits.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../core/log.js';
import { staffForToken, type LockoutPolicy } from '../../marketplace/auth/admin-accounts.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { PaymentsPort } from '../../marketplace/payments/port.js';
import type { Scheduler } from '../../pipelines/scheduler/index.js';
import { DeadLetterCounter } from '../../pipelines/status/dead-letter-counts.js';
import { PipelineStatusReader, type PipelineSources } from '../../pipelines/status/pipeline-status.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { ApiError, unauthorized } from '../errors.js';
import { createHttpServer } from '../http-server.js';
import './admin-of.js';
import { isLoopback, localCommandActor } from './local-commands.js';
import { auditRoutes } from './routes/audit.js';
import { backupRoutes } from './routes/backups.js';
import { complaintModerationRoutes } from './routes/complaints.js';
import { consoleRoutes, isApiPath } from './routes/console.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { emailRoutes } from './routes/emails.js';
import { smsRoutes } from './routes/sms.js';
import { jobRoutes } from './routes/jobs.js';
import { reportRoutes } from './routes/reports.js';
import { refreshDashboards } from '../../reports/export/build-dashboards.js';
import { listingModerationRoutes } from './routes/listings.js';
import { listingCheckRoutes } from './routes/listing-checks.js';
import { userCheckRoutes } from './routes/user-checks.js';
import { metricsRoutes } from './routes/metrics.js';
import { orderSupportRoutes } from './routes/orders.js';
import { pipelineRoutes } from './routes/pipeline.js';
import { sessionRoutes } from './routes/session.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { userMessageRoutes } from './routes/user-messages.js';
import { userSupportRoutes } from './routes/users.js';
import { userWebhookRoutes } from './routes/webhooks.js';
import { queryHistoryRoutes, warehouseQueryRoutes } from './routes/warehouse-query.js';
import { mayCall } from './route-roles.js';
import { csrfOk, CSRF_HEADER, sessionCookie } from './staff-cookies.js';
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
  /** Where the Evidence dashboards are built (dashboardsDirOf(DATA_DIR)); its site is served at /reports. */
  dashboardsDir?: string;
  /** POST /admin/reports/rebuild runs this; default a rebuild from `warehouse`, when there is one. */
  rebuildDashboards?: () => Promise<string>;
  /** Its jobs and ledger are shown at /admin/jobs. */
  scheduler?: Scheduler;
  /** The local mailbox's folder, shown at /admin/mailbox, when the platform runs its own mail server. */
  mailboxDir?: string;
  /** Serve HTTPS and admit only clients with a certificate signed by `tls.ca`. */
  tls?: AdminTls;
  /** The secret local commands present, from loopback, on the routes that admit them. */
  localCommandSecret?: string;
  /** Failed log-ins that lock a staff account, and for how long. */
  lockout?: LockoutPolicy;
  /** Where backups are kept (BACKUP_DIR), listed and checked at /admin/backups. */
  backupDir?: string;
  /** The built staff console served at /; default api/admin/console/dist. */
  consoleDir?: string;
  /** Refunds of orders paid through the provider go through it. */
  payments?: PaymentsPort;
}

export async function buildAdminServer(options: AdminServerOptions): Promise<FastifyInstance> {
  const app = createHttpServer({ log: options.log, server: 'admin', https: options.tls && httpsOptions(options.tls) });
  app.decorateRequest('adminUsername', undefined);
  app.decorateRequest('staff', undefined);
  // Before validation, so a caller without a session (or the role) learns nothing about a route's input.
  app.addHook('preValidation', async (request) => {
    const access = request.routeOptions.config?.public;
    if (access === true || (access === 'local' && isLocalOrCertified(request))) return;
    const consolePath = request.routeOptions.config?.console === true;
    if (consolePath && !isApiPath(request.url)) return;
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer (\S+)$/.exec(header)?.[1];
    const local = bearer && options.localCommandSecret && request.routeOptions.config?.localCommand ? localCommandActor(request, bearer, options.localCommandSecret) : undefined;
    if (local) {
      // Local commands run the pipeline's tools (steveslist dlq): an operator's rights.
      request.adminUsername = local;
      request.staff = { role: 'operator', kind: 'local' };
    } else {
      // A bearer token wins over a cookie: a script that sends one means it.
      const token = bearer ?? sessionCookie(request);
      const holder = token ? await staffForToken(options.pool, token) : undefined;
      if (!holder || (!bearer && holder.kind !== 'cookie')) throw unauthorized();
      if (!bearer && !csrfOk(request, holder.csrfHash)) {
        throw new ApiError(403, 'csrf', `a change made with the console's cookie needs the ${CSRF_HEADER} header the log-in gave (reload the console)`, CSRF_HEADER);
      }
      request.adminUsername = holder.username;
      request.staff = { role: holder.role, kind: holder.kind, token };
    }
    // An unknown API path reaches the console's catch-all, which answers 404 to anyone logged in.
    if (!consolePath && !mayCall(request.staff.role, request)) {
      throw new ApiError(403, 'forbidden', `the ${request.staff.role} role may not ${request.method} ${request.routeOptions.url ?? request.url} (see the roles in the README)`);
    }
    request.log.info({ admin: request.adminUsername, role: request.staff.role, route: request.routeOptions.url }, 'admin request');
  });
  await app.register(sessionRoutes, { pool: options.pool, lockout: options.lockout });
  if (options.warehouse) {
    await app.register(warehouseQueryRoutes, { warehouse: options.warehouse, pool: options.pool });
    await app.register(queryHistoryRoutes, { pool: options.pool });
  }
  await app.register(listingModerationRoutes, { pool: options.pool });
  await app.register(listingCheckRoutes, { pool: options.pool });
  await app.register(userCheckRoutes, { pool: options.pool });
  await app.register(userSupportRoutes, { pool: options.pool });
  await app.register(userWebhookRoutes, { pool: options.pool });
  await app.register(userMessageRoutes, { pool: options.pool });
  await app.register(orderSupportRoutes, { pool: options.pool, payments: options.payments });
  await app.register(complaintModerationRoutes, { pool: options.pool });
  await app.register(auditRoutes, { pool: options.pool });
  await app.register(emailRoutes, { pool: options.pool, mailboxDir: options.mailboxDir });
  await app.register(smsRoutes, { pool: options.pool });
  if (options.scheduler) await app.register(jobRoutes, { pool: options.pool, scheduler: options.scheduler });
  const warehouse = options.warehouse;
  const dashboardsDir = options.dashboardsDir;
  await app.register(reportRoutes, {
    dashboardsDir, log: options.log,
    rebuild: options.rebuildDashboards ?? (warehouse && dashboardsDir !== undefined ? () => refreshDashboards({ warehouse, log: options.log, dashboardsDir }) : undefined),
  });
  const deadLetters = options.pipeline && new DeadLetterCounter(options.pipeline.bus, options.pipeline.topicPrefix);
  await app.register(subscriptionRoutes, {
    pool: options.pool, log: options.log, warehouse: options.warehouse,
    deadLetters: deadLetters && (async () => (await deadLetters.count()).reduce((sum, topic) => sum + topic.count, 0)),
  });
  if (options.pipeline) {
    const status = new PipelineStatusReader(options.pipeline, options.pool);
    await app.register(pipelineRoutes, { status });
    await app.register(metricsRoutes, { status });
    await app.register(deadLetterRoutes, { pool: options.pool, bus: options.pipeline.bus, topicPrefix: options.pipeline.topicPrefix });
  }
  if (options.backupDir) await app.register(backupRoutes, { backupDir: options.backupDir, log: options.log });
  await app.register(consoleRoutes, { distDir: options.consoleDir });
  return app;
}
