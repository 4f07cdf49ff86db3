// The spam checks' findings for staff: which accounts tripped which rule, why, and what was done
// (flagged, rate-limited, suspended), newest first.
import type { FastifyPluginAsync } from 'fastify';
import { dismissUserCheck, listUserChecks } from '../../../marketplace/moderation/spam-checks.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { SPAM_RULES } from '../../../pipelines/sinks/spam-checks/rules.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { adminOf } from '../admin-of.js';
import { idParams, reasonBody, reasonOf } from '../schemas.js';

const findingsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties,
    user_id: idParams.properties.id,
    rule: { type: 'string', enum: [...SPAM_RULES] },
  },
} as const;

interface FindingsQuery extends PageQuery {
  user_id?: number;
  rule?: string;
}

export const userCheckRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: FindingsQuery }>('/admin/user-checks', { schema: { querystring: findingsQuery } },
    async (request) => pageResponse(await listUserChecks(pool, { userId: request.query.user_id, rule: request.query.rule }, pageRequest(request.query))));

  app.post<{ Params: { id: number }; Body: { reason: string } }>('/admin/user-checks/:id/dismiss', {
    schema: { params: idParams, body: reasonBody },
  }, async (request) => dismissUserCheck(pool, adminOf(request), request.params.id, reasonOf(request.body)));
};
