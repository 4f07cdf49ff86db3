import type { FastifyPluginAsync } from 'fastify';
import type { RoleStatus } from '../../../core/role-health.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';

export interface HealthOptions {
  pool: Pool;
  startedAt: number;
  /** The roles running in this process beside the server (`up`): change capture, consumers, senders, scheduler. */
  roles?: () => RoleStatus[];
}

const checkSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    error: { type: 'string' },
    code: { type: 'string' },
    group: { type: 'string' },
    since: { type: 'string' },
    restarts: { type: 'integer' },
    failures: { type: 'integer' },
    dead_letters: { type: 'integer' },
    last_dead_letter_at: { type: 'string' },
    detail: { type: 'string' },
  },
};

const healthSchema = {
  response: {
    '2xx': {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'degraded'] },
        uptime_s: { type: 'number' },
        /** Names of the checks that are not ok, so a monitor can alert on them without walking `checks`. */
        degraded: { type: 'array', items: { type: 'string' } },
        checks: { type: 'object', additionalProperties: checkSchema },
      },
    },
  },
};

/**
 * GET /health: `status` is degraded when MySQL or any role in this process is failing, with each
 * failing check naming why and since when. The code is 503 only when MySQL is down, which this
 * server cannot serve without; a failing role leaves it serving (200, status degraded), so a load
 * balancer keeps sending traffic while a monitor alerts on the body.
 */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  app.get('/health', { schema: healthSchema, logLevel: 'warn', config: { rateLimit: false } }, async (_request, reply) => {
    let mysql: { status: string; error?: string };
    try {
      await options.pool.query('SELECT 1');
      mysql = { status: 'up' };
    } catch (error) {
      mysql = { status: 'down', error: (error as Error).message };
    }
    const roles = options.roles?.() ?? [];
    const checks: Record<string, unknown> = { mysql };
    for (const { role, ...check } of roles) checks[role] = check;
    const degraded = [...(mysql.status === 'up' ? [] : ['mysql']), ...roles.filter((r) => r.status !== 'ok').map((r) => r.role)];
    return reply.code(mysql.status === 'up' ? 200 : 503).send({
      status: degraded.length === 0 ? 'ok' : 'degraded',
      uptime_s: Math.round((Date.now() - options.startedAt) / 1000),
      degraded,
      checks,
    });
  });
};
