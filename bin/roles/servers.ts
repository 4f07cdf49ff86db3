// The HTTP roles: the public server (API v1, search, the web app) and the admin service.
import { buildAdminServer, type AdminServerOptions } from '../../api/admin/server.js';
import { loadAdminTls } from '../../api/admin/tls.js';
import { compileValidators } from '../../api/http-server.js';
import { buildPublicServer, listen } from '../../api/public/server.js';
import type { Logger } from '../../core/log.js';
import { localSecret } from '../../core/served-file.js';
import { dashboardsDirOf } from '../../reports/export/build-dashboards.js';
import { removeBusOwner, writeBusOwner } from '../../pipelines/bus/embedded/bus-owner.js';
import type { SearchService } from '../../pipelines/sinks/search/index.js';
import { smsRouteOptions } from '../../pipelines/sinks/sms/index.js';
import { paymentsFromConfig } from '../../marketplace/payments/index.js';
import { worldCities } from '../../marketplace/places/geonames-gazetteer.js';
import type { RoleContext } from './role-context.js';

/** Needs no bus: the public server reads MySQL and the search index only. */
export async function startPublicServer(ctx: Omit<RoleContext, 'bus'>, search: SearchService | undefined): Promise<string> {
  const payments = paymentsFromConfig(ctx.config.payments);
  // Said at every start: without STRIPE_SECRET_KEY an order is paid the moment it is placed.
  ctx.log.info({ payments: payments?.provider ?? 'none' }, payments ? `payments: ${payments.provider}` : 'payments: none configured (orders are paid when placed; set STRIPE_SECRET_KEY to take payments)');
  const app = await buildPublicServer({
    payments,
    pool: ctx.db.pool, log: ctx.log, search, webhooksAllowPrivate: ctx.config.webhooks.allowPrivate, roles: ctx.supervisor && (() => ctx.supervisor!.list()),
    sms: smsRouteOptions(ctx.config.sms),
    rateLimit: { perMinute: ctx.config.http.rateLimitPerMinute, authPerMinute: ctx.config.http.authRateLimitPerMinute },
    trustedProxies: ctx.config.http.trustedProxies,
  });
  ctx.closers.push(() => app.close());
  return listen(app, ctx.config.http.host, ctx.config.http.port);
}

/**
 * What the start leaves for later, begun a few seconds after the process serves, when its CPU no
 * longer shares the core with the start and the first changes streamed after a restart:
 * - the world-cities gazetteer, where listings and searches are served (in slices, never holding
 *   the event loop long), so the first new listing or search near a city does not wait seconds
 *   for it; a failure is retried at that use, and one that needs it sooner starts the load itself;
 * - the HTTP routes' validators no request has compiled yet, so a schema Ajv refuses is reported
 *   now rather than at that route's first request.
 */
export function warmAfterStart(log: Logger, options: { gazetteer: boolean } = { gazetteer: true }, afterMs = 5_000): void {
  const warm = () => {
    if (options.gazetteer) worldCities().load().catch((error: unknown) => log.warn({ err: error }, 'world-cities gazetteer not loaded yet; it is retried when a listing or search needs it'));
    compileValidators().catch((error: unknown) => log.error({ err: error }, 'an HTTP route\'s schema does not compile: its requests fail until it is fixed'));
  };
  setTimeout(warm, afterMs).unref();
}

export async function startAdminServer(ctx: RoleContext, options: Omit<AdminServerOptions, 'pool' | 'log' | 'tls' | 'localCommandSecret'>): Promise<string> {
  // While this process owns the embedded bus, local commands that need it (steveslist dlq) come through here.
  const localCommandSecret = ctx.bus.kind === 'embedded' ? localSecret() : undefined;
  const admin = await buildAdminServer({
    dashboardsDir: dashboardsDirOf(ctx.config.dataDir), payments: paymentsFromConfig(ctx.config.payments), ...options,
    pool: ctx.db.pool, log: ctx.log, tls: ctx.config.admin.tls && loadAdminTls(ctx.config.admin.tls), localCommandSecret, lockout: ctx.config.admin.lockout, backupDir: ctx.config.backup.dir,
  });
  ctx.closers.push(() => admin.close());
  const address = await listen(admin, ctx.config.admin.host, ctx.config.admin.port, 'ADMIN_PORT');
  if (localCommandSecret) {
    writeBusOwner(ctx.config.bus.dir, { pid: process.pid, admin: address, secret: localCommandSecret });
    ctx.closers.push(async () => removeBusOwner(ctx.config.bus.dir));
  }
  return address;
}
