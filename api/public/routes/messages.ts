import type { FastifyPluginAsync } from 'fastify';
import { sendMessage } from '../../../marketplace/domain/messages.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { getListing } from '../../../marketplace/queries/listings.js';
import { getMessage, markThreadRead, messagesOf, threadMessages, threadsOf, unreadCount } from '../../../marketplace/queries/messages.js';
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

const nullableId = { type: ['integer', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const thread = {
  type: 'object',
  properties: {
    listing_id: nullableId, listing_name: nullableString, counterpart_id: idParams.properties.id, counterpart_name: { type: 'string' },
    last_message_id: { type: 'integer' }, last_sender_id: { type: 'integer' }, last_body: { type: 'string' },
    last_at: { type: 'string', format: 'date-time' }, unread: { type: 'integer' },
  },
} as const;

/** A thread is named by the counterpart and the listing it is about (none: `listing_id` absent). */
const threadQuery = {
  type: 'object',
  required: ['with'],
  additionalProperties: false,
  properties: { with: { ...idParams.properties.id, description: 'the other person\'s user id' }, listing_id: idParams.properties.id },
} as const;

interface ThreadQuery {
  with: number;
  listing_id?: number;
}

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

  app.get<{ Querystring: PageQuery }>('/v1/message-threads', {
    schema: {
      tags: ['messages'],
      summary: 'Your conversations, one per listing and counterpart, newest activity first, with unread counts',
      querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties },
      response: { 200: pageSchema(thread) },
    },
    config: { auth: 'required' },
  }, async (request) => {
    const page = await threadsOf(pool, callerOf(request).userId, pageRequest(request.query));
    return pageResponse({ ...page, items: page.items.map(({ id: _, ...rest }) => rest) });
  });

  app.get<{ Querystring: ThreadQuery }>('/v1/message-threads/messages', {
    schema: {
      tags: ['messages'],
      summary: 'The messages of one conversation, oldest first (at most 1000)',
      querystring: threadQuery,
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: message } } } },
    },
    config: { auth: 'required' },
  }, async (request) => ({ data: await threadMessages(pool, callerOf(request).userId, request.query.with, request.query.listing_id ?? null) }));

  app.post<{ Querystring: ThreadQuery }>('/v1/message-threads/read', {
    schema: {
      tags: ['messages'],
      summary: 'Mark what the other person sent you in one conversation as read',
      querystring: threadQuery,
      response: { 200: { type: 'object', properties: { marked: { type: 'integer' } } } },
    },
    config: { auth: 'required' },
  }, async (request) => ({ marked: await markThreadRead(pool, callerOf(request).userId, request.query.with, request.query.listing_id ?? null) }));

  app.get('/v1/messages/unread-count', {
    schema: {
      tags: ['messages'],
      summary: 'How many messages to you are not read yet',
      response: { 200: { type: 'object', properties: { unread: { type: 'integer' } } } },
    },
    config: { auth: 'required' },
  }, async (request) => ({ unread: await unreadCount(pool, callerOf(request).userId) }));
};
