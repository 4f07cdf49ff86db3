// GET /v1/form-options: the choices a listing form offers, so the web app (and any client) shows
// the same categories, currencies and countries the platform knows, with their labels.
import type { FastifyPluginAsync } from 'fastify';
import { CATEGORIES, COUNTRIES, CURRENCIES } from '../../../marketplace/domain/catalogue.js';

const choices = { type: 'array', items: { type: 'object', properties: { value: { type: 'string' }, label: { type: 'string' } } } } as const;

export const formOptionRoutes: FastifyPluginAsync = async (app) => {
  app.get('/v1/form-options', {
    schema: {
      tags: ['listings'],
      summary: 'Categories, currencies and countries to offer in a listing form',
      response: {
        200: {
          type: 'object',
          properties: {
            categories: choices,
            currencies: choices,
            countries: { type: 'array', items: { type: 'object', properties: { value: { type: 'string' }, label: { type: 'string' }, currency: { type: 'string' } } } },
          },
        },
      },
    },
  }, async (_request, reply) => {
    // Fixed for a release: browsers may keep them an hour.
    reply.header('cache-control', 'public, max-age=3600');
    return { categories: CATEGORIES, currencies: CURRENCIES, countries: COUNTRIES };
  });
};
