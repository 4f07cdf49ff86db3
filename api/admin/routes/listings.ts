import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { takeDownListing } from '../../../marketplace/moderation/take-down-listing.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
import { adminOf } from '../admin-of.js';

/** POST /admin/listings/:id/remove: a moderator takes a listing down, with a reason. */
export const listingModerationRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/listings/:id/remove', { schema: { params: idParams, body: reasonBody } },
    async (request) => takeDownListing(pool, adminOf(request), request.params.id, reasonOf(request.body)));
};
