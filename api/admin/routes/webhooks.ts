// A user's webhook endpoints for support: each endpoint, its delivery log, one delivery's attempts,
// and replaying a finished delivery for the user (audited against the user, with the reason).
import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { DELIVERY_STATUSES, deliveriesOf, getDelivery, replayDelivery, type DeliveryStatus } from '../../../marketplace/webhooks/deliveries.js';
import { listEndpoints } from '../../../marketplace/webhooks/endpoints.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { adminOf } from '../admin-of.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';

const id = idParams.properties.id;
const userParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id } } as const;
const endpointParams = { type: 'object', required: ['id', 'endpoint'], additionalProperties: false, properties: { id, endpoint: id } } as const;
const deliveryParams = { type: 'object', required: ['id', 'delivery'], additionalProperties: false, properties: { id, delivery: id } } as const;

export const userWebhookRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Params: { id: number } }>('/admin/users/:id/webhooks', { schema: { params: userParams } }, async (request) =>
    ({ data: await listEndpoints(pool, request.params.id) }));

  app.get<{ Params: { id: number; endpoint: number }; Querystring: PageQuery & { status?: DeliveryStatus } }>('/admin/users/:id/webhooks/:endpoint/deliveries', {
    schema: {
      params: endpointParams,
      querystring: { type: 'object', additionalProperties: false, properties: { ...pageQueryProperties, status: { type: 'string', enum: [...DELIVERY_STATUSES] } } },
    },
  }, async (request) => pageResponse(await deliveriesOf(pool, request.params.id, request.params.endpoint, request.query.status, pageRequest(request.query))));

  app.get<{ Params: { id: number; delivery: number } }>('/admin/users/:id/webhook-deliveries/:delivery', { schema: { params: deliveryParams } },
    async (request) => getDelivery(pool, request.params.id, request.params.delivery));

  app.post<{ Params: { id: number; delivery: number }; Body: ReasonBody }>('/admin/users/:id/webhook-deliveries/:delivery/replay', {
    schema: { params: deliveryParams, body: reasonBody },
  }, async (request) => {
    const reason = reasonOf(request.body);
    const delivery = await replayDelivery(pool, request.params.id, request.params.delivery);
    await recordAudit(pool, {
      admin: adminOf(request), action: 'user.webhook_replay', targetType: 'user', targetId: request.params.id, reason,
      details: { endpoint: delivery.endpoint_id, delivery: delivery.id, event_type: delivery.event_type },
    });
    return delivery;
  });
};
