// Which staff roles may call which admin route: the one place that says it. The session check
// (server.ts) looks a route up here after the log-in check, and refuses the others with 403, so a
// role is enforced by the API and not only by what the console shows.
//
//   support    finds users and orders, refunds, resends emails, reads the SMS log and the audit trail
//   moderator  listings, complaints, warnings, suspensions (and finds users to act on)
//   analyst    the SQL workbench and the dashboards
//   operator   the pipeline, dead letters, scheduled jobs, backups
//   admin      staff accounts, and everything the others may do
//
// A route may name its roles itself in its config (`config: { roles: ['analyst'] }`); that wins
// over this table. A route neither names is for `admin` only: a new route is closed until someone
// decides who needs it.
import type { FastifyRequest } from 'fastify';
import type { StaffRole } from '../../marketplace/auth/admin-accounts.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The staff roles that may call the route (`admin` always may); see route-roles.ts. */
    roles?: readonly StaffRole[];
  }
}

const SUPPORT: readonly StaffRole[] = ['support'];
const MODERATION: readonly StaffRole[] = ['moderator'];
const PEOPLE: readonly StaffRole[] = ['support', 'moderator'];
const ANALYSIS: readonly StaffRole[] = ['analyst'];
const OPERATIONS: readonly StaffRole[] = ['operator'];
const EVERYONE: readonly StaffRole[] = ['support', 'moderator', 'analyst', 'operator'];

/**
 * `METHOD path` as the route was declared; a path ending in `*` covers every route under it.
 * Longest match wins.
 */
export const ROUTE_ROLES: Record<string, readonly StaffRole[]> = {
  // Who am I, logging out: any logged-in staff member.
  'GET /admin/session': EVERYONE,
  'DELETE /admin/session': EVERYONE,

  'GET /admin/users': PEOPLE,
  'GET /admin/users/:id': PEOPLE,
  'GET /admin/users/:id/*': PEOPLE,
  'POST /admin/users/:id/warnings': MODERATION,
  'POST /admin/users/:id/suspend': MODERATION,
  'POST /admin/users/:id/reinstate': MODERATION,

  'GET /admin/orders': PEOPLE,
  'GET /admin/orders/*': PEOPLE,
  'POST /admin/orders/:id/refund': SUPPORT,

  'GET /admin/listings': PEOPLE,
  'GET /admin/listings/*': PEOPLE,
  'POST /admin/listings/:id/remove': MODERATION,
  // The listing checks' queue: held and flagged listings, cleared or removed.
  'GET /admin/listing-checks': MODERATION,
  'POST /admin/listing-checks/*': MODERATION,
  // The spam checks' findings about accounts.
  'GET /admin/user-checks': PEOPLE,
  'POST /admin/user-checks/:id/dismiss': MODERATION,

  'GET /admin/complaints': MODERATION,
  'GET /admin/complaints/*': MODERATION,
  'POST /admin/complaints/*': MODERATION,

  'GET /admin/emails': SUPPORT,
  'GET /admin/emails/*': SUPPORT,
  'POST /admin/emails/:id/retry': SUPPORT,
  'GET /admin/mailbox': SUPPORT,
  'GET /admin/mailbox/*': SUPPORT,
  'GET /admin/sms': SUPPORT,
  'GET /admin/sms/*': SUPPORT,
  'POST /admin/users/:id/webhook-deliveries/:delivery/replay': SUPPORT,

  // Everyone reads the trail: each role sees what was done to what it looks after.
  'GET /admin/audit': EVERYONE,

  'POST /warehouse/query': ANALYSIS,
  'GET /admin/queries': ANALYSIS,
  'GET /admin/subscriptions*': ANALYSIS,
  'POST /admin/subscriptions*': ANALYSIS,
  'PUT /admin/subscriptions*': ANALYSIS,
  'PATCH /admin/subscriptions*': ANALYSIS,
  'DELETE /admin/subscriptions*': ANALYSIS,
  'GET /admin/alerts*': ANALYSIS,
  'POST /admin/alerts*': ANALYSIS,
  'PUT /admin/alerts*': ANALYSIS,
  'PATCH /admin/alerts*': ANALYSIS,
  'DELETE /admin/alerts*': ANALYSIS,
  'GET /admin/reports*': ['analyst', 'operator'],
  'POST /admin/reports*': ['analyst', 'operator'],
  'GET /reports*': ANALYSIS,

  'GET /admin/pipeline': OPERATIONS,
  'GET /admin/pipeline/*': OPERATIONS,
  'GET /metrics': OPERATIONS,
  'GET /admin/dlq/*': OPERATIONS,
  'POST /admin/dlq/*': OPERATIONS,
  'GET /admin/jobs': OPERATIONS,
  'GET /admin/jobs/*': OPERATIONS,
  'POST /admin/jobs/*': OPERATIONS,
  'GET /admin/backups': OPERATIONS,
  'GET /admin/backups/*': OPERATIONS,
  'POST /admin/backups/*': OPERATIONS,

  'GET /admin/accounts': [],
};

const ADMIN_ONLY: readonly StaffRole[] = [];

function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : pattern === key;
}

/** The roles besides `admin` that may call a route. */
export function rolesForRoute(method: string, url: string, declared?: readonly StaffRole[]): readonly StaffRole[] {
  if (declared) return declared;
  const key = `${method} ${url}`;
  let best: string | undefined;
  for (const pattern of Object.keys(ROUTE_ROLES)) {
    if (matches(pattern, key) && (best === undefined || pattern.length > best.length)) best = pattern;
  }
  return best === undefined ? ADMIN_ONLY : ROUTE_ROLES[best]!;
}

export function mayCall(role: StaffRole, request: FastifyRequest): boolean {
  if (role === 'admin') return true;
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  return rolesForRoute(method, request.routeOptions.url ?? '', request.routeOptions.config?.roles).includes(role);
}
