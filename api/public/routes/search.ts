import type { FastifyPluginAsync } from 'fastify';
import type { Gazetteer } from '../../../marketplace/places/gazetteer.js';
import { worldCities } from '../../../marketplace/places/geonames-gazetteer.js';
import { MAX_RESULT_WINDOW, TOTAL_HITS_EXACT_UP_TO, type SearchService, type SearchSort } from '../../../pipelines/sinks/search/port.js';
import { badRequest } from '../../errors.js';
import { nearText } from '../near-place.js';
import { nearProperties, readNear } from '../near-query.js';
import { placeSchema } from './places.js';

export interface SearchRouteOptions {
  search: SearchService;
  /** Resolves `near`; the world-cities gazetteer unless another is given. */
  places?: Gazetteer;
}

interface SearchQuerystring {
  q?: string;
  country?: string;
  city?: string;
  category?: string;
  min_price?: number;
  max_price?: number;
  near?: string;
  within_km?: number;
  sort?: SearchSort;
  page: number;
  per_page: number;
}

const facet = { type: 'array', items: { type: 'object', properties: { value: { type: 'string' }, count: { type: 'integer' } } } };

const schema = {
  summary: 'Full-text search over active listings',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      q: { type: 'string', maxLength: 200, description: 'Words to find; typos and word forms are tolerated, the last word may be a prefix.' },
      country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 alpha-2 code' },
      city: { type: 'string', minLength: 1, maxLength: 100 },
      category: { type: 'string', minLength: 1, maxLength: 50 },
      min_price: { type: 'integer', minimum: 0, description: 'In minor units (cents)' },
      max_price: { type: 'integer', minimum: 0, description: 'In minor units (cents)' },
      ...nearProperties,
      sort: { type: 'string', enum: ['relevance', 'newest', 'price_asc', 'price_desc', 'distance'], default: 'relevance', description: 'distance (nearest first) needs near' },
      page: { type: 'integer', minimum: 1, default: 1 },
      per_page: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        total: { type: 'integer', description: `Matching listings: exact up to ${TOTAL_HITS_EXACT_UP_TO}; past that, ${TOTAL_HITS_EXACT_UP_TO} with total_relation "gte".` },
        total_relation: {
          type: 'string', enum: ['eq', 'gte'],
          description: `"eq": total is exact. "gte": at least total listings match (counting stops at ${TOTAL_HITS_EXACT_UP_TO}, as Elasticsearch's track_total_hits); show it as "${TOTAL_HITS_EXACT_UP_TO.toLocaleString('en-US')}+".`,
        },
        page: { type: 'integer' },
        per_page: { type: 'integer' },
        hits: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'integer' }, name: { type: 'string' }, description: { type: 'string' }, category: { type: 'string' },
              country: { type: 'string' }, city: { type: 'string' }, price_amount: { type: 'integer' }, price_currency: { type: 'string' },
              seller_name: { type: ['string', 'null'] }, created_at: { type: 'string' }, score: { type: 'number' },
              distance_km: { type: 'number', description: 'Kilometres from near; only when near was given' },
              highlight: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' } } },
            },
          },
        },
        facets: { type: 'object', properties: { category: facet, city: facet, country: facet } },
        near: { ...placeSchema, description: 'The place near resolved to; only when near was given' },
      },
    },
  },
};

/** GET /v1/search: what the web app's search box calls. */
export const searchRoutes: FastifyPluginAsync<SearchRouteOptions> = async (app, options) => {
  const places = options.places ?? worldCities();
  app.get<{ Querystring: SearchQuerystring }>('/v1/search', { schema }, async (request) => {
    const query = request.query;
    if (query.min_price !== undefined && query.max_price !== undefined && query.min_price > query.max_price) {
      throw badRequest('min_price', 'must not be above max_price');
    }
    if (query.page * query.per_page > MAX_RESULT_WINDOW) {
      throw badRequest('page', `page × per_page may be at most ${MAX_RESULT_WINDOW}; narrow the search instead`);
    }
    if (query.near === undefined && query.sort === 'distance') throw badRequest('sort', 'distance needs near, the city to measure from (as near=Boston,US)');
    const near = await readNear(places, query);
    const store = await options.search.serving();
    const result = await store.search({
      q: query.q, country: query.country?.toUpperCase(), city: query.city, category: query.category,
      minPrice: query.min_price, maxPrice: query.max_price, sort: query.sort, page: query.page, perPage: query.per_page,
      near: near?.filter,
    });
    return {
      total: result.total, total_relation: result.totalRelation, page: query.page, per_page: query.per_page, hits: result.hits, facets: result.facets,
      ...(near && { near: { ...near.place, near: nearText(near.place) } }),
    };
  });
};
