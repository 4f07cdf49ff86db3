import type { FastifyPluginAsync } from 'fastify';
import { LISTING_STATUSES } from '../../../marketplace/domain/listing-shape.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { takeDownListing } from '../../../marketplace/moderation/take-down-listing.js';
import { keysetPage, type Filter } from '../../../marketplace/queries/keyset-page.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
import { adminOf } from '../admin-of.js';


const searchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties,
    q: { type: 'string', minLength: 1, maxLength: 200, description: 'a listing id, or part of its name' },
    seller_id: idParams.properties.id,
    status: { type: 'string', enum: LISTING_STATUSES },
  },
} as const;

interface SearchQuery extends PageQuery {
  q?: string;
  seller_id?: number;
  status?: (typeof LISTING_STATUSES)[number];
}

function searchFilter(query: SearchQuery): Filter {
  const filter: Filter = { conditions: [], params: [] };
  const text = query.q?.trim();
  if (text && /^\d+$/.test(text)) {
    filter.conditions.push('l.id = ?');
    filter.params.push(Number(text));
  } else if (text) {
    filter.conditions.push('l.name LIKE ?');
    filter.params.push(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (query.seller_id !== undefined) {
    filter.conditions.push('l.seller_id = ?');
    filter.params.push(query.seller_id);
  }
  if (query.status !== undefined) {
    filter.conditions.push('l.status = ?');
    filter.params.push(query.status);
  }
  return filter;
}

/** Finding listings (newest first) and taking one down with a reason. */
export const listingModerationRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: SearchQuery }>('/admin/listings', { schema: { querystring: searchQuery } }, async (request) => {
    // Wrapped so the page's `id` is the listing's, as keysetPage orders and pages by `id`.
    const select = `SELECT * FROM (SELECT l.id, l.name, l.category, l.price_amount, l.price_currency, l.status, l.country, l.city, l.seller_id,
      u.name AS seller_name, u.email AS seller_email, l.created_at, l.updated_at FROM listings l JOIN users u ON u.id = l.seller_id`;
    const filter = searchFilter(request.query);
    const where = filter.conditions.length > 0 ? ` WHERE ${filter.conditions.join(' AND ')}` : '';
    return pageResponse(await keysetPage(pool, `${select}${where}) AS found`, { conditions: [], params: filter.params }, pageRequest(request.query)));
  });

  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/listings/:id/remove', { schema: { params: idParams, body: reasonBody } },
    async (request) => takeDownListing(pool, adminOf(request), request.params.id, reasonOf(request.body)));
};
