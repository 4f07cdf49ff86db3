import type { FastifyPluginAsync } from 'fastify';
import { sendMessage } from '../../../marketplace/domain/messages.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { getListing } from '../../../marketplace/queries/listings.js';
import { getMessage, messagesOf } from '../../../marketplace/queries/messages.js';
import { getUser } from '../../../marketplace/queries/users.js';
import { badRequest } from '../../errors.js';
import { callerOf } from '../caller.js';
import { pageQueryProperties, pageRequest, pageResponse, pageSchema, type PageQuery } from '../pagination.js';
import { fields, idParams, message } from '../schemas.js';

interface MessageInput {
  body: string;
  listing_id?: number;
  recipient_id?: number;
}

const sendSchema = {
  tags: ['messages'],
  summary: 'Send a message; with only listing_id it goes to the listing\'s seller',
  body: {
    type: 'object',
    required: ['body'],
    additionalProperties: false,
    properties: { body: fields.messageBody, listing_id: idParams.properties.id, recipient_id: idParams.properties.id },
  },
  response: { 201: message },
};

export const messageRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.post<{ Body: MessageInput }>('/v1/messages', { schema: sendSchema, config: { auth: 'required' } }, async (request, reply) => {
    const { userId } = callerOf(request);
    const { body, listing_id: listingId, recipient_id: recipientId } = request.body;
    if (listingId === undefined && recipientId === undefined) throw badRequest('recipient_id', 'give recipient_id, listing_id or both');
    const listing = listingId === undefined ? undefined : await getListing(pool, listingId, userId);
    if (recipientId !== undefined) await getUser(pool, recipientId);
    const recipient = recipientId ?? listing!.seller_id;
    if (recipient === userId) throw badRequest('recipient_id', 'is you; messages go to someone else');
    const id = await sendMessage(pool, { listingId: listingId ?? null, senderId: userId, recipientId: recipient, body });
    return reply.code(201).send(await getMessage(pool, id));
  });

  app.get<{ Querystring: PageQuery }>('/v1/messages', {
    schema: {
      tags: ['messages'],
      summary: 'Messages you sent or received, newest first',
      querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties },
      response: { 200: pageSchema(message) },
    },
    config: { auth: 'required' },
  }, async (request) => pageResponse(await messagesOf(pool, callerOf(request).userId, pageRequest(request.query))));
};
