import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import type { PaymentsPort } from '../../../marketplace/payments/port.js';
import { refundAttempts, refundOrder } from '../../../marketplace/moderation/refund-order.js';
import { paymentFailure } from '../../payment-errors.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
import { adminOf } from '../admin-of.js';

/**
 * POST /admin/orders/:id/refund: placed, paid, shipped or completed orders only (else 409). An
 * order paid through Stripe is refunded there first; Stripe's failure is answered with its reason
 * (502 when trying again may help, 402 when Stripe refused) and kept among the order's refunds.
 */
export const orderSupportRoutes: FastifyPluginAsync<{ pool: Pool; payments?: PaymentsPort }> = async (app, { pool, payments }) => {
  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/orders/:id/refund', { schema: { params: idParams, body: reasonBody } },
    async (request) => {
      try {
        return await refundOrder(pool, adminOf(request), request.params.id, reasonOf(request.body), payments);
      } catch (error) {
        throw paymentFailure(error, `the order keeps its status and the failed refund is listed at GET /admin/orders/${request.params.id}/refunds; try again`);
      }
    });

  app.get<{ Params: { id: number } }>('/admin/orders/:id/refunds', { schema: { params: idParams } },
    async (request) => ({ items: await refundAttempts(pool, request.params.id) }));
};
