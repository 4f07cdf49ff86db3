import type { FastifyPluginAsync } from 'fastify';
import { adminLogin, ADMIN_SESSION_HOURS } from '../../../marketplace/auth/admin-accounts.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { unauthorized } from '../../errors.js';

const schema = {
  body: {
    type: 'object',
    required: ['username', 'password'],
    additionalProperties: false,
    properties: { username: { type: 'string', minLength: 1, maxLength: 100 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  response: { 200: { type: 'object', properties: { token: { type: 'string' }, expires_in_s: { type: 'integer' } } } },
};

/** POST /admin/session: username + password -> a bearer token for the admin API. */
export const sessionRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, options) => {
  app.post<{ Body: { username: string; password: string } }>('/admin/session', { schema, config: { public: true } }, async (request) => {
    const token = await adminLogin(options.pool, request.body.username, request.body.password);
    if (!token) throw unauthorized('wrong username or password');
    return { token, expires_in_s: ADMIN_SESSION_HOURS * 3600 };
  });
};
