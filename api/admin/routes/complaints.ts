import type { FastifyPluginAsync } from 'fastify';
import { assignComplaint, COMPLAINT_STATUSES, closeComplaint, listComplaints, type ComplaintStatus } from '../../../marketplace/moderation/complaints.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { badRequest } from '../../errors.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { idParams, reason, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
import { adminOf } from '../admin-of.js';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties,
    status: { type: 'string', enum: COMPLAINT_STATUSES },
    reported_user_id: idParams.properties.id,
    listing_id: idParams.properties.id,
  },
} as const;

interface ListQuery extends PageQuery {
  status?: ComplaintStatus;
  reported_user_id?: number;
  listing_id?: number;
}

/** The complaints queue: list (newest first, filterable), assign, resolve or dismiss one. */
export const complaintModerationRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: ListQuery }>('/admin/complaints', { schema: { querystring: listQuery } }, async (request) => {
    const { status, reported_user_id: reportedUserId, listing_id: listingId } = request.query;
    return pageResponse(await listComplaints(pool, { status, reportedUserId, listingId }, pageRequest(request.query)));
  });

  for (const [verb, outcome] of [['resolve', 'resolved'], ['dismiss', 'dismissed']] as const) {
    app.post<{ Params: { id: number }; Body: ReasonBody }>(`/admin/complaints/:id/${verb}`, { schema: { params: idParams, body: reasonBody } },
      async (request) => closeComplaint(pool, adminOf(request), request.params.id, outcome, reasonOf(request.body)));
  }

  app.post<{ Params: { id: number }; Body: { assignee?: string; reason?: string } }>('/admin/complaints/:id/assign', {
    schema: {
      params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { assignee: { type: 'string', minLength: 1, maxLength: 100, description: 'a staff username; default: the caller' }, reason } },
    },
  }, async (request) => {
    const assignee = request.body.assignee?.trim() || adminOf(request);
    const [staff] = await pool.query<RowDataPacket[]>('SELECT 1 FROM admin_users WHERE username = ? AND disabled_at IS NULL', [assignee]);
    if (staff.length === 0) throw badRequest('assignee', `there is no staff account "${assignee}"`);
    return assignComplaint(pool, adminOf(request), request.params.id, assignee, request.body.reason?.trim() || null);
  });
};
