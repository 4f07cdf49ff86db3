import type { FastifyPluginAsync } from 'fastify';
import { LISTING_STATUSES, type ListingInput } from '../../../marketplace/domain/listing-shape.js';
import { createListing, removeListing, updateListing, type ListingPatch, type ListingStatus } from '../../../marketplace/domain/listings.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { activeListings, getListing, sellerListings } from '../../../marketplace/queries/listings.js';
import { ApiError } from '../../errors.js';
import { callerOf } from '../caller.js';
import { requireServedCategory } from '../served-category.js';
import { pageQueryProperties, pageRequest, pageResponse, pageSchema, type PageQuery } from '../pagination.js';
import { fields, idParams, listing } from '../schemas.js';

const inputProperties = {
  name: fields.listingName, description: fields.description, category: fields.category, country: fields.country,
  city: fields.city, price_amount: fields.priceAmount, price_currency: fields.priceCurrency, status: fields.listingStatus,
};

const createSchema = {
  tags: ['listings'],
  summary: 'Create a listing (active unless status is draft)',
  body: {
    type: 'object',
    required: ['name', 'description', 'category', 'country', 'city', 'price_amount', 'price_currency'],
    additionalProperties: false,
    properties: inputProperties,
  },
  response: { 201: listing },
};

const updateSchema = {
  tags: ['listings'],
  summary: 'Change some fields of your listing',
  params: idParams,
  body: { type: 'object', minProperties: 1, additionalProperties: false, properties: inputProperties },
  response: { 200: listing },
};

const browseSchema = {
  tags: ['listings'],
  summary: 'Active listings, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { category: fields.category, country: fields.country, city: fields.city, seller_id: idParams.properties.id, ...pageQueryProperties },
  },
  response: { 200: pageSchema(listing) },
};

const mineSchema = {
  tags: ['listings'],
  summary: 'Your own listings, any status, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { status: { type: 'string', enum: LISTING_STATUSES }, ...pageQueryProperties },
  },
  response: { 200: pageSchema(listing) },
};

export const listingRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  /** The listing, when the caller is its seller. */
  async function ownListing(id: number, userId: number) {
    const found = await getListing(pool, id, userId);
    if (found.seller_id !== userId) throw new ApiError(403, 'forbidden', `listing ${id} is not yours`);
    return found;
  }

  app.post<{ Body: ListingInput }>('/v1/listings', { schema: createSchema, config: { auth: 'required' } }, async (request, reply) => {
    const { userId } = callerOf(request);
    const body = request.body;
    requireServedCategory(body.category);
    const id = await createListing(pool, {
      sellerId: userId, name: body.name, description: body.description, category: body.category, country: body.country,
      city: body.city, priceAmount: body.price_amount, priceCurrency: body.price_currency, status: body.status,
    });
    return reply.code(201).header('location', `/v1/listings/${id}`).send(await getListing(pool, id, userId));
  });

  app.get<{ Querystring: PageQuery & { category?: string; country?: string; city?: string; seller_id?: number } }>(
    '/v1/listings', { schema: browseSchema }, async (request) => {
      const { category, country, city, seller_id: sellerId } = request.query;
      return pageResponse(await activeListings(pool, { category, country, city, sellerId }, pageRequest(request.query)));
    });

  app.get<{ Querystring: PageQuery & { status?: ListingStatus } }>('/v1/me/listings', { schema: mineSchema, config: { auth: 'required' } }, async (request) => {
    return pageResponse(await sellerListings(pool, callerOf(request).userId, request.query.status, pageRequest(request.query)));
  });

  app.get<{ Params: { id: number } }>('/v1/listings/:id', {
    schema: { tags: ['listings'], summary: 'One listing', params: idParams, response: { 200: listing } },
    config: { auth: 'optional' },
  }, async (request) => getListing(pool, request.params.id, request.caller?.userId));

  app.patch<{ Params: { id: number }; Body: ListingPatch }>('/v1/listings/:id', { schema: updateSchema, config: { auth: 'required' } }, async (request) => {
    const { userId } = callerOf(request);
    requireServedCategory(request.body.category);
    await ownListing(request.params.id, userId);
    await updateListing(pool, request.params.id, request.body);
    return getListing(pool, request.params.id, userId);
  });

  app.delete<{ Params: { id: number } }>('/v1/listings/:id', {
    schema: { tags: ['listings'], summary: 'Take your listing off the marketplace', params: idParams },
    config: { auth: 'required' },
  }, async (request, reply) => {
    await ownListing(request.params.id, callerOf(request).userId);
    await removeListing(pool, request.params.id);
    return reply.code(204).send();
  });
};
