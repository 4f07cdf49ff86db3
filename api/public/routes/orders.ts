import type { FastifyPluginAsync } from 'fastify';
import { placeOrder } from '../../../marketplace/domain/orders.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { getOrder, ordersOf } from '../../../marketplace/queries/orders.js';
import { getListing } from '../../../marketplace/queries/listings.js';
import { callerOf } from '../caller.js';
import { pageQueryProperties, pageRequest, pageResponse, pageSchema, type PageQuery } from '../pagination.js';
import { idParams, order } from '../schemas.js';
import type { PaymentsPort } from '../../../marketplace/payments/port.js';
import { payForOrder } from '../../../marketplace/payments/order-payment.js';
import { paymentFailure } from '../../payment-errors.js';
import { boughtOrder, retryHint } from './payments.js';

export const orderRoutes: FastifyPluginAsync<{ pool: Pool; payments?: PaymentsPort }> = async (app, { pool, payments }) => {
  app.post<{ Params: { id: number } }>('/v1/listings/:id/orders', {
    schema: {
      tags: ['orders'],
      summary: 'Buy a listing; a listing already sold answers 409. With payments on, the order is pending_payment and `payment.client_secret` is confirmed with Stripe.js',
      params: idParams, response: { 201: boughtOrder },
    },
    config: { auth: 'required' },
  }, async (request, reply) => {
    const { userId } = callerOf(request);
    // Drafts and removed listings of others must look absent (404), not "not for sale" (409).
    await getListing(pool, request.params.id, userId);
    const placed = await placeOrder(pool, request.params.id, userId, { paymentProvider: payments?.provider });
    reply.header('location', `/v1/orders/${placed.id}`);
    const bought = await getOrder(pool, placed.id, userId);
    if (!payments || bought.status !== 'pending_payment') return reply.code(201).send(bought);
    try {
      const payment = await payForOrder(pool, payments, placed.id, userId);
      return reply.code(201).send({ ...bought, payment });
    } catch (error) {
      throw paymentFailure(error, retryHint(placed.id));
    }
  });

  app.get<{ Querystring: PageQuery & { role?: 'buyer' | 'seller' } }>('/v1/orders', {
    schema: {
      tags: ['orders'],
      summary: 'Your orders as buyer, seller or both, newest first',
      querystring: { type: 'object', additionalProperties: false, properties: { role: { type: 'string', enum: ['buyer', 'seller'] }, ...pageQueryProperties } },
      response: { 200: pageSchema(order) },
    },
    config: { auth: 'required' },
  }, async (request) => pageResponse(await ordersOf(pool, callerOf(request).userId, request.query.role, pageRequest(request.query))));

  app.get<{ Params: { id: number } }>('/v1/orders/:id', {
    schema: { tags: ['orders'], summary: 'One of your orders', params: idParams, response: { 200: order } },
    config: { auth: 'required' },
  }, async (request) => getOrder(pool, request.params.id, callerOf(request).userId));
};
