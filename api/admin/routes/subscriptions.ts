// Staff subscriptions (a dashboard page or a saved query mailed daily or weekly as CSV) and
// threshold alerts, at /admin/subscriptions and /admin/alerts, with "send now" and "check now".
// Analysts and admins only (route-roles.ts). Input is checked whole, after a change is merged onto
// what is stored; a problem is a 400 naming the field.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../../core/log.js';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { alertJson, createAlert, deleteAlert, getAlert, listAlerts, updateAlert } from '../../../reports/subscriptions/alert-store.js';
import { BUILT_IN_CHECKS } from '../../../reports/subscriptions/checks.js';
import { evaluateAlert } from '../../../reports/subscriptions/evaluate-alerts.js';
import { recentDeliveries } from '../../../reports/subscriptions/report-mail.js';
import { ReportInputError, type AlertInput, type SubscriptionInput } from '../../../reports/subscriptions/report-input.js';
import { dashboardPages, pageName } from '../../../reports/subscriptions/report-target.js';
import { sendSubscription } from '../../../reports/subscriptions/send-subscriptions.js';
import {
  createSubscription, deleteSubscription, getSubscription, listSubscriptions, subscriptionJson, updateSubscription, type SubscriptionChecks,
} from '../../../reports/subscriptions/subscription-store.js';
import { askClickHouse, confineAnalystQuery } from '../../../warehouse/analyst-guard.js';
import type { ClickHouseClient } from '../../../warehouse/client.js';
import { ApiError, badRequest } from '../../errors.js';
import { adminOf } from '../admin-of.js';
import { idParams } from '../schemas.js';

export interface SubscriptionRouteOptions {
  pool: Pool;
  log: Logger;
  /** Without it, saved queries are stored unchecked and "send now" / "check now" answer 503. */
  warehouse?: ClickHouseClient;
  pagesDir?: string;
  dashboardsUrl?: string;
  /** Letters in the bus's dead-letter topics, for the dead_letters_above_zero check. */
  deadLetters?: () => Promise<number>;
}

// Shapes only: types and sizes are checked with the rest in reports/subscriptions/report-input.ts,
// whose messages say what to do; unknown fields are refused here.
const subscriptionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: {}, email: {}, page: {}, sql: {}, cadence: {}, hour: {}, weekday: {}, timezone: {}, enabled: {},
  },
} as const;

const alertBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name: {}, check: {}, sql: {}, comparison: {}, threshold: {}, recipients: {}, enabled: {} },
} as const;

async function asBadRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReportInputError) throw badRequest(error.field, error.reason);
    throw error;
  }
}

export const subscriptionRoutes: FastifyPluginAsync<SubscriptionRouteOptions> = async (app, options) => {
  const { pool } = options;
  const log = options.log.child({ role: 'subscriptions' });
  const warehouse = (): ClickHouseClient => {
    if (!options.warehouse) throw new ApiError(503, 'unavailable', 'this admin service has no warehouse: run it with the platform (steveslist up) or set CLICKHOUSE_URL');
    return options.warehouse;
  };
  // A saved query is proved to pass the analyst guard before it is stored, so a typo is a 400 now
  // rather than a failed delivery tomorrow morning.
  const checkSql = options.warehouse ? async (sql: string) => {
    await confineAnalystQuery(askClickHouse(options.warehouse!), sql, { formatClause: false });
  } : undefined;
  const checks: SubscriptionChecks = { pages: () => dashboardPages(options.pagesDir), pageName, checkSql };

  app.get('/admin/subscriptions', async () => ({ data: (await listSubscriptions(pool)).map(subscriptionJson), pages: dashboardPages(options.pagesDir) }));

  app.post<{ Body: SubscriptionInput }>('/admin/subscriptions', { schema: { body: subscriptionBody } }, async (request, reply) => {
    const created = await asBadRequest(() => createSubscription(pool, adminOf(request), request.body, checks));
    return reply.code(201).send(subscriptionJson(created));
  });

  app.get<{ Params: { id: number } }>('/admin/subscriptions/:id', { schema: { params: idParams } }, async (request) => ({
    ...subscriptionJson(await getSubscription(pool, request.params.id)),
    deliveries: await recentDeliveries(pool, { subscriptionId: request.params.id }),
  }));

  app.patch<{ Params: { id: number }; Body: SubscriptionInput }>('/admin/subscriptions/:id', { schema: { params: idParams, body: subscriptionBody } }, async (request) =>
    subscriptionJson(await asBadRequest(() => updateSubscription(pool, request.params.id, request.body, checks, adminOf(request)))));

  app.delete<{ Params: { id: number } }>('/admin/subscriptions/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteSubscription(pool, request.params.id, adminOf(request));
    return reply.code(204).send();
  });

  // Send now: the result as it is now, mailed whatever the schedule (and recorded as manual); an
  // empty result mails nothing here too.
  app.post<{ Params: { id: number } }>('/admin/subscriptions/:id/send', { schema: { params: idParams } }, async (request) => {
    const subscription = await getSubscription(pool, request.params.id);
    const sent = await sendSubscription({ pool, warehouse: warehouse(), log, pagesDir: options.pagesDir, dashboardsUrl: options.dashboardsUrl }, subscription, new Date(), 'manual');
    // Data mailed on demand, whoever's subscription it is: who asked, and where it went.
    await recordAudit(pool, { admin: adminOf(request), action: 'subscription.send', targetType: 'subscription', targetId: subscription.id, details: { name: subscription.name, email: subscription.email, outcome: sent } });
    return sent;
  });

  app.get('/admin/alerts', async () => ({
    data: (await listAlerts(pool)).map(alertJson),
    checks: Object.entries(BUILT_IN_CHECKS).map(([name, check]) => ({ name, description: check.description, comparison: check.comparison, threshold: check.threshold })),
  }));

  app.post<{ Body: AlertInput }>('/admin/alerts', { schema: { body: alertBody } }, async (request, reply) => {
    const created = await asBadRequest(() => createAlert(pool, adminOf(request), request.body, checkSql));
    return reply.code(201).send(alertJson(created));
  });

  app.get<{ Params: { id: number } }>('/admin/alerts/:id', { schema: { params: idParams } }, async (request) => ({
    ...alertJson(await getAlert(pool, request.params.id)),
    deliveries: await recentDeliveries(pool, { alertId: request.params.id }),
  }));

  app.patch<{ Params: { id: number }; Body: AlertInput }>('/admin/alerts/:id', { schema: { params: idParams, body: alertBody } }, async (request) =>
    alertJson(await asBadRequest(() => updateAlert(pool, request.params.id, request.body, checkSql, adminOf(request)))));

  app.delete<{ Params: { id: number } }>('/admin/alerts/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteAlert(pool, request.params.id, adminOf(request));
    return reply.code(204).send();
  });

  // Check now: evaluated as the job would, so a breach found here mails (once) like any other.
  app.post<{ Params: { id: number } }>('/admin/alerts/:id/check', { schema: { params: idParams } }, async (request) => {
    const alert = await getAlert(pool, request.params.id);
    const checked = await evaluateAlert({ pool, warehouse: warehouse(), log, deadLetters: options.deadLetters }, alert, new Date(), 'manual');
    await recordAudit(pool, { admin: adminOf(request), action: 'alert.check', targetType: 'alert', targetId: alert.id, details: { name: alert.name, outcome: checked } });
    return checked;
  });
};
