// Webhook endpoints and their delivery log, for their owner (a session or an API key). The
// signing secret appears in two answers only: creating an endpoint and rotating its secret.
import type { FastifyPluginAsync } from 'fastify';
import { PoisonMessage } from '../../../core/errors.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { DELIVERY_STATUSES, deliveriesOf, getDelivery, replayDelivery, replayFailedSince, sendTestEvent, type DeliveryStatus } from '../../../marketplace/webhooks/deliveries.js';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from '../../../marketplace/webhooks/endpoints.js';
import { WEBHOOK_EVENT_TYPES } from '../../../marketplace/webhooks/event-types.js';
import { assertDeliverable } from '../../../pipelines/sinks/webhooks/address-guard.js';
import { badRequest } from '../../errors.js';
import { callerOf } from '../caller.js';
import { pageQueryProperties, pageRequest, pageResponse, pageSchema, type PageQuery } from '../pagination.js';
import { idParams } from '../schemas.js';

export interface WebhookRouteOptions {
  pool: Pool;
  /** Let endpoints point at private and loopback addresses (local development only). */
  allowPrivate: boolean;
}

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const endpoint = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, url: { type: 'string' }, description: nullableString,
    event_types: { type: 'array', items: { type: 'string' } }, enabled: { type: 'boolean' }, disabled_reason: nullableString,
    failing_since: nullableTime, previous_secret_expires_at: nullableTime, created_at: time, updated_at: time,
  },
} as const;

const endpointWithSecret = {
  type: 'object',
  properties: { ...endpoint.properties, secret: { type: 'string', description: 'whsec_...: shown only in this answer' } },
} as const;

const delivery = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, endpoint_id: { type: 'integer' }, event_id: { type: 'string' }, event_type: { type: 'string' },
    status: { type: 'string', enum: [...DELIVERY_STATUSES] }, attempts: { type: 'integer' }, next_attempt_at: nullableTime,
    last_attempt_at: nullableTime, last_response_code: { type: ['integer', 'null'] }, last_latency_ms: { type: ['integer', 'null'] },
    last_error: nullableString, created_at: time,
  },
} as const;

const deliveryWithAttempts = {
  type: 'object',
  properties: {
    ...delivery.properties,
    attempt_log: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          attempt: { type: 'integer' }, started_at: time, latency_ms: { type: 'integer' }, response_code: { type: ['integer', 'null'] },
          response_body: nullableString, error: nullableString, succeeded: { type: 'boolean' },
        },
      },
    },
  },
} as const;

const url = { type: 'string', minLength: 8, maxLength: 2048, description: 'http(s) URL that receives POSTed deliveries' } as const;
const description = { type: ['string', 'null'], maxLength: 200 } as const;
const eventTypes = {
  type: 'array', maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true, items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
  description: 'the event types to receive; empty or absent: all of them',
} as const;

interface EndpointBody {
  url?: string;
  description?: string | null;
  event_types?: string[];
  enabled?: boolean;
}

