// A user's messages for support and moderation (harassment, scams moved off the platform), newest
// first. Reading someone's messages is audited like opening their profile, with who asked.
import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { keysetPage } from '../../../marketplace/queries/keyset-page.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { adminOf } from '../admin-of.js';
import { idParams } from '../schemas.js';

export const userMessageRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Params: { id: number }; Querystring: PageQuery }>('/admin/users/:id/messages', {
    schema: { params: idParams, querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties } },
  }, async (request) => {
    const userId = request.params.id;
    // Wrapped so the page's `id` is the message's, as keysetPage pages by `id`.
    const select = `SELECT * FROM (
      SELECT m.id, m.listing_id, l.name AS listing_name, m.sender_id, s.name AS sender_name, m.recipient_id, r.name AS recipient_name,
        IF(m.sender_id = ?, 'sent', 'received') AS direction, m.body, m.created_at, m.read_at
      FROM messages m JOIN users s ON s.id = m.sender_id JOIN users r ON r.id = m.recipient_id LEFT JOIN listings l ON l.id = m.listing_id
      WHERE m.sender_id = ? OR m.recipient_id = ?) AS found`;
    const page = await keysetPage(pool, select, { conditions: [], params: [userId, userId, userId] }, pageRequest(request.query));
    await recordAudit(pool, { admin: adminOf(request), action: 'user.view_messages', targetType: 'user', targetId: userId, details: { count: page.items.length } });
    return pageResponse(page);
  });
};
