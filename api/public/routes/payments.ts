// Payments on the public API: an order's payment for its buyer's client (the client secret that
// Stripe.js confirms the payment with), and the endpoint Stripe posts its signed events to.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../../core/log.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { applyPaymentEvent } from '../../../marketplace/payments/apply-payment-event.js';
import { orderPayment, payForOrder } from '../../../marketplace/payments/order-payment.js';
import type { PaymentsPort } from '../../../marketplace/payments/port.js';
import { ApiError } from '../../errors.js';
import { paymentFailure } from '../../payment-errors.js';
import { callerOf } from '../caller.js';
import { idParams, order } from '../schemas.js';

const nullableString = { type: ['string', 'null'] } as const;

export const paymentSchema = {
  type: 'object',
  properties: {
    order_id: { type: 'integer' },
    provider: { type: 'string' },
    payment_intent_id: nullableString,
    status: nullableString,
    client_secret: { ...nullableString, description: 'For the buyer\'s client only: confirm the payment with Stripe.js (stripe.confirmPayment); never store or log it' },
    error: { ...nullableString, description: 'Why the last call to the provider, or the payment, failed' },
  },
} as const;

/** An order as bought: with payments on, its payment to confirm. */
export const boughtOrder = { ...order, properties: { ...order.properties, payment: paymentSchema } } as const;

export function retryHint(orderId: number): string {
  return `order ${orderId} is kept awaiting payment: try again with POST /v1/orders/${orderId}/payment`;
}

export const orderPaymentRoutes: FastifyPluginAsync<{ pool: Pool; payments: PaymentsPort }> = async (app, { pool, payments }) => {
  app.post<{ Params: { id: number } }>('/v1/orders/:id/payment', {
    schema: {
      tags: ['orders'],
      summary: 'The payment of your order awaiting payment, created with Stripe if it failed to be before; 502 when Stripe is unavailable (try again), 402 when it refuses',
      params: idParams, response: { 200: paymentSchema },
    },
    config: { auth: 'required' },
  }, async (request) => {
    try {
      return await payForOrder(pool, payments, request.params.id, callerOf(request).userId);
    } catch (error) {
      throw paymentFailure(error, retryHint(request.params.id));
    }
  });

  app.get<{ Params: { id: number } }>('/v1/orders/:id/payment', {
    schema: { tags: ['orders'], summary: 'How your order\'s payment stands (no client secret)', params: idParams, response: { 200: paymentSchema } },
    config: { auth: 'required' },
  }, async (request) => orderPayment(pool, request.params.id, callerOf(request).userId));
};

/**
 * POST /v1/payments/stripe/webhook. Stripe signs the exact bytes it sends, so this plugin parses
 * JSON bodies as a Buffer (its own scope: other routes keep the JSON parser). A bad or stale
 * signature is a 400 and changes nothing; an event applied before answers 200 again.
 */
export const stripeWebhookRoutes: FastifyPluginAsync<{ pool: Pool; payments: PaymentsPort; log: Logger }> = async (app, { pool, payments, log }) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/v1/payments/stripe/webhook', {
    schema: {
      tags: ['payments'],
      summary: 'Stripe\'s signed events (payment_intent.succeeded, payment_failed, canceled); 400 when the Stripe-Signature does not verify',
      response: { 200: { type: 'object', properties: { received: { type: 'boolean' }, outcome: { type: 'string' } } } },
    },
  }, async (request) => {
    if (!Buffer.isBuffer(request.body)) throw new ApiError(400, 'invalid_request', 'body: send the JSON event as Stripe sent it (Content-Type: application/json)', 'body');
    const header = request.headers['stripe-signature'];
    let event;
    try {
      event = await payments.verifyEvent(request.body, Array.isArray(header) ? header[0] : header);
    } catch (error) {
      throw paymentFailure(error, '');
    }
    const outcome = await applyPaymentEvent(pool, event, log);
    request.log.info({ event: event.id, type: event.type, outcome }, 'stripe event');
    return { received: true, outcome };
  });
};
