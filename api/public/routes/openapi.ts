import type { FastifyPluginAsync } from 'fastify';

/** GET /v1/openapi.json: the OpenAPI 3 document generated from the routes' own schemas. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.get('/v1/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());
};
