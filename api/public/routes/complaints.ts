import type { FastifyPluginAsync } from 'fastify';
import { COMPLAINT_REASONS, fileComplaint, type ComplaintReason } from '../../../marketplace/domain/complaints.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { apiRow } from '../../../marketplace/queries/api-row.js';
import { getListing } from '../../../marketplace/queries/listings.js';
import { badRequest } from '../../errors.js';
import { callerOf } from '../caller.js';
import { complaint, idParams } from '../schemas.js';

interface ComplaintInput {
  reason: ComplaintReason;
  details?: string;
  listing_id?: number;
  user_id?: number;
}

const schema = {
  tags: ['complaints'],
  summary: 'Report a listing or a user to the moderators',
  body: {
    type: 'object',
    required: ['reason'],
    additionalProperties: false,
    properties: {
      reason: { type: 'string', enum: COMPLAINT_REASONS },
      details: { type: 'string', maxLength: 5000 },
      listing_id: idParams.properties.id,
      user_id: idParams.properties.id,
    },
  },
  response: { 201: complaint },
};

export const complaintRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.post<{ Body: ComplaintInput }>('/v1/complaints', { schema, config: { auth: 'required' } }, async (request, reply) => {
    const { userId } = callerOf(request);
    const { reason, details, listing_id: listingId, user_id: reportedUserId } = request.body;
    if (listingId === undefined && reportedUserId === undefined) throw badRequest('listing_id', 'give listing_id, user_id or both: what is the complaint about?');
    if (listingId !== undefined) await getListing(pool, listingId, userId);
    const id = await fileComplaint(pool, { reporterId: userId, listingId, reportedUserId, reason, details });
    const [rows] = await pool.query<RowDataPacket[]>('SELECT id, reporter_id, listing_id, reported_user_id, reason, details, status, created_at FROM complaints WHERE id = ?', [id]);
    return reply.code(201).send(apiRow(rows[0]!));
  });
};