const config = { auth: 'required' as const };
const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsync<WebhookRouteOptions> = async (app, { pool, allowPrivate }) => {
  /** Checks a URL as the sender will: http(s), and no private address unless allowed. */
  async function checkUrl(value: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw badRequest('url', 'is not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('url', 'must be an http or https URL');
    if (parsed.username || parsed.password) throw badRequest('url', 'must not carry a user name or password');
    try {
      await assertDeliverable(value, allowPrivate);
    } catch (error) {
      if (error instanceof PoisonMessage) throw badRequest('url', error.message.replace(/^webhook URL /, 'host '));
      throw badRequest('url', `host ${parsed.hostname} does not resolve`);
    }
  }

  app.post<{ Body: EndpointBody & { url: string } }>('/v1/webhook-endpoints', {
    config,
    schema: {
      tags, summary: 'Create a webhook endpoint; its signing secret is shown only in this answer',
      body: { type: 'object', required: ['url'], additionalProperties: false, properties: { url, description, event_types: eventTypes } },
      response: { 201: endpointWithSecret },
    },
  }, async (request, reply) => {
    await checkUrl(request.body.url);
    const { endpoint: created, secret } = await createEndpoint(pool, callerOf(request).userId, {
      url: request.body.url, description: request.body.description, eventTypes: request.body.event_types,
    });
    return reply.code(201).header('location', `/v1/webhook-endpoints/${created.id}`).send({ ...created, secret });
  });

  app.get('/v1/webhook-endpoints', {
    config,
    schema: { tags, summary: 'Your webhook endpoints', response: { 200: { type: 'object', properties: { data: { type: 'array', items: endpoint } } } } },
  }, async (request) => ({ data: await listEndpoints(pool, callerOf(request).userId) }));

  app.get<{ Params: { id: number } }>('/v1/webhook-endpoints/:id', {
    config, schema: { tags, summary: 'One of your webhook endpoints', params: idParams, response: { 200: endpoint } },
  }, async (request) => getEndpoint(pool, callerOf(request).userId, request.params.id));

  app.patch<{ Params: { id: number }; Body: EndpointBody }>('/v1/webhook-endpoints/:id', {
    config,
    schema: {
      tags, summary: 'Change an endpoint; `enabled: true` re-enables one that was disabled', params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { url, description, event_types: eventTypes, enabled: { type: 'boolean' } } },
      response: { 200: endpoint },
    },
  }, async (request) => {
    if (request.body.url !== undefined) await checkUrl(request.body.url);
    return updateEndpoint(pool, callerOf(request).userId, request.params.id, {
      url: request.body.url, description: request.body.description, eventTypes: request.body.event_types, enabled: request.body.enabled,
    });
  });

  app.delete<{ Params: { id: number } }>('/v1/webhook-endpoints/:id', {
    config, schema: { tags, summary: 'Delete an endpoint with its delivery log', params: idParams },
  }, async (request, reply) => {
    await deleteEndpoint(pool, callerOf(request).userId, request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: number }; Body: { overlap_hours?: number } | undefined }>('/v1/webhook-endpoints/:id/rotate-secret', {
    config,
    schema: {
      tags, summary: 'A new signing secret, shown only in this answer; the old one keeps signing for overlap_hours (default 24)', params: idParams,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { overlap_hours: { type: 'number', minimum: 0, maximum: 168 } } },
      response: { 200: endpointWithSecret },
    },
  }, async (request) => {
    const { endpoint: rotated, secret } = await rotateSecret(pool, callerOf(request).userId, request.params.id, request.body?.overlap_hours ?? 24);
    return { ...rotated, secret };
  });

  app.get<{ Params: { id: number }; Querystring: PageQuery & { status?: DeliveryStatus } }>('/v1/webhook-endpoints/:id/deliveries', {
    config,
    schema: {
      tags, summary: 'The endpoint\'s deliveries, newest first', params: idParams,
      querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: [...DELIVERY_STATUSES] }, ...pageQueryProperties } },
      response: { 200: pageSchema(delivery) },
    },
  }, async (request) => pageResponse(await deliveriesOf(pool, callerOf(request).userId, request.params.id, request.query.status, pageRequest(request.query))));

  app.post<{ Params: { id: number }; Body: { since: string } }>('/v1/webhook-endpoints/:id/replay', {
    config,
    schema: {
      tags, summary: 'Send again every failed or dead delivery created since a time', params: idParams,
      body: { type: 'object', required: ['since'], additionalProperties: false, properties: { since: { type: 'string', format: 'date-time' } } },
      response: { 202: { type: 'object', properties: { replayed: { type: 'integer' } } } },
    },
  }, async (request, reply) => {
    const replayed = await replayFailedSince(pool, callerOf(request).userId, request.params.id, new Date(request.body.since));
    return reply.code(202).send({ replayed });
  });

  app.post<{ Params: { id: number } }>('/v1/webhook-endpoints/:id/test', {
    config, schema: { tags, summary: 'Send a webhook.test event to the endpoint', params: idParams, response: { 202: delivery } },
  }, async (request, reply) => reply.code(202).send(await sendTestEvent(pool, callerOf(request).userId, request.params.id)));

  app.get<{ Params: { id: number } }>('/v1/webhook-deliveries/:id', {
    config, schema: { tags, summary: 'One delivery with every attempt', params: idParams, response: { 200: deliveryWithAttempts } },
  }, async (request) => getDelivery(pool, callerOf(request).userId, request.params.id));

  app.post<{ Params: { id: number } }>('/v1/webhook-deliveries/:id/replay', {
    config, schema: { tags, summary: 'Send a finished delivery again (same webhook-id), on a fresh retry schedule', params: idParams, response: { 202: delivery } },
  }, async (request, reply) => reply.code(202).send(await replayDelivery(pool, callerOf(request).userId, request.params.id)));
};
