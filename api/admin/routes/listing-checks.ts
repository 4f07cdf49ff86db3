// The listing checks' queue for moderators: listings a rule held (pending_review) or flagged,
// with each rule's reason and values; clearing one (back to active and into search) or removing it.
import type { FastifyPluginAsync } from 'fastify';
import { clearListing, listCheckedListings, removeCheckedListing } from '../../../marketplace/moderation/listing-checks.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { adminOf } from '../admin-of.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';

const queueQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties,
    action: { type: 'string', enum: ['hold', 'flag'], description: 'hold: listings out of search waiting for a decision; flag: live listings to look at' },
  },
} as const;

interface QueueQuery extends PageQuery {
  action?: 'hold' | 'flag';
}

export const listingCheckRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: QueueQuery }>('/admin/listing-checks', { schema: { querystring: queueQuery } },
    async (request) => pageResponse(await listCheckedListings(pool, { action: request.query.action }, pageRequest(request.query))));

  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/listing-checks/:id/clear', { schema: { params: idParams, body: reasonBody } },
    async (request) => clearListing(pool, adminOf(request), request.params.id, reasonOf(request.body)));

  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/listing-checks/:id/remove', { schema: { params: idParams, body: reasonBody } },
    async (request) => removeCheckedListing(pool, adminOf(request), request.params.id, reasonOf(request.body)));
};
