import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { refundOrder } from '../../../marketplace/moderation/refund-order.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
import { adminOf } from '../admin-of.js';

/** POST /admin/orders/:id/refund: placed, paid, shipped or completed orders only (else 409). */
export const orderSupportRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/orders/:id/refund', { schema: { params: idParams, body: reasonBody } },
    async (request) => refundOrder(pool, adminOf(request), request.params.id, reasonOf(request.body)));
};
