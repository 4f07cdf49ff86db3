// GET /v1/users/:id: what one member may see of another (a seller on a checkout page, the other
// person in a conversation): the name and place, never the email.
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '../../../core/errors.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { getUser } from '../../../marketplace/queries/users.js';
import { idParams } from '../schemas.js';

const profile = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' }, country: { type: ['string', 'null'] }, city: { type: ['string', 'null'] }, created_at: { type: 'string', format: 'date-time' } },
} as const;

export const profileRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Params: { id: number } }>('/v1/users/:id', {
    schema: { tags: ['accounts'], summary: 'Another member\'s public profile: name, country, city, member since', params: idParams, response: { 200: profile } },
    // Members only, so the list of names cannot be walked anonymously.
    config: { auth: 'required' },
  }, async (request) => {
    const user = await getUser(pool, request.params.id);
    if (user.status === 'deleted') throw new NotFoundError(`user ${request.params.id} does not exist`);
    return user;
  });
};
