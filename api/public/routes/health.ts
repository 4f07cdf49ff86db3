import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from '../../../marketplace/mysql/connection.js';

export interface HealthOptions {
  pool: Pool;
  startedAt: number;
}

const healthSchema = {
  response: {
    '2xx': {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'degraded'] },
        uptime_s: { type: 'number' },
        checks: { type: 'object', additionalProperties: { type: 'object', properties: { status: { type: 'string' }, error: { type: 'string' } } } },
      },
    },
  },
};

/** GET /health: 200 when every dependency answers, 503 with the failing check otherwise. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  app.get('/health', { schema: healthSchema, logLevel: 'warn', config: { rateLimit: false } }, async (_request, reply) => {
    let mysql: { status: string; error?: string };
    try {
      await options.pool.query('SELECT 1');
      mysql = { status: 'up' };
    } catch (error) {
      mysql = { status: 'down', error: (error as Error).message };
    }
    const ok = mysql.status === 'up';
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      uptime_s: Math.round((Date.now() - options.startedAt) / 1000),
      checks: { mysql },
    });
  });
};
