import type { FastifyPluginAsync } from 'fastify';
import { COMPLAINT_STATUSES, closeComplaint, listComplaints, type ComplaintStatus } from '../../../marketplace/moderation/complaints.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
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

/** The complaints queue: list (newest first, filterable), resolve or dismiss one. */
export const complaintModerationRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: ListQuery }>('/admin/complaints', { schema: { querystring: listQuery } }, async (request) => {
    const { status, reported_user_id: reportedUserId, listing_id: listingId } = request.query;
    return pageResponse(await listComplaints(pool, { status, reportedUserId, listingId }, pageRequest(request.query)));
  });

  for (const [verb, outcome] of [['resolve', 'resolved'], ['dismiss', 'dismissed']] as const) {
    app.post<{ Params: { id: number }; Body: ReasonBody }>(`/admin/complaints/:id/${verb}`, { schema: { params: idParams, body: reasonBody } },
      async (request) => closeComplaint(pool, adminOf(request), request.params.id, outcome, reasonOf(request.body)));
  }
};
