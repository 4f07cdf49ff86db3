import type { FastifyPluginAsync } from 'fastify';
import { createApiKey, listApiKeys, revokeApiKey } from '../../../marketplace/auth/api-keys.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { callerOf } from '../caller.js';
import { apiKey, idParams } from '../schemas.js';

// Keys are minted and revoked from a logged-in session only: a leaked key cannot mint more.
const config = { auth: 'session' as const };

export const apiKeyRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.post<{ Body: { name: string } }>('/v1/api-keys', {
    config,
    schema: {
      tags: ['api keys'],
      summary: 'Create an API key; the key is shown only in this answer',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' } } },
      response: { 201: apiKey },
    },
  }, async (request, reply) => {
    const created = await createApiKey(pool, callerOf(request).userId, request.body.name);
    return reply.code(201).send(created);
  });

  app.get('/v1/api-keys', {
    config,
    schema: { tags: ['api keys'], summary: 'The caller\'s API keys (prefixes only)', response: { 200: { type: 'object', properties: { data: { type: 'array', items: apiKey } } } } },
  }, async (request) => {
    return { data: await listApiKeys(pool, callerOf(request).userId) };
  });

  app.delete<{ Params: { id: number } }>('/v1/api-keys/:id', {
    config,
    schema: { tags: ['api keys'], summary: 'Revoke an API key at once', params: idParams },
  }, async (request, reply) => {
    await revokeApiKey(pool, callerOf(request).userId, request.params.id);
    return reply.code(204).send();
  });
};
