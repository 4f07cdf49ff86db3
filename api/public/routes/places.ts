// GET /v1/places: city suggestions for "near <city>" boxes, from the world-cities gazetteer.
import type { FastifyPluginAsync } from 'fastify';
import type { Gazetteer } from '../../../marketplace/places/gazetteer.js';
import { worldCities } from '../../../marketplace/places/geonames-gazetteer.js';
import { nearText } from '../near-place.js';

export interface PlaceRouteOptions {
  /** The world-cities gazetteer unless another is given. */
  places?: Gazetteer;
}

interface PlacesQuerystring {
  prefix: string;
  country?: string;
  limit: number;
}

export const placeSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'The gazetteer id (GeoNames); `near` takes it too' },
    name: { type: 'string' },
    country: { type: 'string', description: 'ISO 3166 alpha-2' },
    region: { type: ['string', 'null'], description: 'First-level division code ("MA", "ENG", "02")' },
    latitude: { type: 'number' },
    longitude: { type: 'number' },
    near: { type: 'string', description: 'The value of `near` for this place, as "Boston,US"' },
  },
} as const;

export const placeRoutes: FastifyPluginAsync<PlaceRouteOptions> = async (app, options) => {
  const places = options.places ?? worldCities();
  app.get<{ Querystring: PlacesQuerystring }>('/v1/places', {
    schema: {
      tags: ['search'],
      summary: 'Cities whose name starts with a prefix, the most populous first (for a "near" box)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['prefix'],
        properties: {
          prefix: { type: 'string', minLength: 2, maxLength: 100, description: 'The start of any of the city\'s names; case and accents are ignored' },
          country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 alpha-2: only cities there' },
          limit: { type: 'integer', minimum: 1, maximum: 50, default: 10 },
        },
      },
      response: { 200: { type: 'object', properties: { places: { type: 'array', items: placeSchema } } } },
    },
  }, async (request, reply) => {
    const { prefix, country, limit } = request.query;
    const found = await places.suggest(prefix, { country, limit });
    // The gazetteer changes only with a release: browsers may keep an answer a day.
    reply.header('cache-control', 'public, max-age=86400');
    return { places: found.map((place) => ({ ...place, near: nearText(place) })) };
  });
};
