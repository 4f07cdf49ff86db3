import type { FastifyPluginAsync } from 'fastify';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, listAudit, type AuditAction, type AuditTargetType } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { idParams } from '../schemas.js';

const query = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties,
    admin: { type: 'string', minLength: 1, maxLength: 100 },
    action: { type: 'string', enum: AUDIT_ACTIONS },
    target_type: { type: 'string', enum: AUDIT_TARGET_TYPES },
    target_id: idParams.properties.id,
    since: { type: 'string', format: 'date-time' },
    until: { type: 'string', format: 'date-time' },
  },
} as const;

interface AuditQuery extends PageQuery {
  admin?: string;
  action?: AuditAction;
  target_type?: AuditTargetType;
  target_id?: number;
  since?: string;
  until?: string;
}

/** GET /admin/audit: what staff did, newest first, filterable by admin, action, target and time. */
export const auditRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: AuditQuery }>('/admin/audit', { schema: { querystring: query } }, async (request) => {
    const { admin, action, target_type: targetType, target_id: targetId, since, until } = request.query;
    return pageResponse(await listAudit(pool, { admin, action, targetType, targetId, since, until }, pageRequest(request.query)));
  });
};
